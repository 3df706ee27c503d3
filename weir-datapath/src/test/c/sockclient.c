// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of the socket-LB kernel tests (SockLbKernelTest), built by clang
 * in the test build. With --cgroup DIR it first moves itself into that cgroup
 * (writes its pid to DIR/cgroup.procs), so every socket it opens afterwards is
 * under the hooks attached there.
 *
 *   sockclient [--cgroup DIR] MODE ADDR PORT COUNT [BINDADDR BINDPORT]
 *
 * MODE: tcp  connect(), read the backend's line, getpeername()
 *       udp  sendto() on an unconnected socket, recvfrom()
 *       udpc connect(), send(), recvfrom(), getpeername()
 *       listen  a TCP socket of ADDR's family: listen() (after the bind, if any),
 *               no connection (ADDR and PORT only name the family)
 * One line per try on stdout:
 *   ok id=ID peer=ADDR:PORT local=PORT   (peer: getpeername() or recvfrom()'s source)
 *   err op=OP errno=N NAME
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int parse(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "bad address %s\n", addr);
	exit(2);
}

static void text(const struct sockaddr_storage *ss, char *out, size_t n, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, out, n);
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, out, n);
		*port = ntohs(s6->sin6_port);
	}
}

static int fail(const char *op, int fd)
{
	int e = errno;

	printf("err op=%s errno=%d %s\n", op, e, strerrorname_np(e));
	if (fd >= 0)
		close(fd);
	return 1;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[64];
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		text(&ss, buf, sizeof(buf), &port);
	return port;
}

static int once(const char *mode, int family, struct sockaddr_storage *dst, socklen_t dlen,
		const char *baddr, int bport)
{
	int dgram = strcmp(mode, "tcp") != 0 && strcmp(mode, "listen") != 0;
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char id[64] = "", pbuf[64];
	int fd, one = 1, pport = 0;
	ssize_t n;

	fd = socket(family, dgram ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket", -1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (baddr) {
		struct sockaddr_storage b;
		socklen_t blen;

		parse(baddr, bport, &b, &blen);
		if (bind(fd, (struct sockaddr *)&b, blen) < 0)
			return fail("bind", fd);
	}
	if (!strcmp(mode, "listen")) {
		if (listen(fd, 1) < 0)
			return fail("listen", fd);
		printf("ok id=listen peer=%s:0 local=%d\n", family == AF_INET ? "0.0.0.0" : "[::]", local_port(fd));
		close(fd);
		return 0;
	}
	if (!strcmp(mode, "udp")) {
		if (sendto(fd, "ping", 4, 0, (struct sockaddr *)dst, dlen) < 0)
			return fail("sendto", fd);
	} else {
		if (connect(fd, (struct sockaddr *)dst, dlen) < 0)
			return fail("connect", fd);
		if (dgram && send(fd, "ping", 4, 0) < 0)
			return fail("send", fd);
	}
	if (dgram) {
		n = recvfrom(fd, id, sizeof(id) - 1, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return fail("recvfrom", fd);
	} else {
		size_t got = 0;

		while (got < sizeof(id) - 1 && (n = read(fd, id + got, sizeof(id) - 1 - got)) > 0)
			got += n;
		if (n < 0)
			return fail("read", fd);
		n = got;
	}
	id[n] = 0;
	id[strcspn(id, "\r\n")] = 0;
	if (strcmp(mode, "udp")) {
		plen = sizeof(peer);
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
			return fail("getpeername", fd);
	}
	text(&peer, pbuf, sizeof(pbuf), &pport);
	printf(strchr(pbuf, ':') ? "ok id=%s peer=[%s]:%d local=%d\n" : "ok id=%s peer=%s:%d local=%d\n",
	       id, pbuf, pport, local_port(fd));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst;
	socklen_t dlen;
	int i = 1, count, family;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "--cgroup")) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[2]);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			perror(path);
			return 2;
		}
		i = 3;
	}
	if (argc - i != 4 && argc - i != 6) {
		fprintf(stderr, "usage: sockclient [--cgroup DIR] tcp|udp|udpc|listen ADDR PORT COUNT [BINDADDR BINDPORT]\n");
		return 2;
	}
	family = parse(argv[i + 1], atoi(argv[i + 2]), &dst, &dlen);
	count = atoi(argv[i + 3]);
	for (int k = 0; k < count; k++)
		once(argv[i], family, &dst, dlen, argc - i == 6 ? argv[i + 4] : NULL,
		     argc - i == 6 ? atoi(argv[i + 5]) : 0);
	return 0;
}
