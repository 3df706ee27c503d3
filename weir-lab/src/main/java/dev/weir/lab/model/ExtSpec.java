package dev.weir.lab.model;

import java.util.List;

/**
 * The external client: a namespace on the underlay that runs no weir program and has no route to pod or
 * service addresses, only to the LoadBalancer pools through the nodes.
 *
 * @param netns {@code weir-ext}
 * @param underlayInterface {@code eth0}
 * @param ipv4 {@code 192.168.100.200}
 * @param ipv6 {@code fd00:192:168:100::200}
 * @param routes its routes to the external pools, both families
 */
public record ExtSpec(String netns, String underlayInterface, String ipv4, String ipv6, List<ExtRoute> routes) {
    public ExtSpec {
        routes = List.copyOf(routes);
    }

    public String address(Family family) {
        return family == Family.IPV4 ? ipv4 : ipv6;
    }
}
