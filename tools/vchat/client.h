/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VCHAT_CLIENT_H
#define VCHAT_CLIENT_H

#include "vchat_crypto.h"

struct vchat_client_opts {
	const char *host;
	const char *port;
	const char *nick;
	const char *key_file;
	const char *room; /* the PBKDF2 salt comes from it */
	enum vchat_crypto_kind crypto;
	unsigned int linger_ms; /* keep reading this long after stdin EOF */
};

/* Runs one chat session. Returns 0, or a negative errno. */
int vchat_client_run(const struct vchat_client_opts *o);

#endif
