package dev.weir.lab.model;

/**
 * A route of the external client: a LoadBalancer / external-IP pool reached through a node.
 *
 * @param prefix e.g. {@code 203.0.113.0/28}
 * @param via the node's underlay address
 * @param node the node's name
 */
public record ExtRoute(String prefix, String via, String node) {
}
