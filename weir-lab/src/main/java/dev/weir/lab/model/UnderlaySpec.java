package dev.weir.lab.model;

/**
 * The segment nodes and ext share: a bridge in a namespace of its own.
 *
 * @param netns {@code weir-underlay}
 * @param bridge the bridge's name in that namespace
 * @param ipv4Prefix {@code 192.168.100.0/24}
 * @param ipv6Prefix {@code fd00:192:168:100::/64}
 */
public record UnderlaySpec(String netns, String bridge, String ipv4Prefix, String ipv6Prefix) {
}
