package dev.weir.lab;

/**
 * What {@link Lab#down} removed.
 *
 * @param processes agent, etcd member and other processes stopped
 * @param namespaces network namespaces deleted
 * @param cgroups cgroups removed
 * @param files whether /run/weir/lab or the etcd members' data existed and was removed
 */
public record DownReport(int processes, int namespaces, int cgroups, boolean files) {

    public boolean nothing() {
        return processes == 0 && namespaces == 0 && cgroups == 0 && !files;
    }
}
