// SPDX-License-Identifier: GPL-2.0
/*
 * TCP test and benchmark tool of the sockmap lab test (SockmapLabTest) and
 * scripts/bench-sockmap.sh, built by clang. The client's first byte picks
 * what the server does with the connection: 'E' echo everything back, 'D'
 * discard it and answer the byte count (8 bytes, big-endian) after EOF. The
 * client sends that byte 20 ms after connect() returns (see dial()).
 *
 *   tcpecho server PORT                     listen on [::]:PORT (IPv4 too), a child per connection
 *   tcpecho check ADDR PORT BYTES CHUNK     send BYTES of a pseudo-random stream in CHUNK writes while
 *                                           reading the echo; verify it byte for byte
 *                                           -> "ok bytes=N" | "err ..." (exit 1)
 *   tcpecho session ADDR PORT TIMEOUT_MS    one connection ("connected LOCALPORT"; the mode byte goes with
 *                                           the first line); per stdin line "N": send N bytes, await the
 *                                           echo -> "ok N" | "timeout" | "err ..."; EOF ends
 *   tcpecho rr ADDR PORT SIZE COUNT         COUNT round trips of SIZE bytes after 10% warm-up
 *                                           -> "rr size=S count=C p50_us=X p99_us=Y"
 *   tcpecho stream ADDR PORT SIZE SECONDS   SIZE-byte writes for SECONDS, then the server's count
 *                                           -> "stream size=S bytes=N seconds=T mbit_s=R"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("err %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The byte stream both ends can recompute: xorshift32, one byte per step. */
struct stream {
	uint32_t x;
};

static unsigned char next_byte(struct stream *s)
{
	s->x ^= s->x << 13;
	s->x ^= s->x >> 17;
	s->x ^= s->x << 5;
	return (unsigned char)s->x;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void serve(int fd)
{
	static char buf[1 << 16];
	unsigned char mode, count[8];
	uint64_t total = 0;
	ssize_t n;
	int i;

	if (read_all(fd, &mode, 1))
		_exit(0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (mode == 'E' && write_all(fd, buf, n))
			_exit(0);
		total += n;
	}
	if (mode == 'D') {
		for (i = 0; i < 8; i++)
			count[i] = total >> (56 - 8 * i);
		write_all(fd, count, 8);
	}
	_exit(0);
}

static int server(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int one = 1, zero = 0, s, c;

	signal(SIGCHLD, SIG_IGN);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128))
		die("bind/listen");
	printf("listening %d\n", port);
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		if (fork() == 0) {
			close(s);
			serve(c);
		}
		close(c);
	}
}

static int dial(const char *addr, int port, char mode)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	} else {
		printf("err bad address %s\n", addr);
		exit(2);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len))
		die("connect");
	/*
	 * let the handshake's last ACK reach the server before the first byte:
	 * with weir's sockmap, a message sent before the server's socket is in
	 * the sockhash goes by TCP, and so does the rest of the connection
	 */
	usleep(20000);
	if (mode && write_all(fd, &mode, 1))
		die("write");
	return fd;
}

/* Sends len bytes of out while checking the echo against in; 0, or -1 with err set. */
static int exchange(int fd, uint64_t len, size_t chunk, struct stream *out, struct stream *in,
		    int timeout_ms, const char **err)
{
	static unsigned char sbuf[1 << 20], rbuf[1 << 16];
	uint64_t sent = 0, got = 0;
	size_t have = 0, off = 0, i;
	struct pollfd p = { .fd = fd };
	ssize_t n;

	if (chunk > sizeof(sbuf))
		chunk = sizeof(sbuf);
	while (got < len) {
		if (off == have && sent < len) {
			have = len - sent < chunk ? len - sent : chunk;
			for (i = 0; i < have; i++)
				sbuf[i] = next_byte(out);
			off = 0;
		}
		p.events = POLLIN | (off < have ? POLLOUT : 0);
		n = poll(&p, 1, timeout_ms);
		if (n == 0) {
			*err = "timeout";
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = "poll";
			return -1;
		}
		if ((p.revents & POLLOUT) && off < have) {
			n = write(fd, sbuf + off, have - off);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				*err = "write";
				return -1;
			}
			if (n > 0) {
				off += n;
				sent += n;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, rbuf, sizeof(rbuf));
			if (n == 0) {
				*err = "closed";
				return -1;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				*err = "read";
				return -1;
			}
			for (i = 0; n > 0 && i < (size_t)n; i++) {
				if (rbuf[i] != next_byte(in)) {
					*err = "corrupt";
					return -1;
				}
			}
			if (n > 0)
				got += n;
		}
	}
	return 0;
}

static int check(const char *addr, int port, uint64_t bytes, size_t chunk)
{
	struct stream out = { 0x9e3779b9 }, in = { 0x9e3779b9 };
	const char *err;
	int fd = dial(addr, port, 'E');

	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (exchange(fd, bytes, chunk, &out, &in, 30000, &err)) {
		printf("err %s after some of %llu bytes\n", err, (unsigned long long)bytes);
		return 1;
	}
	printf("ok bytes=%llu\n", (unsigned long long)bytes);
	return 0;
}

static int session(const char *addr, int port, int timeout_ms)
{
	struct stream out = { 0x12345678 }, in = { 0x12345678 };
	struct sockaddr_storage local = {};
	socklen_t len = sizeof(local);
	char line[64], mode = 'E';
	const char *err;
	int fd = dial(addr, port, 0);

	getsockname(fd, (struct sockaddr *)&local, &len);
	printf("connected %d\n", ntohs(((struct sockaddr_in *)&local)->sin_port));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		uint64_t n = strtoull(line, NULL, 10);

		if (mode) {
			if (write_all(fd, &mode, 1))
				die("write");
			mode = 0;
			fcntl(fd, F_SETFL, O_NONBLOCK);
		}

		if (exchange(fd, n, 1 << 16, &out, &in, timeout_ms, &err)) {
			printf("%s\n", strcmp(err, "timeout") ? err : "timeout");
			fflush(stdout);
			return 1;
		}
		printf("ok %llu\n", (unsigned long long)n);
		fflush(stdout);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int rr(const char *addr, int port, size_t size, int count)
{
	static char buf[1 << 20];
	int warm = count / 10, fd = dial(addr, port, 'E'), i;
	double *t = calloc(count, sizeof(double)), t0;

	if (size > sizeof(buf) || !t)
		return 2;
	memset(buf, 'x', size);
	for (i = -warm; i < count; i++) {
		t0 = now_s();
		if (write_all(fd, buf, size) || read_all(fd, buf, size))
			die("rr");
		if (i >= 0)
			t[i] = (now_s() - t0) * 1e6;
	}
	qsort(t, count, sizeof(double), cmp_double);
	printf("rr size=%zu count=%d p50_us=%.1f p99_us=%.1f\n", size, count,
	       t[count / 2], t[(int)(count * 0.99)]);
	return 0;
}

static int stream_to(const char *addr, int port, size_t size, double seconds)
{
	static char buf[1 << 20];
	unsigned char count[8];
	uint64_t total = 0;
	double t0 = now_s(), t;
	int fd = dial(addr, port, 'D'), i;

	if (size > sizeof(buf))
		return 2;
	memset(buf, 'x', size);
	while (now_s() - t0 < seconds) {
		if (write_all(fd, buf, size))
			die("stream");
	}
	shutdown(fd, SHUT_WR);
	if (read_all(fd, count, 8))
		die("count");
	t = now_s() - t0;
	for (i = 0; i < 8; i++)
		total = total << 8 | count[i];
	printf("stream size=%zu bytes=%llu seconds=%.2f mbit_s=%.0f\n", size,
	       (unsigned long long)total, t, total * 8 / t / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "check"))
		return check(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), strtoul(argv[5], NULL, 10));
	if (argc == 5 && !strcmp(argv[1], "session"))
		return session(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "rr"))
		return rr(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 10), atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "stream"))
		return stream_to(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 10), atof(argv[5]));
	fprintf(stderr, "usage: tcpecho server PORT | check ADDR PORT BYTES CHUNK | session ADDR PORT TIMEOUT_MS"
		" | rr ADDR PORT SIZE COUNT | stream ADDR PORT SIZE SECONDS\n");
	return 2;
}
