// SPDX-License-Identifier: GPL-2.0
/*
 * Replay protection: the highest sequence number accepted from each sender,
 * in an open-addressing table that grows. Only authenticated messages are
 * recorded, so a peer without the key cannot fill it.
 */
#include <errno.h>
#include <stdlib.h>

#include "proto.h"

struct vchat_replay {
	struct vchat_peer *tab;
	size_t cap; /* power of two */
	size_t used;
};

struct vchat_replay *vchat_replay_new(void)
{
	struct vchat_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = 64;
	r->tab = calloc(r->cap, sizeof(*r->tab));
	if (!r->tab) {
		free(r);
		return NULL;
	}
	return r;
}

static size_t replay_hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

static struct vchat_peer *replay_slot(struct vchat_peer *tab, size_t cap, uint64_t sender)
{
	size_t i = replay_hash(sender, cap);

	while (tab[i].used && tab[i].sender != sender)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int replay_grow(struct vchat_replay *r)
{
	size_t ncap = r->cap * 2, i;
	struct vchat_peer *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < r->cap; i++)
		if (r->tab[i].used)
			*replay_slot(nt, ncap, r->tab[i].sender) = r->tab[i];
	free(r->tab);
	r->tab = nt;
	r->cap = ncap;
	return 0;
}

int vchat_replay_check(struct vchat_replay *r, uint64_t sender, uint64_t seq)
{
	struct vchat_peer *e;

	e = replay_slot(r->tab, r->cap, sender);
	if (e->used) {
		if (seq <= e->seq)
			return -EALREADY;
		e->seq = seq;
		return 0;
	}
	if ((r->used + 1) * 2 > r->cap) {
		if (replay_grow(r))
			return -ENOMEM;
		e = replay_slot(r->tab, r->cap, sender);
	}
	e->used = 1;
	e->sender = sender;
	e->seq = seq;
	r->used++;
	return 0;
}

struct vchat_peer *vchat_replay_find(struct vchat_replay *r, uint64_t sender)
{
	struct vchat_peer *e = replay_slot(r->tab, r->cap, sender);

	return e->used ? e : NULL;
}

struct vchat_peer *vchat_replay_next(struct vchat_replay *r, size_t *pos)
{
	while (*pos < r->cap)
		if (r->tab[(*pos)++].used)
			return &r->tab[*pos - 1];
	return NULL;
}

void vchat_replay_free(struct vchat_replay *r)
{
	if (!r)
		return;
	vchat_wipe(r->tab, r->cap * sizeof(*r->tab));
	free(r->tab);
	free(r);
}
