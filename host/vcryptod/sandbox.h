/* SPDX-License-Identifier: MIT */
/* seccomp allowlist installed after setup, before the first connection. */
#ifndef VCD_SANDBOX_H
#define VCD_SANDBOX_H

enum vcd_seccomp_mode { VCD_SECCOMP_KILL, VCD_SECCOMP_LOG, VCD_SECCOMP_NONE };

/* Parses "kill", "log" or "none"; -1 if none of them. */
int vcd_seccomp_parse(const char *s);
/*
 * Installs the filter for the named engine (afalg needs AF_ALG sockets,
 * cryptodev needs ioctl). Returns 0, 1 when skipped (mode none, or running
 * under valgrind or a sanitizer, whose runtimes make calls outside the list),
 * or negative errno.
 */
int vcd_seccomp_install(int mode, const char *engine, const char **why);

/*
 * The front process's filter (front.c): its connection and the worker's
 * socket, waiting for children, no process creation, no exec, no threads,
 * no new sockets but AF_UNIX pairs, no mapping of anything executable.
 * Same return values.
 */
int vcd_seccomp_install_front(int mode, const char **why);

/* What the start-up line says of the filter: "on", "log" or "off" (ret: the install's result). */
const char *vcd_seccomp_state(int mode, int ret);

#endif
