package dev.weir.cli.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.etcd.Etcd;
import dev.weir.agent.store.etcd.EtcdClusterView;
import dev.weir.cli.output.Json;
import picocli.CommandLine.Option;

/**
 * {@code --kvstore-endpoints}: read the cluster from etcd directly, on a host without an agent (docs/kvstore.md,
 * "Reading without an agent"). The rows have the agents' shape ({@code status}, {@code cluster.nodes},
 * {@code endpoint.list}, {@code identity.list}); what only an agent computes (policy enforcement) is null.
 */
final class KvstoreOptions {

    @Option(names = "--kvstore-endpoints", paramLabel = "URL,...", defaultValue = "${env:WEIR_KVSTORE_ENDPOINTS}",
            description = {"Read every node's published state from etcd (http://HOST:PORT,...) instead of through this",
                    "host's agents: for a host without one (default: $WEIR_KVSTORE_ENDPOINTS)."})
    String endpoints;

    boolean given() {
        return endpoints != null && !endpoints.isBlank();
    }

    /** Reads the view once. */
    EtcdClusterView read() {
        try (Etcd etcd = Etcd.connect(config())) {
            return EtcdClusterView.read(etcd);
        } catch (StoreException e) {
            throw new IllegalStateException("cannot read the cluster from etcd " + endpoints + ": " + e.getMessage(), e);
        }
    }

    private Etcd.Config config() {
        try {
            return Etcd.Config.parse(endpoints);
        } catch (IllegalArgumentException e) {
            throw new dev.weir.cli.UserError("--kvstore-endpoints " + endpoints + ": " + e.getMessage());
        }
    }

    /** Reads the stored Services and EndpointSlices, with the node records, once. */
    dev.weir.agent.store.etcd.EtcdServiceView readServices() {
        try (Etcd etcd = Etcd.connect(config())) {
            return dev.weir.agent.store.etcd.EtcdServiceView.read(etcd);
        } catch (StoreException e) {
            throw new IllegalStateException("cannot read the services from etcd " + endpoints + ": " + e.getMessage(), e);
        }
    }

    /** The kvstore's part of {@code status} and {@code node list}. */
    ObjectNode kvstore(EtcdClusterView v) {
        ObjectNode k = Json.mapper().createObjectNode();
        k.put("kind", "etcd");
        k.put("endpoints", endpoints);
        k.put("live", true);
        k.put("readAt", v.revision());
        k.put("via", "etcd");
        return k;
    }

    /** {@code cluster.nodes}' shape. */
    ObjectNode clusterNodes(EtcdClusterView v) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.set("kvstore", kvstore(v));
        o.set("nodes", Json.mapper().valueToTree(v.nodes().values()));
        return o;
    }

    /** {@code endpoint.list}'s shape, every node's, with each node's host endpoint. */
    static ArrayNode endpointRows(EtcdClusterView v, String node) {
        ArrayNode a = Json.mapper().createArrayNode();
        java.util.Map<String, Integer> ids = v.endpointIdentities();
        v.endpoints().forEach((key, e) -> {
            if (node == null || node.equals(e.node())) {
                ObjectNode o = row(e);
                o.put("identity", ids.get(key));
                a.add(o);
            }
        });
        for (NodeRecord n : v.nodes().values()) {
            if (node == null || node.equals(n.name())) {
                ObjectNode o = Json.mapper().createObjectNode();
                o.put("id", 0);
                o.put("host", true);
                o.put("namespace", "");
                o.put("name", "");
                o.put("node", n.name());
                o.put("ipv4", n.ipv4());
                o.put("ipv6", n.ipv6());
                o.putObject("labels").put("reserved:host", "");
                o.put("identity", Identities.HOST);
                a.add(o);
            }
        }
        return a;
    }

    private static ObjectNode row(EndpointRecord e) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", e.id());
        o.put("namespace", e.namespace());
        o.put("name", e.name());
        o.set("labels", Json.mapper().valueToTree(e.labels()));
        o.put("node", e.node());
        o.put("ipv4", e.ipv4());
        o.put("ipv6", e.ipv6());
        o.put("iface", e.iface());
        for (String f : new String[] {"ingressEnforced", "egressEnforced", "ingressAudit", "egressAudit"}) {
            o.putNull(f); // only the endpoint's agent computes its policy
        }
        return o;
    }

    /** {@code identity list}'s rows: each identity with the nodes whose endpoints reference it. */
    static java.util.List<ObjectNode> identityRows(EtcdClusterView v) {
        java.util.List<ObjectNode> out = new java.util.ArrayList<>();
        for (EtcdClusterView.Identity i : v.identities().values()) {
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("id", i.id());
            o.put("kind", i.kind());
            o.set("labels", Json.mapper().valueToTree(i.labels()));
            ArrayNode nodes = o.putArray("nodes");
            i.nodes().forEach(nodes::add);
            out.add(o);
        }
        return out;
    }

    static boolean unknown(JsonNode row, String field) {
        return row.path(field).isNull();
    }
}
