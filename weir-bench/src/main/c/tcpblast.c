// SPDX-License-Identifier: Apache-2.0
/*
 * tcpblast: a raw-socket generator of TCP ACK segments of one connection, as fast as one thread can send.
 *
 *   tcpblast IFACE DST_MAC SRC_IP DST_IP SPORT DPORT SECONDS [PAYLOAD]
 *
 * Sends the same Ethernet + IPv4 + TCP frame (flags ACK only, PAYLOAD bytes of zeros, default 18, so the frame
 * is the minimal 64 bytes with FCS) out of IFACE for SECONDS, with AF_PACKET, PACKET_QDISC_BYPASS and sendmmsg
 * batches of 64. The IPv4 and TCP checksums are complete (a raw frame carries no offload state), its sequence
 * numbers fixed: the receiving TCP discards the segments as out of window, after whichever path brought them.
 * Its use (scripts/bench-xdp-redirect.sh): the tuple of a connection established through weir, so that the
 * prefilter's redirect stage sees packets of an established connection.
 *
 * Prints one line: sent=N ns=ELAPSED. Exit 0 when it ran, 2 on bad arguments, 1 on a setup failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
}

/* Ethernet + IPv4 + TCP (ACK) + payload into frame; returns its length. */
static size_t build(uint8_t *frame, const uint8_t *src_mac, const uint8_t *dst_mac, struct in_addr src,
		    struct in_addr dst, int sport, int dport, int payload)
{
	struct ether_header *eth = (struct ether_header *)frame;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1);
	size_t l4 = sizeof(*tcp) + payload;
	uint32_t sum;
	uint8_t pseudo[12];

	memcpy(eth->ether_dhost, dst_mac, 6);
	memcpy(eth->ether_shost, src_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + l4);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;
	ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
	tcp->source = htons(sport);
	tcp->dest = htons(dport);
	tcp->seq = htonl(0x10000000);
	tcp->ack_seq = htonl(0x20000000);
	tcp->doff = 5;
	tcp->ack = 1;
	tcp->window = htons(512);
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = l4 >> 8;
	pseudo[11] = l4 & 0xff;
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), tcp, l4);
	tcp->check = htons(csum_fold(sum));
	return sizeof(*eth) + sizeof(*ip) + l4;
}

int main(int argc, char **argv)
{
	uint8_t frame[1514] = {0}, dst_mac[6], src_mac[6];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_ll sll = {0};
	struct ifreq ifr = {0};
	struct in_addr src, dst;
	uint64_t sent = 0, start, end;
	int fd, one = 1, payload = 18, seconds;
	size_t len;

	if (argc < 8 || argc > 9 || !parse_mac(argv[2], dst_mac) || !inet_pton(AF_INET, argv[3], &src) ||
	    !inet_pton(AF_INET, argv[4], &dst) || (seconds = atoi(argv[7])) <= 0 ||
	    (argc == 9 && ((payload = atoi(argv[8])) < 0 || payload > 1400))) {
		fprintf(stderr, "usage: tcpblast IFACE DST_MAC SRC_IP DST_IP SPORT DPORT SECONDS [PAYLOAD 0..1400]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror(argv[1]);
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {	/* the same union: after the MAC is copied */
		perror(argv[1]);
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dst_mac, 6);
	len = build(frame, src_mac, dst_mac, src, dst, atoi(argv[5]), atoi(argv[6]), payload);
	iov.iov_base = frame;
	iov.iov_len = len;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000ull;
	while (now_ns() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += n;
	}
	printf("sent=%llu ns=%llu\n", (unsigned long long)sent, (unsigned long long)(now_ns() - start));
	close(fd);
	return 0;
}
