package dev.weir.agent.service;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A readable text form of an {@link LbState}: frontends, services with their slots, Maglev tables as
 * entries per backend plus a checksum, backends, pending slices and warnings. Stable, for golden tests
 * and close to what {@code weir service list} will show. Stateless.
 */
public final class LbStateDump {

    private LbStateDump() {
    }

    public static String dump(LbState s) {
        StringBuilder sb = new StringBuilder("node ").append(s.node()).append('\n');
        sb.append("frontends:\n");
        for (LbFrontend f : s.frontends()) {
            sb.append(String.format("  %-34s %-5s %-13s svc %-3d revnat %-3d count %-2d %s%s%s%s  %s%n",
                    f.key(), f.clientScope().name().toLowerCase(), f.kind().name().toLowerCase().replace('_', '-'),
                    f.svcId(), f.revNatId(), f.count(), f.flagNames(),
                    f.affinityTimeout() > 0 ? " timeout " + f.affinityTimeout() + "s" : "",
                    f.maglevM() > 0 ? " M " + f.maglevM() : "",
                    f.sourceRanges().isEmpty() ? "" : " sources " + f.sourceRanges(), f.service()));
        }
        sb.append("services:\n");
        for (LbService v : s.services()) {
            sb.append(String.format("  %-3d %-36s %s slots %s backends %s%n", v.id(), v.key(), v.protocol(),
                    ids(v.slots()), ids(v.backends())));
            if (!v.maglev().isEmpty()) {
                sb.append("      maglev M ").append(v.maglev().size()).append(" entries ").append(counts(v.maglev()))
                        .append(" checksum ").append(checksum(v.maglev())).append('\n');
            }
        }
        sb.append("backends:\n");
        for (LbBackend b : s.backends()) {
            sb.append(String.format("  %-3d %-34s %-11s %-6s %s%n", b.id(), b.key(), b.state(),
                    b.node() == null ? "-" : b.node(), b.targetRef() == null ? "-" : b.targetRef()));
        }
        list(sb, "pending", s.pending());
        list(sb, "warnings", s.warnings());
        return sb.toString();
    }

    private static void list(StringBuilder sb, String title, List<String> items) {
        if (!items.isEmpty()) {
            sb.append(title).append(":\n");
            items.forEach(i -> sb.append("  ").append(i).append('\n'));
        }
    }

    private static String ids(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(" ", "[", "]"));
    }

    /** {@code id=entries} per backend id. */
    static String counts(List<Integer> table) {
        Map<Integer, Integer> c = new TreeMap<>();
        table.forEach(id -> c.merge(id, 1, Integer::sum));
        return c.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /** XXH64 of the table (ids as 4 bytes each, little-endian), in hex: equal tables, equal checksums. */
    static String checksum(List<Integer> table) {
        byte[] b = new byte[table.size() * 4];
        for (int i = 0; i < table.size(); i++) {
            int v = table.get(i);
            b[4 * i] = (byte) v;
            b[4 * i + 1] = (byte) (v >>> 8);
            b[4 * i + 2] = (byte) (v >>> 16);
            b[4 * i + 3] = (byte) (v >>> 24);
        }
        return String.format("%016x", XxHash64.hash(b, 0));
    }
}
