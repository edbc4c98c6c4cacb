/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VCHAT_PASSPHRASE_H
#define VCHAT_PASSPHRASE_H

#include <stddef.h>

#define VCHAT_PASS_MAX 1024
#define VCHAT_PASS_ENV "VCHAT_KEY"

/*
 * Reads the room passphrase: from key_file if given, else from the
 * environment variable VCHAT_KEY (whose value is then wiped and unset), else
 * from a no-echo prompt on /dev/tty. out must hold VCHAT_PASS_MAX bytes; the
 * caller wipes it. *src names where it came from. Returns length or -errno.
 */
int vchat_read_passphrase(const char *key_file, char *out, const char **src);

#endif
