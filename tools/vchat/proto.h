/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vchat wire protocol.
 *
 * A frame is a 4-byte big-endian body length (1..VCHAT_FRAME_MAX) and the
 * body; body[0] is the frame type. The server relays MSG bodies unchanged
 * and never holds the key.
 *
 *   HELLO   c->s  type, version, nick_len, nick
 *   WELCOME s->c  type, version, u32 online, u32 frame_max
 *   MSG     c->s->c  header (44 bytes) | AES-256-CBC ciphertext | HMAC[32]
 *           header: type, version, 0, 0, u64 sender, u64 seq, u64 time_us,
 *           iv[16]; the HMAC covers header and ciphertext (encrypt-then-MAC);
 *           plaintext: kind, nick_len, nick, payload, PKCS#7 padding.
 *           kind TEXT: payload is a chat line.
 *           kind KEYCHECK: payload is the sender's join nonce[16] and the
 *           nonce[16] it answers (zero in its own announcement).
 *   JOIN    s->c  type, u32 online, nick_len, nick
 *   LEAVE   s->c  type, u32 online, nick_len, nick, reason text
 *   NOTICE  s->c  type, text (the server's reason before it closes)
 */
#ifndef VCHAT_PROTO_H
#define VCHAT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vchat_crypto.h"

/* 2: room-name salt (no server salt in WELCOME), kinds, key checks. */
#define VCHAT_VERSION 2
#define VCHAT_FRAME_MAX 4096
#define VCHAT_NICK_MAX 32
#define VCHAT_TEXT_MAX 2048
#define VCHAT_HDR_LEN 44
#define VCHAT_MSG_MIN (VCHAT_HDR_LEN + VCHAT_BLOCK + VCHAT_MAC_LEN)
#define VCHAT_WELCOME_LEN 10
#define VCHAT_NONCE_LEN 16
#define VCHAT_KEYCHECK_LEN (2 * VCHAT_NONCE_LEN)

enum vchat_type {
	VCHAT_T_HELLO = 1,
	VCHAT_T_WELCOME = 2,
	VCHAT_T_MSG = 3,
	VCHAT_T_JOIN = 4,
	VCHAT_T_LEAVE = 5,
	VCHAT_T_NOTICE = 6,
};

/* What a sealed MSG carries (first plaintext byte). */
enum vchat_kind {
	VCHAT_K_TEXT = 1,
	VCHAT_K_KEYCHECK = 2,
};

struct vchat_msg {
	uint8_t kind;
	uint64_t sender;
	uint64_t seq;
	uint64_t time_us;
	char nick[VCHAT_NICK_MAX + 1];
	size_t text_len; /* payload: the line, or the KEYCHECK nonces */
	char text[VCHAT_TEXT_MAX + 1];
};

static inline void vchat_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline uint32_t vchat_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void vchat_put64(uint8_t *p, uint64_t v);
uint64_t vchat_get64(const uint8_t *p);

/*
 * Looks for one complete frame at buf[0..len). Returns 1 and sets *body,
 * *body_len and *consumed when one is there, 0 when more bytes are needed,
 * -EMSGSIZE when the length prefix is 0 or above VCHAT_FRAME_MAX.
 */
int vchat_frame_next(const uint8_t *buf, size_t len, const uint8_t **body, size_t *body_len,
		     size_t *consumed);

/* 1 if nick is 1..VCHAT_NICK_MAX printable non-space ASCII bytes. */
int vchat_nick_valid(const uint8_t *nick, size_t len);

/* Builders write a whole frame (length prefix included); return its size. */
size_t vchat_build_hello(uint8_t *out, const char *nick);
size_t vchat_build_welcome(uint8_t *out, uint32_t online);
size_t vchat_build_presence(uint8_t *out, enum vchat_type t, uint32_t online, const char *nick,
			    const char *reason);
size_t vchat_build_notice(uint8_t *out, const char *text);

/*
 * Seals a payload of the given kind (a chat line, or the KEYCHECK nonces)
 * into a MSG frame (prefix included) in out[0..outmax). Returns the frame
 * size or a negative errno.
 */
int vchat_seal(struct vchat_crypto *c, uint64_t sender, uint64_t seq, uint64_t time_us,
	       enum vchat_kind kind, const char *nick, const void *payload, size_t len,
	       uint8_t *out, size_t outmax);

/*
 * Verifies and decrypts a MSG body. -EPROTO: malformed; -EBADMSG: MAC
 * mismatch (wrong key or tampered); -EILSEQ: bad padding or contents after
 * a valid MAC. The header fields of m are set whenever the shape is valid.
 */
int vchat_open(struct vchat_crypto *c, const uint8_t *body, size_t len, struct vchat_msg *m);

/* Reads the clear header of a MSG body (no crypto). */
int vchat_peek(const uint8_t *body, size_t len, uint64_t *sender, uint64_t *seq, uint64_t *time_us);

/* Copies s into out making every control or non-ASCII byte a '?'. */
void vchat_sanitize(char *out, const char *s, size_t len);

/*
 * What a client knows of each sender id it has accepted an authenticated
 * frame from: the replay check, and the key-check state (client.c).
 */
struct vchat_peer {
	uint64_t sender;
	uint64_t seq; /* highest sequence number accepted */
	uint64_t floor; /* its KEYCHECK that answered our nonce had this seq */
	uint8_t used;
	uint8_t fresh; /* it answered our join nonce: frames above floor show */
	uint8_t answered; /* we answered its nonce */
	uint8_t gone; /* the server said it left */
	char nick[VCHAT_NICK_MAX + 1];
};

struct vchat_replay;
struct vchat_replay *vchat_replay_new(void);
/* 0 and records seq if seq is above the last one of sender; -EALREADY if not. */
int vchat_replay_check(struct vchat_replay *r, uint64_t sender, uint64_t seq);
/* The entry of sender (NULL if none); valid until the next replay_check. */
struct vchat_peer *vchat_replay_find(struct vchat_replay *r, uint64_t sender);
/* Walks every entry: start with *pos = 0; NULL at the end. */
struct vchat_peer *vchat_replay_next(struct vchat_replay *r, size_t *pos);
void vchat_replay_free(struct vchat_replay *r);

uint64_t vchat_now_us(void);

#endif
