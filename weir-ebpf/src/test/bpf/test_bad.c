// SPDX-License-Identifier: GPL-2.0
/* A program the verifier must reject: it reads packet data without a bounds check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_oob(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;

	return *(volatile __u32 *)(data + 100);
}

char LICENSE[] SEC("license") = "GPL";
