package dev.weir.agent.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent process's memory, for {@code status}: heap in use, heap live after the last collection (the
 * sum of the heap pools' usage after their last GC: what the agent really keeps), committed and maximum
 * heap, and the resident set size from {@code /proc/self/status} (-1 where there is none). Stateless.
 */
final class MemoryUse {

    private MemoryUse() {
    }

    static Map<String, Long> now() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long afterGc = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = p.getType() == MemoryType.HEAP ? p.getCollectionUsage() : null;
            afterGc += u == null ? 0 : u.getUsed();
        }
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("heapUsedBytes", heap.getUsed());
        m.put("heapAfterGcBytes", afterGc);
        m.put("heapCommittedBytes", heap.getCommitted());
        m.put("heapMaxBytes", heap.getMax());
        m.put("rssBytes", rss());
        return m;
    }

    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
