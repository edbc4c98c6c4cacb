/* SPDX-License-Identifier: MIT */
/* vprocd internals: one VM's vmmcall channel, its processes, the verifier. */
#ifndef VPROCD_H
#define VPROCD_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include <linux/filter.h>

#include <vcrypto/vmmcall.h>
#include <vcrypto/vproc_channel.h>
#include <vsig/vsig.h>

#define VPD_MAX_KEYS 16

/* Logging: level 0 error, 1 info, 2 debug. Guest-triggered lines are rate-limited. */
void vpd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vpd_log_guest(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int vpd_verbosity;

struct vpd_config {
	size_t max_image;
	unsigned int max_procs;
	unsigned int max_inflight;
	unsigned int msg_timeout_ms;
	unsigned int frame_timeout_ms;
	unsigned int poll_us; /* --poll-us: wait this long for a reply without sleeping */
	uint64_t mem_limit;
	unsigned int cpu_limit_s;
	const char *state_file;
	bool allow_weak; /* --allow-weak-isolation */
};

/* policy.c: trusted keys, revocations, the rollback floor, and the verification of an image against them */
struct vpd_floor {
	char name[VSIG_NAME_MAX + 1];
	uint64_t version;
};

struct vpd_policy {
	EVP_PKEY *keys[VPD_MAX_KEYS];
	uint8_t keyids[VPD_MAX_KEYS][VSIG_KEYID_SIZE];
	unsigned int nkeys;
	uint8_t (*revoked)[32];
	size_t nrevoked;
	struct vpd_floor *floors; /* raised by loads, kept in state_file */
	size_t nfloors;
	struct vpd_floor *minv; /* the administrator's floors (--min-version) */
	size_t nminv;
	const char *state_file;
};

int vpd_policy_add_key_pem(struct vpd_policy *p, const char *pem, size_t len, const char *what);
int vpd_policy_add_key_file(struct vpd_policy *p, const char *path);
int vpd_policy_load_revoked(struct vpd_policy *p, const char *path);
int vpd_policy_load_state(struct vpd_policy *p, const char *path);
/* "NAME=VERSION": an administrator's floor for NAME. 0 or -EINVAL. */
int vpd_policy_add_min(struct vpd_policy *p, const char *spec);
void vpd_policy_free(struct vpd_policy *p);

/*
 * Checks a signed image: .sig format, trusted key, signature, length and
 * hash, revocation, rollback floor, ELF. `img` must be the sealed bytes that
 * will run and `sha256` their digest, taken as exactly those bytes were
 * stored (conn.c says why that is the same). On success fills *sig. On
 * failure returns -VMM_E_* and writes a sentence into why.
 */
int vpd_verify_image(struct vpd_policy *p, const uint8_t *img, size_t len,
		     const uint8_t sha256[32], const uint8_t *sigb, size_t siglen, struct vsig *sig,
		     char *why, size_t whylen);
/*
 * Raises the floor for name to version and saves the state file (synced,
 * renamed, directory synced). On failure the floor is left as it was and
 * the image must not run; why gets the reason.
 */
int vpd_policy_accept(struct vpd_policy *p, const char *name, uint64_t version, char *why,
		      size_t whylen);

/* elf_check.c: 0 or -VMM_E_ELF_*; why gets the detail. */
int vpd_elf_check(const uint8_t *img, size_t len, char *why, size_t whylen);

/* sandbox.c */
#define VPD_CHILD_IMAGE_FD 4

struct vpd_sandbox {
	struct sock_fprog prog; /* the pre-exec allowlist, exported once */
	int ns_flags; /* namespaces the kernel allowed us */
	bool newpid;
	bool empty_root; /* pivot into an empty tmpfs before the exec */
	bool weak; /* less than the full sandbox (namespaces, empty root) */
	char weak_why[160]; /* what is missing and why, when weak */
	uid_t uid;
	gid_t gid;
	bool drop_ids;
	/*
	 * Template namespaces (mount with the empty root, net, ipc, uts), made
	 * once at startup when vprocd is root and entered by each child with
	 * setns(): -1 where there is none (that namespace is then unshared per
	 * process, as before). Indexed like ns_list in sandbox.c.
	 */
	int tmpl_fd[5];
	const struct vpd_config *cfg;
};

int vpd_sandbox_init(struct vpd_sandbox *sb, const struct vpd_config *cfg);
void vpd_sandbox_free(struct vpd_sandbox *sb);
/*
 * Starts the sealed image in a sandbox and waits until it has exec'd.
 * Returns 0 and pid, pidfd, chan (ours), or -errno and the failed step in why.
 */
int vpd_spawn(struct vpd_sandbox *sb, int memfd, const char *name, pid_t *pid, int *pidfd,
	      int *chan, char *why, size_t whylen);

/* proc.c + conn.c: a VM connection and its processes */
struct vpd_conn;

struct vpd_msg {
	struct vpd_msg *next;
	uint32_t req_id;
	uint32_t code;
	size_t len; /* data bytes */
	size_t cap; /* data bytes the allocation holds */
	/* the packet for the process, "u32 code | data": received into, sent as is */
	uint8_t wire[];
};

/* A message for up to len data bytes, or NULL; the connection keeps one spare. */
struct vpd_msg *vpd_msg_get(struct vpd_conn *c, size_t len);
/* Gives a message back (kept as the spare or freed); accepts NULL. */
void vpd_msg_put(struct vpd_conn *c, struct vpd_msg *m);

enum vpd_proc_state { VPD_P_LIVE, VPD_P_CLOSING, VPD_P_DEAD };

struct vpd_proc {
	struct vpd_proc *next;
	int desc;
	pid_t pid;
	int pidfd;
	int chan;
	enum vpd_proc_state state;
	char name[VSIG_NAME_MAX + 1];
	uint64_t version;
	struct vpd_msg *q_head, *q_tail; /* q_head is with the process when busy */
	bool busy;
	bool timed_out;
	uint64_t deadline_ms;
	uint64_t sent_us; /* when the message with the process was sent */
	int death_err; /* -VMM_E_* once dead */
	char death[96];
};

struct vpd_outbuf {
	struct vpd_outbuf *next;
	size_t len, off;
	uint8_t data[];
};

enum vpd_rd_state {
	VPD_RD_HDR,
	VPD_RD_PREFIX,
	VPD_RD_IMAGE,
	VPD_RD_SIG,
	VPD_RD_BODY,
	VPD_RD_DISCARD
};

struct vpd_conn {
	int fd;
	struct vpd_server *srv;
	/* input */
	enum vpd_rd_state rd;
	uint8_t hdrbuf[VMM_HDR_SIZE];
	size_t hdr_got;
	struct vmm_hdr h;
	uint8_t prefix[VMM_NEWPROC_PREFIX];
	size_t got, want; /* in the current state */
	uint64_t discard;
	bool resyncing;
	uint64_t last_rx_ms; /* when the last byte arrived */
	uint64_t replied_us; /* when the last reply to a MSG was queued */
	uint64_t t_begin_us; /* NEWPROCESS sizes accepted (debug timing) */
	/* NEWPROCESS in progress: the image goes straight into a memfd */
	int memfd;
	uint8_t *img;
	size_t img_len;
	EVP_MD_CTX *img_md; /* SHA-256 of the bytes stored so far (kept between loads) */
	uint8_t sig[VMM_MAX_SIG];
	size_t sig_len;
	struct vpd_msg *body; /* MSG being received, owned until handed to vpd_proc_msg */
	struct vpd_msg *spare; /* a used message kept for the next one (no malloc per message) */
	unsigned long replies; /* process replies relayed (the polling loops watch it) */
	uint8_t *pbuf; /* a process's reply, VPD_PBUF_SIZE bytes */
	/* output */
	struct vpd_outbuf *out_head, *out_tail;
	size_t out_bytes;
	/* processes */
	struct vpd_proc *procs;
	unsigned int nlive;
	unsigned int inflight;
	int next_desc;
};

struct vpd_server {
	struct vpd_config cfg;
	struct vpd_policy policy;
	struct vpd_sandbox sb;
};

#define VPD_PBUF_SIZE (4 + VMM_MAX_MSG + 1) /* one byte more shows truncation */
#define VPD_OUT_HIGH (4u << 20) /* stop reading the guest above this much unsent */

struct vpd_conn *vpd_conn_new(struct vpd_server *srv, int fd);
void vpd_conn_free(struct vpd_conn *c);
/* Returns 1 when bytes were read, 0 when there were none, -1 when the connection is gone. */
int vpd_conn_read(struct vpd_conn *c);
/* Feeds received bytes to the frame reader (also the fuzz entry point). */
void vpd_conn_feed(struct vpd_conn *c, const uint8_t *p, size_t n);
int vpd_conn_flush(struct vpd_conn *c);
/* When a half-received frame is given up (UINT64_MAX if none is pending). */
uint64_t vpd_conn_frame_deadline(struct vpd_conn *c);
/* Gives up a frame the guest stopped sending (e.g. its client died). */
void vpd_conn_frame_timeout(struct vpd_conn *c, uint64_t now);
void vpd_conn_reply(struct vpd_conn *c, const struct vmm_hdr *req, int desc, int status,
		    const void *data, size_t len);
void vpd_conn_error(struct vpd_conn *c, const struct vmm_hdr *req, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Like vpd_conn_reply, but written to the guest at once (one writev, no copy)
 * when nothing is queued before it; what the socket does not take is queued.
 */
void vpd_conn_reply_now(struct vpd_conn *c, const struct vmm_hdr *req, int desc, int status,
			const void *data, size_t len);

uint64_t vpd_now_ms(void);
uint64_t vpd_now_us(void);
struct vpd_proc *vpd_proc_find(struct vpd_conn *c, int desc);
int vpd_proc_new(struct vpd_conn *c, int memfd, const struct vsig *sig, char *why, size_t whylen);
/* Queues m (from vpd_msg_get, len set, data in) for process h->desc; takes m. */
void vpd_proc_msg(struct vpd_conn *c, const struct vmm_hdr *h, struct vpd_msg *m);
void vpd_proc_close(struct vpd_conn *c, const struct vmm_hdr *h);
void vpd_proc_list(struct vpd_conn *c, const struct vmm_hdr *h);
void vpd_proc_on_chan(struct vpd_conn *c, struct vpd_proc *p);
void vpd_proc_poll_replies(struct vpd_conn *c);
int vpd_conn_poll_next(struct vpd_conn *c);
void vpd_proc_on_exit(struct vpd_conn *c, struct vpd_proc *p);
void vpd_proc_timeouts(struct vpd_conn *c, uint64_t now);
uint64_t vpd_proc_next_deadline(struct vpd_conn *c);
void vpd_proc_kill_all(struct vpd_conn *c);

#endif
