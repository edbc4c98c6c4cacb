// SPDX-License-Identifier: GPL-2.0
/* Socket helpers shared by the server and the client. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
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

static int split_addr(const char *in, char *host, size_t hl, char *port,
		      size_t pl)
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
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res))
		return -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
						   SOCK_NONBLOCK, 0);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 4096) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = ret;
	}
	freeaddrinfo(res);
	if (fd >= 0 && bound && boundlen) {
		snprintf(bound, boundlen, "?");
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf),
				pbuf, sizeof(pbuf),
				NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(bound, boundlen, "%s:%s", hbuf, pbuf);
	}
	return fd;
}

int vchat_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -EHOSTUNREACH, one = 1, ret;

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
}
