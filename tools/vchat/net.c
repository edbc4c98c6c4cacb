// SPDX-License-Identifier: GPL-2.0
/* Socket helpers shared by the server and the client. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

int vchat_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void vchat_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int split_addr(const char *in, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon;
	size_t n;

	if (in[0] == '[') {
		const char *end = strchr(in, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - in - 1);
		colon = end + 1;
		in++;
	} else {
		colon = strrchr(in, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - in);
	}
	if (n >= hl || strlen(colon + 1) >= pl || !colon[1])
		return -EINVAL;
	memcpy(host, in, n);
	host[n] = 0;
	strcpy(port, colon + 1);
	return 0;
}

/*
 * Numeric addresses are parsed here, without the resolver: the static guest
 * build has no NSS, and is compiled with VCHAT_NO_RESOLVER (numeric only).
 */
static int numeric_addr(const char *host, const char *port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char *end;
	unsigned long p;

	p = strtoul(port, &end, 10);
	if (!*port || *end || p > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (!*host) {
		host = "0.0.0.0";
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	return -EADDRNOTAVAIL;
}

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
		snprintf(out, n, "%s:%u", a, ntohs(in4->sin_port));
	} else {
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, n, "[%s]:%u", a, ntohs(in6->sin6_port));
	}
}

static int sock_for(const struct sockaddr_storage *ss, socklen_t len, int listening)
{
	int fd, one = 1, ret;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | (listening ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	if (listening) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)ss, len) == 0 && listen(fd, 4096) == 0)
			return fd;
	} else {
		if (connect(fd, (const struct sockaddr *)ss, len) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
	}
	ret = -errno;
	close(fd);
	return ret;
}

int vchat_listen(const char *addrport, char *bound, size_t boundlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[32], hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
	int fd = -EADDRNOTAVAIL, one = 1, ret;

	ret = split_addr(addrport, host, sizeof(host), port, sizeof(port));
	if (ret)
		return ret;
	if (numeric_addr(host, port, &ss, &sl) == 0) {
		fd = sock_for(&ss, sl, 1);
		sl = sizeof(ss);
		if (fd >= 0 && bound && boundlen) {
			if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
				addr_str(&ss, bound, boundlen);
			else
				snprintf(bound, boundlen, "?");
		}
		return fd;
	}
#ifdef VCHAT_NO_RESOLVER
	(void)hints;
	(void)res;
	(void)ai;
	(void)one;
	(void)hbuf;
	(void)pbuf;
	return -EADDRNOTAVAIL;
#else
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res))
		return -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = ret;
	}
	freeaddrinfo(res);
	if (fd >= 0 && bound && boundlen) {
		snprintf(bound, boundlen, "?");
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), pbuf, sizeof(pbuf),
				NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(bound, boundlen, "%s:%s", hbuf, pbuf);
	}
	return fd;
#endif
}

int vchat_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -EHOSTUNREACH, one = 1, ret;

	if (numeric_addr(host, port, &ss, &sl) == 0)
		return sock_for(&ss, sl, 0);
#ifdef VCHAT_NO_RESOLVER
	(void)hints;
	(void)res;
	(void)ai;
	(void)one;
	(void)ret;
	(void)fd;
	return -EADDRNOTAVAIL;
#else
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return ret == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = ret;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
#endif
}
