package dev.weir.agent.metrics;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.Verdict;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Flows as metrics, opt-in, as Hubble's {@code flow}, {@code drop} and {@code port-distribution} metrics
 * ({@code weir agent --flow-metrics}), counted from the same decorated flows {@code weir observe} shows. Labels
 * are bounded: verdicts, flow types, drop reasons and protocols are small fixed sets, and the ports of
 * {@code port-distribution} stop at {@link #MAX_PORTS} (pairs of port and protocol); later ones count as
 * port {@code other}. Thread-safe.
 */
public final class FlowMetrics {

    /** The metrics one can ask for, by Hubble's names. */
    public enum Kind {
        FLOW("flow"), DROP("drop"), PORT_DISTRIBUTION("port-distribution");

        private final String flag;

        Kind(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }

        /**
         * A comma-separated list ({@code flow,drop,port-distribution}); empty or {@code none} for none.
         *
         * @throws IllegalArgumentException naming the unknown one and the known ones
         */
        public static Set<Kind> parse(String list) {
            Set<Kind> out = EnumSet.noneOf(Kind.class);
            if (list == null || list.isBlank() || list.strip().equals("none")) {
                return out;
            }
            for (String s : list.split(",")) {
                String want = s.strip();
                Kind k = List.of(values()).stream().filter(x -> x.flag.equals(want)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("unknown flow metric '" + want + "' (one of "
                                + String.join(", ", List.of(values()).stream().map(Kind::flag).toList()) + ")"));
                out.add(k);
            }
            return out;
        }
    }

    /** Distinct (port, protocol) pairs {@code weir_port_distribution_total} names before it says {@code other}. */
    static final int MAX_PORTS = 1000;

    private final Counter flows;
    private final Counter drops;
    private final Counter ports;
    private final Set<String> portsSeen = ConcurrentHashMap.newKeySet();

    /** Registers the families of {@code kinds} (none: nothing is registered and {@link #count} does nothing). */
    FlowMetrics(PrometheusRegistry registry, Set<Kind> kinds) {
        flows = !kinds.contains(Kind.FLOW) ? null : Counter.builder().name("weir_flows_processed")
                .help("Flows the agent processed, by type (L3_L4, PolicyVerdict, Drop, Trace), verdict and protocol"
                        + " (opt-in: --flow-metrics flow; Hubble's hubble_flows_processed_total)")
                .labelNames("type", "verdict", "protocol").register(registry);
        drops = !kinds.contains(Kind.DROP) ? null : Counter.builder().name("weir_drop")
                .help("Dropped flows by drop reason and protocol (opt-in: --flow-metrics drop; Hubble's hubble_drop_total)")
                .labelNames("reason", "protocol").register(registry);
        ports = !kinds.contains(Kind.PORT_DISTRIBUTION) ? null : Counter.builder().name("weir_port_distribution")
                .help("Forwarded flows (not replies) by destination port and protocol, at most " + MAX_PORTS
                        + " ports, then port=\"other\" (opt-in: --flow-metrics port-distribution; Hubble's"
                        + " hubble_port_distribution_total)")
                .labelNames("port", "protocol").register(registry);
    }

    /** Counts one decorated flow. */
    void count(FlowRecord f) {
        String protocol = f.protocol() == null ? "unknown" : f.protocol();
        if (flows != null) {
            flows.labelValues(type(f), f.verdict().name(), protocol).inc();
        }
        if (f.dns() != null) {
            return; // an L7 DNS flow: its packet's drop and port are counted by its L3/L4 flow, if any
        }
        if (drops != null && f.verdict() == Verdict.DROPPED) {
            drops.labelValues(f.dropReasonName() == null ? "UNKNOWN" : f.dropReasonName(), protocol).inc();
        }
        if (ports != null && !f.isReply() && f.hasPorts()
                && (f.verdict() == Verdict.FORWARDED || f.verdict() == Verdict.TRANSLATED)) {
            ports.labelValues(port(f.destinationPort(), protocol), protocol).inc();
        }
    }

    /** Hubble's event types as weir's flows carry them. */
    private static String type(FlowRecord f) {
        if (f.dns() != null) {
            return "L7";
        }
        return switch (f.verdict()) {
            case DROPPED -> "Drop";
            case TRACED -> "Trace";
            default -> f.policy() != null ? "PolicyVerdict" : "L3_L4";
        };
    }

    private String port(int port, String protocol) {
        String p = Integer.toString(port);
        String key = p + "/" + protocol.toLowerCase(Locale.ROOT);
        if (portsSeen.contains(key)) {
            return p;
        }
        synchronized (portsSeen) {
            if (portsSeen.size() < MAX_PORTS) {
                portsSeen.add(key);
                return p;
            }
        }
        return "other";
    }
}
