/* SPDX-License-Identifier: MIT */
/*
 * The process channel: how vprocd talks to a process it runs in its sandbox.
 * One definition for both sides: vprocd (host/vprocd) and the process SDK
 * (sdk/vproc.h), and for processes written without the SDK.
 *
 * The process finds the channel at fd VPROC_CHANNEL_FD, a SOCK_SEQPACKET
 * socket; nothing else is open. One packet per message, one message at a
 * time: vprocd sends a request and waits for its reply before the next.
 *
 *   request:  le32 code    message code chosen by the guest
 *             data         0..VPROC_MAX_MSG bytes
 *   reply:    le32 status  (signed) >= 0 is passed to the guest as is,
 *                          negative is an error (-errno)
 *             data         0..VPROC_MAX_MSG bytes
 *
 * A packet shorter than VPROC_HDR_SIZE or longer than VPROC_HDR_SIZE +
 * VPROC_MAX_MSG is a protocol error: vprocd ends the process.
 */
#ifndef VCRYPTO_VPROC_CHANNEL_H
#define VCRYPTO_VPROC_CHANNEL_H

#include <vcrypto/vmmcall.h>

#define VPROC_CHANNEL_FD 3
#define VPROC_HDR_SIZE 4u
/* The guest's limit for a message (vmmcall.h) is the channel's too. */
#define VPROC_MAX_MSG VMM_MAX_MSG

#endif
