package dev.weir.agent.runtime;

import java.util.List;
import java.util.Map;

/**
 * What the agent shows of a policy computation (identity list, policy get, status), independent of the
 * engine's own types: the adapter of a {@link StateCompiler} fills it from the engine's result. Immutable.
 *
 * @param identities every identity the computation uses
 * @param endpoints  by endpoint id: the endpoint's identity, enforcement and entries
 * @param rules      the rule table entries refer to; index 0 is "none"
 * @param warnings   what the engine wants an operator to know (e.g. an ipBlock it cannot enforce exactly)
 * @param frontends  the service frontends the node's datapath translates, which flows name by rev-NAT id
 */
public record StateView(List<Identity> identities, Map<Integer, EndpointPolicy> endpoints, List<Rule> rules,
                         List<String> warnings, List<Frontend> frontends, Services services) {

    public static final StateView EMPTY = new StateView(List.of(), Map.of(), List.of(), List.of());

    public StateView {
        identities = List.copyOf(identities);
        endpoints = Map.copyOf(endpoints);
        rules = List.copyOf(rules);
        warnings = List.copyOf(warnings);
        frontends = List.copyOf(frontends);
        services = services == null ? Services.NONE : services;
    }

    /** A view without services. */
    public StateView(List<Identity> identities, Map<Integer, EndpointPolicy> endpoints, List<Rule> rules,
                      List<String> warnings) {
        this(identities, endpoints, rules, warnings, List.of(), null);
    }

    /** The same view with these rules added to its table (the workload guards', which flows name). */
    public StateView withRules(List<Rule> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<Rule> all = new java.util.ArrayList<>(rules);
        all.addAll(more);
        return new StateView(identities, endpoints, all, warnings, frontends, services);
    }

    /** The same view with these service frontends (as flows name them) and services (as {@code service list} shows them). */
    public StateView withServices(List<Frontend> f, Services s) {
        return new StateView(identities, endpoints, rules, warnings, f, s);
    }

    /**
     * The services as this node's datapath translates them ({@code weir service list}): one row per frontend,
     * the EndpointSlices still waiting for their Service, and the service engine's warnings. The rows are
     * formatted when asked for ({@link #rows}), not kept: at 10,000 services x 10 endpoints they are 100,000
     * strings, which an agent would otherwise hold between the rare times anyone lists them.
     */
    public static final class Services {
        public static final Services NONE = new Services(List.of(), List.of(), List.of());

        private final java.util.function.Supplier<List<ServiceRow>> rows;
        private final List<String> pending;
        private final List<String> warnings;

        /** Services with these rows, already formatted. */
        public Services(List<ServiceRow> rows, List<String> pending, List<String> warnings) {
            this(constant(List.copyOf(rows)), pending, warnings);
        }

        /** Services whose rows {@code rows} formats each time they are asked for. */
        public Services(java.util.function.Supplier<List<ServiceRow>> rows, List<String> pending, List<String> warnings) {
            this.rows = java.util.Objects.requireNonNull(rows, "rows");
            this.pending = List.copyOf(pending);
            this.warnings = List.copyOf(warnings);
        }

        private static java.util.function.Supplier<List<ServiceRow>> constant(List<ServiceRow> rows) {
            return () -> rows;
        }

        /** One row per frontend, in the frontends' order. */
        public List<ServiceRow> rows() {
            return rows.get();
        }

        public List<String> pending() {
            return pending;
        }

        public List<String> warnings() {
            return warnings;
        }
    }

    /**
     * One frontend of a service.
     *
     * @param service  {@code namespace/name}
     * @param type     CLUSTER_IP, NODE_PORT, LOAD_BALANCER or EXTERNAL_IP
     * @param frontend {@code address:port}
     * @param protocol TCP or UDP
     * @param scope    which clients it serves ({@code any}, {@code local})
     * @param backends {@code address:port state (namespace/pod)} each
     * @param flags    the frontend's flags as the datapath sees them
     */
    public record ServiceRow(String service, String type, String frontend, String protocol, String scope,
                             List<String> backends, String flags) {
        public ServiceRow {
            backends = List.copyOf(backends);
        }
    }

    /**
     * A service frontend as flows name it.
     *
     * @param revNatId the datapath's rev-NAT id of the frontend (flow events carry it)
     * @param service  the Service's {@code namespace/name}
     * @param address  the frontend's address ({@code 10.96.0.10}, {@code fd00:10:96::10})
     * @param port     its port
     * @param protocol {@code TCP} or {@code UDP}
     */
    public record Frontend(int revNatId, String service, String address, int port, String protocol) {
    }

    /** @param kind RESERVED, ENDPOINT or CIDR */
    public record Identity(int id, String kind, Map<String, String> labels) {
        public Identity {
            labels = Map.copyOf(labels);
        }
    }

    public record EndpointPolicy(int identity, boolean ingressEnforced, boolean egressEnforced, boolean ingressAudit,
                                 boolean egressAudit, List<Entry> entries) {
        public EndpointPolicy {
            entries = List.copyOf(entries);
        }
    }

    /**
     * One policy entry, as docs/policy-engine.md's {@code PolicyEntry}.
     *
     * @param direction    INGRESS or EGRESS
     * @param peerIdentity 0 for any peer
     * @param family       4, 6 or null (any)
     * @param protocol     IP protocol number or null (any)
     * @param ports        {@code 80}, {@code 8000-8080} or null (any)
     * @param action       ALLOW or DENY
     * @param rule         index in the rule table, 0 = none
     */
    public record Entry(String direction, int peerIdentity, Integer family, Integer protocol, String ports,
                        String action, int rule) {
    }

    /** A policy (or a part of one, by path) that entries and flows refer to. */
    public record Rule(int id, String kind, String namespace, String name, String path) {
    }

    /** The identity's labels, or an empty map for an unknown number. */
    public Map<String, String> labelsOf(int identity) {
        return identities.stream().filter(i -> i.id() == identity).findFirst().map(Identity::labels).orElse(Map.of());
    }

    /** The rule with this index, if any. */
    public java.util.Optional<Rule> rule(int id) {
        return rules.stream().filter(r -> r.id() == id).findFirst();
    }
}
