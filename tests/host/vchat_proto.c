// SPDX-License-Identifier: GPL-2.0
/*
 * vchat_proto: TAP test of vchat's frame parsing, sealing/opening and replay
 * table with the openssl provider (run as a host test).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "proto.h"
#include "tap.h"

static struct vchat_crypto *provider(uint8_t fill)
{
	uint8_t ek[32], mk[32];
	int err = 0;

	memset(ek, fill, sizeof(ek));
	memset(mk, fill ^ 0x5a, sizeof(mk));
	return vchat_crypto_new(VCHAT_CRYPTO_OPENSSL, ek, mk, &err, NULL, 0);
}

/* A MSG whose plaintext is chosen freely, then encrypted and MACed properly. */
static size_t forge(struct vchat_crypto *c, uint8_t *f, const uint8_t *pt, size_t ptlen)
{
	uint8_t *h = f + 4;

	memset(h, 0, VCHAT_HDR_LEN);
	h[0] = VCHAT_T_MSG;
	h[1] = 2; /* protocol 2 */
	vchat_put64(h + 4, 9);
	vchat_put64(h + 12, 1);
	memcpy(h + VCHAT_HDR_LEN, pt, ptlen);
	c->ops->encrypt(c, h + 28, h + VCHAT_HDR_LEN, h + VCHAT_HDR_LEN, ptlen);
	c->ops->mac(c, h, VCHAT_HDR_LEN + ptlen, h + VCHAT_HDR_LEN + ptlen);
	return VCHAT_HDR_LEN + ptlen + VCHAT_MAC_LEN;
}

int main(void)
{
	struct vchat_crypto *c = provider(1), *other = provider(2);
	uint8_t f[4 + VCHAT_FRAME_MAX + 64], g[sizeof(f)], pt[64];
	char text[VCHAT_TEXT_MAX + 16];
	const uint8_t *body;
	size_t blen, used, i;
	struct vchat_msg m;
	struct vchat_replay *r;
	int n, bad, len;

	if (!c || !other) {
		tap_ok(0, "openssl provider");
		return 1;
	}
	/* Frame boundaries. */
	vchat_put32(f, 0);
	tap_ok(vchat_frame_next(f, 4, &body, &blen, &used) == -EMSGSIZE, "length 0 is refused");
	vchat_put32(f, VCHAT_FRAME_MAX + 1);
	tap_ok(vchat_frame_next(f, 4, &body, &blen, &used) == -EMSGSIZE,
	   "length %d (max + 1) is refused", VCHAT_FRAME_MAX + 1);
	vchat_put32(f, VCHAT_FRAME_MAX);
	tap_ok(vchat_frame_next(f, 4 + VCHAT_FRAME_MAX - 1, &body, &blen, &used) == 0,
	   "a frame of the maximum length one byte short waits for more");
	tap_ok(vchat_frame_next(f, 4 + VCHAT_FRAME_MAX, &body, &blen, &used) == 1 &&
		   blen == VCHAT_FRAME_MAX && used == 4 + VCHAT_FRAME_MAX,
	   "a frame of exactly the maximum length is accepted");
	tap_ok(vchat_frame_next(f, 3, &body, &blen, &used) == 0, "three bytes of prefix wait for more");

	/* Round trips across padding edges and the text limit. */
	memset(text, 'a', sizeof(text));
	bad = 0;
	for (i = 0; i <= VCHAT_TEXT_MAX; i += (i < 64 ? 1 : 97)) {
		len = vchat_seal(c, 42, i + 1, 1234, VCHAT_K_TEXT, "nick", text, i, f, sizeof(f));
		if (len < 0 || vchat_open(c, f + 4, (size_t)len - 4, &m) || m.text_len != i ||
		    memcmp(m.text, text, i) || strcmp(m.nick, "nick") || m.sender != 42 ||
		    m.seq != i + 1 || m.time_us != 1234)
			bad++;
	}
	len = vchat_seal(c, 42, 1, 0, VCHAT_K_TEXT, "nick", text, VCHAT_TEXT_MAX, f, sizeof(f));
	tap_ok(!bad && len > 0, "seal/open round trip for text of 0..%d bytes", VCHAT_TEXT_MAX);
	tap_ok(vchat_seal(c, 42, 1, 0, VCHAT_K_TEXT, "nick", text, VCHAT_TEXT_MAX + 1, f, sizeof(f)) ==
		   -EINVAL,
	   "text above %d bytes is refused", VCHAT_TEXT_MAX);
	tap_ok(vchat_seal(c, 42, 1, 0, VCHAT_K_TEXT, "bad nick", text, 1, f, sizeof(f)) == -EINVAL,
	   "a nick with a space is refused");

	/* Two seals of the same text differ (fresh IV). */
	len = vchat_seal(c, 1, 1, 0, VCHAT_K_TEXT, "n", "same", 4, f, sizeof(f));
	n = vchat_seal(c, 1, 1, 0, VCHAT_K_TEXT, "n", "same", 4, g, sizeof(g));
	tap_ok(len == n && memcmp(f + 4 + 28, g + 4 + 28, 16) &&
		   memcmp(f + 4 + VCHAT_HDR_LEN, g + 4 + VCHAT_HDR_LEN, 16),
	   "the same line sealed twice has different IVs and ciphertexts");

	/* Every single-bit flip of header, ciphertext or MAC is caught. */
	len = vchat_seal(c, 7, 3, 99, VCHAT_K_TEXT, "alice", "attack at dawn", 14, f, sizeof(f));
	bad = 0;
	for (i = 0; i < (size_t)(len - 4) * 8; i++) {
		memcpy(g, f, (size_t)len);
		g[4 + i / 8] ^= (uint8_t)(1 << (i % 8));
		n = vchat_open(c, g + 4, (size_t)len - 4, &m);
		if (n != -EBADMSG && n != -EPROTO)
			bad++;
	}
	tap_ok(!bad, "all %d single-bit flips are refused (EBADMSG or EPROTO)", (len - 4) * 8);
	tap_ok(vchat_open(other, f + 4, (size_t)len - 4, &m) == -EBADMSG, "another key gets EBADMSG");
	tap_ok(vchat_open(c, f + 4, (size_t)len - 4 - 16, &m) == -EBADMSG,
	   "a body cut by one block fails the MAC");
	tap_ok(vchat_open(c, f + 4, (size_t)len - 5, &m) == -EPROTO,
	   "a body cut by one byte is malformed");
	tap_ok(vchat_open(c, f + 4, VCHAT_MSG_MIN - 1, &m) == -EPROTO,
	   "a body shorter than the minimum is malformed");

	/* Authentic but bad contents (plaintext: kind, nick_len, nick, payload, padding). */
	memset(pt, 0, sizeof(pt));
	pt[0] = VCHAT_K_TEXT;
	pt[1] = 1;
	pt[2] = 'x';
	pt[15] = 0; /* padding byte 0 */
	n = (int)forge(c, f, pt, 16);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ, "valid MAC, padding byte 0: EILSEQ");
	memset(pt, 16, 16);
	pt[0] = VCHAT_K_TEXT;
	pt[1] = 1;
	memset(pt + 16, 17, 16);
	n = (int)forge(c, f, pt, 32);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ, "valid MAC, padding byte 17: EILSEQ");
	memset(pt, 0, 32);
	pt[0] = VCHAT_K_TEXT;
	pt[1] = 40; /* nick longer than the plaintext */
	memset(pt + 16, 16, 16);
	n = (int)forge(c, f, pt, 32);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ,
	   "valid MAC, nick length past the end: EILSEQ");
	memset(pt, 0, 16);
	pt[0] = VCHAT_K_TEXT;
	pt[1] = 2;
	pt[2] = 'a';
	pt[3] = '\n'; /* control character in the nick */
	memset(pt + 4, 12, 12);
	n = (int)forge(c, f, pt, 16);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ,
	   "valid MAC, control character in the nick: EILSEQ");
	memset(pt, 0, 16);
	pt[0] = 7; /* no such kind */
	pt[1] = 1;
	pt[2] = 'a';
	memset(pt + 3, 13, 13);
	n = (int)forge(c, f, pt, 16);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ, "valid MAC, unknown kind 7: EILSEQ");
	memset(pt, 0, 32);
	pt[0] = VCHAT_K_KEYCHECK;
	pt[1] = 1;
	pt[2] = 'a';
	memset(pt + 19, 13, 13); /* 16 payload bytes: a key check needs 32 */
	n = (int)forge(c, f, pt, 32);
	tap_ok(vchat_open(c, f + 4, (size_t)n, &m) == -EILSEQ,
	   "valid MAC, key check with a 16-byte payload: EILSEQ");

	/* Key checks: two nonces, sealed and opened like lines. */
	for (i = 0; i < 32; i++)
		pt[i] = (uint8_t)(0xa0 + i);
	len = vchat_seal(c, 77, 5, 0, VCHAT_K_KEYCHECK, "kc", pt, 32, f, sizeof(f));
	tap_ok(len > 0 && vchat_open(c, f + 4, (size_t)len - 4, &m) == 0 &&
		   m.kind == VCHAT_K_KEYCHECK && m.text_len == 32 && !memcmp(m.text, pt, 32) &&
		   m.sender == 77 && m.seq == 5,
	   "a key check round trip keeps its kind and both nonces");
	tap_ok(vchat_seal(c, 77, 6, 0, VCHAT_K_KEYCHECK, "kc", pt, 31, f, sizeof(f)) == -EINVAL,
	   "a key check of 31 bytes is refused");
	len = vchat_seal(c, 77, 7, 0, VCHAT_K_TEXT, "kc", "line", 4, f, sizeof(f));
	tap_ok(len > 0 && vchat_open(c, f + 4, (size_t)len - 4, &m) == 0 && m.kind == VCHAT_K_TEXT,
	   "a chat line opens as kind TEXT");

	/* WELCOME carries no salt any more: version, online, frame maximum. */
	len = (int)vchat_build_welcome(f, 3);
	tap_ok(len == 4 + 10 && f[4] == VCHAT_T_WELCOME && f[5] == 2 && vchat_get32(f + 6) == 3 &&
		   vchat_get32(f + 10) == VCHAT_FRAME_MAX,
	   "WELCOME is 10 bytes: type, version 2, online, frame maximum (no salt)");

	/*
	 * The room key, against OpenSSL directly: salt = SHA-256("vchat/2 room
	 * salt" 0x00 room), PBKDF2-HMAC-SHA256, 100,000 iterations, 64 bytes.
	 */
	{
		static const char label[] = "vchat/2 room salt";
		uint8_t in[64], salt[32], ref[64], ek[32], mk[32], ek2[32], mk2[32];
		char room[66];

		memcpy(in, label, sizeof(label));
		memcpy(in + sizeof(label), "kitchen", 7);
		SHA256(in, sizeof(label) + 7, salt);
		PKCS5_PBKDF2_HMAC("pw", 2, salt, 32, 100000, EVP_sha256(), 64, ref);
		tap_ok(vchat_kdf("pw", 2, "kitchen", ek, mk) == 0 && !memcmp(ek, ref, 32) &&
			   !memcmp(mk, ref + 32, 32),
		   "room key = PBKDF2-HMAC-SHA256(pass, SHA-256(label 0 room), 100000) (OpenSSL)");
		tap_ok(vchat_kdf("pw", 2, "kitchen2", ek2, mk2) == 0 && memcmp(ek, ek2, 32) &&
			   memcmp(mk, mk2, 32),
		   "another room name gives another key");
		memset(room, 'r', 65);
		room[65] = 0;
		tap_ok(vchat_kdf("pw", 2, room, ek2, mk2) == -EINVAL,
		   "a room name of 65 bytes is refused");
	}

	/* The peer table behind the replay check. */
	r = vchat_replay_new();
	vchat_replay_check(r, 11, 1);
	vchat_replay_check(r, 12, 4);
	{
		struct vchat_peer *p = vchat_replay_find(r, 12);
		size_t pos = 0, seen = 0;

		tap_ok(p && p->seq == 4 && !p->fresh && !p->answered && !vchat_replay_find(r, 13),
		   "peer table: found with its sequence, nothing fresh or answered yet");
		while (vchat_replay_next(r, &pos))
			seen++;
		tap_ok(seen == 2, "peer table: the walk sees both senders");
	}
	vchat_replay_free(r);

	/* Display sanitising. */
	vchat_sanitize(text, "a\033[2J\x7f\xffz", 8);
	tap_ok(!strcmp(text, "a?[2J??z"), "control and non-ASCII bytes shown as '?'");

	/* Replay table. */
	r = vchat_replay_new();
	tap_ok(r && vchat_replay_check(r, 5, 1) == 0 && vchat_replay_check(r, 5, 2) == 0 &&
		   vchat_replay_check(r, 5, 2) == -EALREADY &&
		   vchat_replay_check(r, 5, 1) == -EALREADY && vchat_replay_check(r, 6, 1) == 0 &&
		   vchat_replay_check(r, 5, 10) == 0,
	   "replay: higher sequence accepted, same or lower refused, per sender");
	bad = 0;
	for (i = 1; i <= 100000; i++)
		bad += vchat_replay_check(r, i * 7919, 1) != 0 && i != 5 && i != 6;
	for (i = 1; i <= 100000; i++)
		bad += vchat_replay_check(r, i * 7919, 1) != -EALREADY;
	tap_ok(!bad, "replay: 100,000 senders remembered across table growth");
	vchat_replay_free(r);

	vchat_crypto_free(c);
	vchat_crypto_free(other);
	printf("1..%d\n", tap_count());
	return tap_status();
}
