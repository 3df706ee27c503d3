package dev.weir.bench.kvstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this JVM and machine have the memory for N simulated nodes. Every node's view holds every node's record
 * and endpoints, so the simulation holds N x N x (endpoints + 1) entries; measured: about {@value #BYTES_PER_ENTRY}
 * bytes each (the record's JSON bytes, its key, the map entry). A run that does not fit is refused before it starts
 * rather than ended by the kernel's OOM killer, which would leave the etcd members running.
 */
final class MemoryNeed {

    static final long BYTES_PER_ENTRY = 450;
    private static final long MIB = 1024 * 1024;

    private MemoryNeed() {
    }

    /** Live heap the views of {@code nodes} nodes take, in bytes. */
    static long liveBytes(int nodes, int endpointsPerNode) {
        return (long) nodes * nodes * (endpointsPerNode + 1) * BYTES_PER_ENTRY;
    }

    /** Why {@code nodes} nodes do not fit (the max heap, or the machine's available memory), or null. */
    static String problem(int nodes, int endpointsPerNode) {
        return problem(nodes, endpointsPerNode, Runtime.getRuntime().maxMemory(), availableBytes());
    }

    static String problem(int nodes, int endpointsPerNode, long maxHeap, long available) {
        long live = liveBytes(nodes, endpointsPerNode);
        long heap = live * 3 / 2 + 256 * MIB;
        if (maxHeap < heap) {
            return String.format("%,d nodes need a heap of about %,d MiB (views: %,d MiB live); this JVM has -Xmx %,d MiB",
                    nodes, heap / MIB, live / MIB, maxHeap / MIB);
        }
        long process = heap + 768 * MIB;
        if (available >= 0 && available < process) {
            return String.format("%,d nodes need about %,d MiB of memory; %,d MiB are available (MemAvailable): "
                    + "run fewer (--nodes) or later", nodes, process / MIB, available / MIB);
        }
        return null;
    }

    /** MemAvailable from /proc/meminfo, in bytes; -1 when unknown. */
    static long availableBytes() {
        try {
            return parseAvailable(Files.readString(Path.of("/proc/meminfo")));
        } catch (IOException e) {
            return -1;
        }
    }

    static long parseAvailable(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.substring(13).strip().split("\\s+")[0]) * 1024;
            }
        }
        return -1;
    }
}
