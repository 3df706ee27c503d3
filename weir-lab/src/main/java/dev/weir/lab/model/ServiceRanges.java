package dev.weir.lab.model;

/**
 * Address ranges the lab reserves for services; nothing in the lab routes them until weir does.
 *
 * @param ipv4 ClusterIP range, {@code 10.96.0.0/16}
 * @param ipv6 ClusterIP range, {@code fd00:10:96::/112}
 * @param nodePortMin first NodePort, 30000
 * @param nodePortMax last NodePort, 32767
 */
public record ServiceRanges(String ipv4, String ipv6, int nodePortMin, int nodePortMax) {
}
