/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters and event sampling shared by weir's programs. A program's single
 * verdict function uses these with its own maps; inlined, the map arguments
 * become the constant map pointers the verifier wants.
 *
 * Counter maps are per-CPU arrays of struct { __u64 packets; __u64 bytes; },
 * so plain increments are exact.
 */
#ifndef __WEIR_COUNTERS_H
#define __WEIR_COUNTERS_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct weir_counter {
	__u64 packets;
	__u64 bytes;
};

/* Adds one packet of len bytes at key; out-of-range keys are not counted. */
static __always_inline void count_packet(void *counters, __u32 key, __u64 len)
{
	struct weir_counter *c = bpf_map_lookup_elem(counters, &key);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/*
 * 1-in-every sampling on a per-CPU sequence (a per-CPU array, entry 0,
 * __u64): true for the 1st, (every+1)-th, ... call on this CPU. every == 0
 * never samples.
 */
static __always_inline int sample_due(void *seq_map, __u32 every)
{
	__u32 zero = 0;
	__u64 *seq, n;

	if (!every)
		return 0;
	seq = bpf_map_lookup_elem(seq_map, &zero);
	if (!seq)
		return 0;
	n = *seq;
	*seq = n + 1;
	return n % every == 0;
}

#endif /* __WEIR_COUNTERS_H */
