package dev.weir.agent.prefilter;

import java.util.List;

/**
 * A local pod the prefilter's redirect stage may send packets to ({@code pf_rdr_ep}, {@code pf_devmap}): its
 * endpoint id, addresses, host-side veth (in the node's network namespace) and the MAC address of its side of the
 * veth. Immutable.
 *
 * @param endpointId    the endpoint id, as in {@code ep_by_ifindex}
 * @param addresses     the pod's addresses (IPv4 and/or IPv6 text)
 * @param hostInterface the lxc veth in the node's network namespace
 * @param podMac        the pod side's MAC address, {@code 02:…} text
 */
public record RedirectPod(int endpointId, List<String> addresses, String hostInterface, String podMac) {

    public RedirectPod {
        addresses = List.copyOf(addresses);
    }
}
