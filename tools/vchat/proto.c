// SPDX-License-Identifier: GPL-2.0
/* vchat frames: parsing, building, sealing and opening chat messages. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proto.h"

void vchat_put64(uint8_t *p, uint64_t v)
{
	vchat_put32(p, (uint32_t)(v >> 32));
	vchat_put32(p + 4, (uint32_t)v);
}

uint64_t vchat_get64(const uint8_t *p)
{
	return (uint64_t)vchat_get32(p) << 32 | vchat_get32(p + 4);
}

uint64_t vchat_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

int vchat_frame_next(const uint8_t *buf, size_t len, const uint8_t **body, size_t *body_len,
		     size_t *consumed)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = vchat_get32(buf);
	if (n == 0 || n > VCHAT_FRAME_MAX)
		return -EMSGSIZE;
	if (len - 4 < n)
		return 0;
	*body = buf + 4;
	*body_len = n;
	*consumed = 4 + (size_t)n;
	return 1;
}

int vchat_nick_valid(const uint8_t *nick, size_t len)
{
	size_t i;

	if (len < 1 || len > VCHAT_NICK_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (nick[i] < 0x21 || nick[i] > 0x7e)
			return 0;
	return 1;
}

void vchat_sanitize(char *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	out[len] = 0;
}

static size_t frame_finish(uint8_t *out, size_t body_len)
{
	vchat_put32(out, (uint32_t)body_len);
	return 4 + body_len;
}

size_t vchat_build_hello(uint8_t *out, const char *nick)
{
	size_t n = strnlen(nick, VCHAT_NICK_MAX);

	out[4] = VCHAT_T_HELLO;
	out[5] = VCHAT_VERSION;
	out[6] = (uint8_t)n;
	memcpy(out + 7, nick, n);
	return frame_finish(out, 3 + n);
}

size_t vchat_build_welcome(uint8_t *out, uint32_t online)
{
	out[4] = VCHAT_T_WELCOME;
	out[5] = VCHAT_VERSION;
	vchat_put32(out + 6, online);
	vchat_put32(out + 10, VCHAT_FRAME_MAX);
	return frame_finish(out, VCHAT_WELCOME_LEN);
}

size_t vchat_build_presence(uint8_t *out, enum vchat_type t, uint32_t online, const char *nick,
			    const char *reason)
{
	size_t n = strnlen(nick, VCHAT_NICK_MAX);
	size_t r = reason ? strnlen(reason, 200) : 0;

	out[4] = (uint8_t)t;
	vchat_put32(out + 5, online);
	out[9] = (uint8_t)n;
	memcpy(out + 10, nick, n);
	if (r)
		memcpy(out + 10 + n, reason, r);
	return frame_finish(out, 6 + n + r);
}

size_t vchat_build_notice(uint8_t *out, const char *text)
{
	size_t n = strnlen(text, 400);

	out[4] = VCHAT_T_NOTICE;
	memcpy(out + 5, text, n);
	return frame_finish(out, 1 + n);
}

static int kind_len_ok(unsigned int kind, size_t len)
{
	if (kind == VCHAT_K_TEXT)
		return len <= VCHAT_TEXT_MAX;
	if (kind == VCHAT_K_KEYCHECK)
		return len == VCHAT_KEYCHECK_LEN;
	return 0;
}

int vchat_seal(struct vchat_crypto *c, uint64_t sender, uint64_t seq, uint64_t time_us,
	       enum vchat_kind kind, const char *nick, const void *payload, size_t len,
	       uint8_t *out, size_t outmax)
{
	size_t nl = strnlen(nick, VCHAT_NICK_MAX + 1);
	size_t pl, padded, body_len;
	uint8_t *hdr = out + 4, *ct = hdr + VCHAT_HDR_LEN, pad;
	int ret;

	if (!vchat_nick_valid((const uint8_t *)nick, nl) || !kind_len_ok(kind, len))
		return -EINVAL;
	pl = 2 + nl + len;
	padded = (pl / VCHAT_BLOCK + 1) * VCHAT_BLOCK;
	body_len = VCHAT_HDR_LEN + padded + VCHAT_MAC_LEN;
	if (body_len > VCHAT_FRAME_MAX || 4 + body_len > outmax)
		return -EMSGSIZE;

	hdr[0] = VCHAT_T_MSG;
	hdr[1] = VCHAT_VERSION;
	hdr[2] = 0;
	hdr[3] = 0;
	vchat_put64(hdr + 4, sender);
	vchat_put64(hdr + 12, seq);
	vchat_put64(hdr + 20, time_us);
	if (getrandom(hdr + 28, VCHAT_IV_LEN, 0) != VCHAT_IV_LEN)
		return -EIO;

	/* Plaintext is built in place, then encrypted in place. */
	ct[0] = (uint8_t)kind;
	ct[1] = (uint8_t)nl;
	memcpy(ct + 2, nick, nl);
	memcpy(ct + 2 + nl, payload, len);
	pad = (uint8_t)(padded - pl);
	memset(ct + pl, pad, pad);
	ret = c->ops->encrypt(c, hdr + 28, ct, ct, padded);
	if (ret)
		goto err_wipe;
	ret = c->ops->mac(c, hdr, VCHAT_HDR_LEN + padded, ct + padded);
	if (ret)
		goto err_wipe;
	return (int)frame_finish(out, body_len);

err_wipe:
	vchat_wipe(ct, padded);
	return ret;
}

int vchat_peek(const uint8_t *body, size_t len, uint64_t *sender, uint64_t *seq, uint64_t *time_us)
{
	if (len < VCHAT_MSG_MIN || body[0] != VCHAT_T_MSG ||
	    (len - VCHAT_HDR_LEN - VCHAT_MAC_LEN) % VCHAT_BLOCK)
		return -EPROTO;
	if (body[1] != VCHAT_VERSION)
		return -EPROTO;
	*sender = vchat_get64(body + 4);
	*seq = vchat_get64(body + 12);
	*time_us = vchat_get64(body + 20);
	return 0;
}

int vchat_open(struct vchat_crypto *c, const uint8_t *body, size_t len, struct vchat_msg *m)
{
	uint8_t mac[VCHAT_MAC_LEN];
	uint8_t pt[VCHAT_FRAME_MAX];
	size_t ctlen, pad, nl, i;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = vchat_peek(body, len, &m->sender, &m->seq, &m->time_us);
	if (ret)
		return ret;
	ctlen = len - VCHAT_HDR_LEN - VCHAT_MAC_LEN;
	ret = c->ops->mac(c, body, VCHAT_HDR_LEN + ctlen, mac);
	if (ret)
		return ret;
	if (!vchat_ct_equal(mac, body + len - VCHAT_MAC_LEN, VCHAT_MAC_LEN))
		return -EBADMSG;
	/* Authenticated from here on; still check every length. */
	ret = c->ops->decrypt(c, body + 28, body + VCHAT_HDR_LEN, pt, ctlen);
	if (ret)
		goto out_wipe;
	ret = -EILSEQ;
	pad = pt[ctlen - 1];
	if (pad < 1 || pad > VCHAT_BLOCK || pad > ctlen)
		goto out_wipe;
	for (i = ctlen - pad; i < ctlen; i++)
		if (pt[i] != pad)
			goto out_wipe;
	nl = pt[1];
	if (2 + nl > ctlen - pad || !vchat_nick_valid(pt + 2, nl))
		goto out_wipe;
	m->text_len = ctlen - pad - 2 - nl;
	if (!kind_len_ok(pt[0], m->text_len))
		goto out_wipe;
	m->kind = pt[0];
	memcpy(m->nick, pt + 2, nl);
	memcpy(m->text, pt + 2 + nl, m->text_len);
	m->text[m->text_len] = 0;
	ret = 0;
out_wipe:
	vchat_wipe(pt, ctlen);
	return ret;
}
