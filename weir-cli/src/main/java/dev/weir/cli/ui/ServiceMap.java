package dev.weir.cli.ui;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.identity.Identities;

/**
 * The service map of a set of flows: workloads (pods; a pod's identity when the address is no known pod's),
 * services and the peers outside the cluster's pods (reserved entities such as {@code reserved:world}, CIDR
 * identities, else addresses) as nodes, connections as edges, one edge per source,
 * target and verdict. Edges follow the connection, not the packet: a reply counts for the connection it answers.
 * A flow translated through a service gives two edges, client to service and service to backend. Nodes are laid
 * out deterministically: one column per namespace (sorted; peers without a namespace first), in each services,
 * entities, CIDRs, pods, identities, then addresses, each sorted by name. Immutable.
 *
 * @param columns the columns' titles and centres
 * @param nodes   sorted by column, then row
 * @param edges   sorted by id
 * @param width   of the drawing, pixels
 * @param height  of the drawing, pixels
 * @param nodeWidth  of a node's box, pixels
 * @param nodeHeight of a node's box, pixels
 */
public record ServiceMap(List<Column> columns, List<Node> nodes, List<Edge> edges, int width, int height,
                         int nodeWidth, int nodeHeight) {

    static final int NODE_WIDTH = 150;
    static final int NODE_HEIGHT = 34;
    static final int COLUMN_WIDTH = 230;
    static final int ROW_HEIGHT = 64;
    static final int MARGIN = 30;
    static final int HEADER = 30;
    /** The order of nodes in a column: services, entities, CIDRs, pods, identities, addresses. */
    private static final List<String> KINDS = List.of("service", "entity", "cidr", "pod", "identity", "ip");
    private static final String NAMESPACE_LABEL = "k8s:" + Identities.NAMESPACE_LABEL + "=";

    /** A column: a namespace, or {@code ""} (titled "outside pods") for peers without one. */
    public record Column(String namespace, String title, int x) {
    }

    /**
     * A node of the map.
     *
     * @param id   {@code pod:NS/NAME}, {@code service:NS/NAME}, a reserved label ({@code reserved:world}), a CIDR
     *             label ({@code cidr:203.0.113.0/24}), {@code identity:N} or {@code ip:ADDRESS}
     * @param kind {@code pod}, {@code service}, {@code entity}, {@code cidr}, {@code identity} or {@code ip}
     * @param x    centre, pixels
     * @param y    centre, pixels
     */
    public record Node(String id, String kind, String label, String namespace, int x, int y) {
    }

    /**
     * An edge: the connections from {@code source} to {@code target} with one verdict.
     *
     * @param id          {@code SOURCE -> TARGET VERDICT}
     * @param ports       the connections' destination ports, {@code TCP/80}, {@code ICMPv4}
     * @param dropReasons Hubble's drop reason names seen
     * @param lastSeen    the newest flow's time
     */
    public record Edge(String id, String source, String target, String verdict, int flows, List<String> ports,
                       List<String> dropReasons, String lastSeen) {
    }

    private record Hop(Node from, Node to) {
    }

    /** The map of {@code flows} (Hubble flow JSON, any order). */
    public static ServiceMap of(List<JsonNode> flows) {
        Map<String, Node> nodes = new TreeMap<>();
        Map<String, EdgeBuilder> edges = new TreeMap<>();
        for (JsonNode f : flows) {
            for (Hop h : hops(f)) {
                nodes.putIfAbsent(h.from().id(), h.from());
                nodes.putIfAbsent(h.to().id(), h.to());
                String verdict = f.path("verdict").asText();
                edges.computeIfAbsent(edgeId(h, verdict), id -> new EdgeBuilder(id, h, verdict)).add(f);
            }
        }
        return layout(nodes.values(), edges.values().stream().map(EdgeBuilder::build).toList());
    }

    /** The ids of the edges {@code flow} belongs to (one, or two through a service). */
    public static List<String> edgeIds(JsonNode flow) {
        return hops(flow).stream().map(h -> edgeId(h, flow.path("verdict").asText())).toList();
    }

    private static String edgeId(Hop h, String verdict) {
        return h.from().id() + " -> " + h.to().id() + " " + verdict;
    }

    /** The flow's connection, client to server: through its service when it names one. */
    private static List<Hop> hops(JsonNode f) {
        boolean reply = f.path("is_reply").asBoolean();
        Node src = peer(f.path("source"), f.path("IP").path("source").asText());
        Node dst = peer(f.path("destination"), f.path("IP").path("destination").asText());
        Node client = reply ? dst : src;
        Node server = reply ? src : dst;
        JsonNode svc = f.has("destination_service") ? f.get("destination_service") : f.path("source_service");
        if (svc.isMissingNode()) {
            return List.of(new Hop(client, server));
        }
        String ns = svc.path("namespace").asText();
        String name = svc.path("name").asText();
        Node service = new Node("service:" + ns + "/" + name, "service", name, ns, 0, 0);
        return List.of(new Hop(client, service), new Hop(service, server));
    }

    private static Node peer(JsonNode p, String address) {
        String ns = p.path("namespace").asText("");
        String pod = p.path("pod_name").asText("");
        if (!pod.isEmpty()) {
            return new Node("pod:" + ns + "/" + pod, "pod", pod, ns, 0, 0);
        }
        List<String> labels = new ArrayList<>();
        p.path("labels").forEach(l -> labels.add(l.asText()));
        for (String l : labels) {
            if (l.startsWith("reserved:")) {
                return new Node(l, "entity", l.substring("reserved:".length()), "", 0, 0);
            }
            if (l.startsWith("cidr:")) {
                return new Node(l, "cidr", l.substring("cidr:".length()), "", 0, 0);
            }
            if (l.startsWith(NAMESPACE_LABEL)) {
                return identity(p.path("identity").asInt(), l.substring(NAMESPACE_LABEL.length()), labels);
            }
        }
        return new Node("ip:" + address, "ip", address, "", 0, 0);
    }

    /**
     * A pod's identity whose address is no pod's the agent knows (a pod's link-local address, say): its pod labels
     * and number, in its namespace.
     */
    private static Node identity(int id, String ns, List<String> labels) {
        List<String> own = labels.stream().filter(l -> l.startsWith("k8s:") && !l.startsWith("k8s:io.kubernetes.pod.namespace"))
                .map(l -> l.substring("k8s:".length())).toList();
        return new Node("identity:" + id, "identity", String.join(",", own) + " (ID " + id + ")", ns, 0, 0);
    }

    private static ServiceMap layout(java.util.Collection<Node> all, List<Edge> edges) {
        Map<String, List<Node>> byColumn = new TreeMap<>();
        all.forEach(n -> byColumn.computeIfAbsent(n.namespace(), k -> new ArrayList<>()).add(n));
        List<Column> columns = new ArrayList<>();
        List<Node> placed = new ArrayList<>();
        int rows = 0;
        for (var c : byColumn.entrySet()) {
            int x = MARGIN + columns.size() * COLUMN_WIDTH + NODE_WIDTH / 2;
            columns.add(new Column(c.getKey(), c.getKey().isEmpty() ? "outside pods" : "namespace " + c.getKey(), x));
            List<Node> column = c.getValue().stream()
                    .sorted(Comparator.comparing((Node n) -> KINDS.indexOf(n.kind())).thenComparing(Node::label)
                            .thenComparing(Node::id))
                    .toList();
            for (int row = 0; row < column.size(); row++) {
                Node n = column.get(row);
                placed.add(new Node(n.id(), n.kind(), n.label(), n.namespace(), x,
                        MARGIN + HEADER + row * ROW_HEIGHT + NODE_HEIGHT / 2));
            }
            rows = Math.max(rows, column.size());
        }
        int width = 2 * MARGIN + Math.max(1, columns.size()) * COLUMN_WIDTH - (COLUMN_WIDTH - NODE_WIDTH);
        int height = 2 * MARGIN + HEADER + Math.max(1, rows) * ROW_HEIGHT - (ROW_HEIGHT - NODE_HEIGHT);
        return new ServiceMap(List.copyOf(columns), List.copyOf(placed), edges, width, height, NODE_WIDTH, NODE_HEIGHT);
    }

    /** Gathers one edge's flows. */
    private static final class EdgeBuilder {
        private final String id;
        private final Hop hop;
        private final String verdict;
        private final TreeSet<String> ports = new TreeSet<>();
        private final TreeSet<String> reasons = new TreeSet<>();
        private int flows;
        private String lastSeen = "";

        EdgeBuilder(String id, Hop hop, String verdict) {
            this.id = id;
            this.hop = hop;
            this.verdict = verdict;
        }

        void add(JsonNode f) {
            flows++;
            ports.add(port(f));
            if (f.has("drop_reason_desc")) {
                reasons.add(f.get("drop_reason_desc").asText());
            }
            String time = f.path("time").asText();
            if (time.compareTo(lastSeen) > 0) {
                lastSeen = time;
            }
        }

        Edge build() {
            return new Edge(id, hop.from().id(), hop.to().id(), verdict, flows, List.copyOf(ports), List.copyOf(reasons),
                    lastSeen);
        }

        /** {@code TCP/80}: the server's port (a reply's source port), or the protocol alone. */
        private static String port(JsonNode f) {
            var l4 = f.path("l4").properties().iterator();
            if (!l4.hasNext()) {
                return "?";
            }
            Map.Entry<String, JsonNode> e = l4.next();
            JsonNode p = e.getValue().path(f.path("is_reply").asBoolean() ? "source_port" : "destination_port");
            return p.isMissingNode() ? e.getKey() : e.getKey() + "/" + p.asInt();
        }
    }
}
