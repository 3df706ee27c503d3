// SPDX-License-Identifier: Apache-2.0
/*
 * crr-client: new TCP connections per second, like netperf's TCP_CRR without the request.
 *
 *   crr-client ADDRESS[,ADDRESS...] PORT SECONDS CONCURRENCY [rst]
 *
 * IPv4 or IPv6 addresses. Several (at most 16, families mixed as given) are used in turn, one per new connection: the baseline "the backends'
 * pod IPs directly" for a service over the same backends.
 *
 * Keeps CONCURRENCY non-blocking connections in flight from one thread (epoll): each connects, reads
 * the server's reply to EOF, closes, and is replaced by a new one at once. A connection counts when
 * its reply was a non-empty line; the replies are counted by text (the lab's TCP 80 answers with the
 * backend pod's name). A connection with no answer after 2 s (e.g. a dropped SYN) is closed and
 * counted as an error. The server closes first, so TIME_WAIT sits at the server and the client's
 * ephemeral port is free again at once; "rst" closes with RST (SO_LINGER 0) instead of FIN.
 *
 * Prints one line: ok=N errors=E ns=ELAPSED replies=name:n,... [firstError=...]
 * Exit 0 when it ran (even with errors), 2 on bad arguments, 1 on a setup failure.
 * Built by scripts/bench-services.sh (cc -O2); run by weir-bench services inside the client pod.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONC 1024
#define MAX_REPLIES 32
#define REPLY_MAX 128
#define TIMEOUT_NS 2000000000LL

struct conn {
	int fd;
	long long started;
	int len;
	char buf[REPLY_MAX];
};

#define MAX_TARGETS 16

static struct sockaddr_storage targets[MAX_TARGETS];
static int ntargets, next_target;
static int epfd, rst_close;
static long long ok_count, err_count;
static char first_error[128];
static char reply_text[MAX_REPLIES][REPLY_MAX];
static long long reply_count[MAX_REPLIES];
static int replies;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void error(const char *what, int err)
{
	err_count++;
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s:%s", what, strerror(err));
}

static void count_reply(struct conn *c)
{
	int n = c->len;

	while (n > 0 && (c->buf[n - 1] == '\n' || c->buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		error("reply", ENODATA);
		return;
	}
	c->buf[n] = 0;
	for (int i = 0; i < n; i++)
		if (c->buf[i] == ' ')
			c->buf[i] = '_';
	ok_count++;
	for (int i = 0; i < replies; i++) {
		if (!strcmp(reply_text[i], c->buf)) {
			reply_count[i]++;
			return;
		}
	}
	if (replies < MAX_REPLIES) {
		strcpy(reply_text[replies], c->buf);
		reply_count[replies++] = 1;
	}
}

static void finish(struct conn *c)
{
	if (rst_close) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd); /* also removes it from the epoll set */
	c->fd = -1;
}

static void start(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
	int one = 1;

	c->len = 0;
	c->started = now_ns();
	struct sockaddr_storage *target = &targets[next_target++ % ntargets];
	socklen_t len = target->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	c->fd = socket(target->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		error("socket", errno);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)target, len) < 0 && errno != EINPROGRESS) {
		error("connect", errno);
		finish(c);
		return;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		error("epoll_ctl", errno);
		finish(c);
	}
}

/* Reads what is there; returns 1 when the connection is done (EOF or error), 0 to wait for more. */
static int readable(struct conn *c)
{
	for (;;) {
		char *p = c->buf + c->len;
		int room = REPLY_MAX - 1 - c->len;
		char sink[256];
		ssize_t r = room > 0 ? read(c->fd, p, room) : read(c->fd, sink, sizeof(sink));

		if (r > 0) {
			if (room > 0)
				c->len += r;
			continue;
		}
		if (r == 0) {
			count_reply(c);
			return 1;
		}
		if (errno == EAGAIN)
			return 0;
		error("read", errno);
		return 1;
	}
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONC];
	struct epoll_event events[64];
	long long begin, deadline, end;
	int conc;
	char *list, *tok, *save = NULL;

	if (argc < 5) {
		fprintf(stderr, "usage: crr-client ADDRESS[,ADDRESS...] PORT SECONDS CONCURRENCY [rst]\n");
		return 2;
	}
	list = strdup(argv[1]);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&targets[ntargets];
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&targets[ntargets];

		if (ntargets == MAX_TARGETS) {
			fprintf(stderr, "crr-client: too many addresses in '%s' (at most %d)\n", argv[1], MAX_TARGETS);
			return 2;
		}
		if (inet_pton(AF_INET, tok, &v4->sin_addr) == 1) {
			v4->sin_family = AF_INET;
			v4->sin_port = htons(atoi(argv[2]));
		} else if (inet_pton(AF_INET6, tok, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(atoi(argv[2]));
		} else {
			fprintf(stderr, "crr-client: '%s' in '%s' is not an IPv4 or IPv6 address\n", tok, argv[1]);
			return 2;
		}
		ntargets++;
	}
	free(list);
	if (ntargets == 0) {
		fprintf(stderr, "crr-client: no address\n");
		return 2;
	}
	conc = atoi(argv[4]);
	if (conc < 1 || conc > MAX_CONC) {
		fprintf(stderr, "crr-client: CONCURRENCY must be 1..%d\n", MAX_CONC);
		return 2;
	}
	rst_close = argc > 5 && !strcmp(argv[5], "rst");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("crr-client: epoll_create1");
		return 1;
	}
	begin = now_ns();
	deadline = begin + (long long)(atof(argv[3]) * 1e9);
	for (int i = 0; i < conc; i++)
		start(&conns[i]);
	while (now_ns() < deadline) {
		int n = epoll_wait(epfd, events, 64, 50);
		long long t;

		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (c->fd >= 0 && readable(c)) {
				finish(c);
				start(c);
			}
		}
		t = now_ns();
		for (int i = 0; i < conc; i++) {
			if (conns[i].fd < 0) {
				start(&conns[i]);
			} else if (t - conns[i].started > TIMEOUT_NS) {
				error("timeout", ETIMEDOUT);
				finish(&conns[i]);
				start(&conns[i]);
			}
		}
	}
	end = now_ns();
	printf("ok=%lld errors=%lld ns=%lld replies=", ok_count, err_count, end - begin);
	for (int i = 0; i < replies; i++)
		printf("%s%s:%lld", i ? "," : "", reply_text[i], reply_count[i]);
	if (first_error[0])
		printf(" firstError=%s", first_error);
	printf("\n");
	return 0;
}
