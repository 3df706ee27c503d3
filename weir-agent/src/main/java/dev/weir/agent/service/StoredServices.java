package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.yaml.ValidationException;

/**
 * The Services as stored, one row each, with the endpoints their EndpointSlices list: what {@code weir service
 * list} shows when it reads a kvstore without an agent. Nothing is translated or allocated: frontends are the
 * Service's own addresses and ports (a NodePort as {@code <node>:PORT}), backends the slices' endpoints with their
 * conditions, and each row carries the newest revision among its objects, to be compared with the revision each
 * node enforces. The objects were checked against the cluster's settings when they were applied, so they are read
 * here without range checks. Stateless.
 */
public final class StoredServices {

    /**
     * One Service.
     *
     * @param service   {@code namespace/name}
     * @param type      {@code CLUSTER_IP}, {@code NODE_PORT}, {@code LOAD_BALANCER}, or {@code HEADLESS}
     * @param frontends {@code 10.96.0.10:80/TCP}, {@code <node>:30080/TCP}, ...
     * @param backends  {@code 10.244.1.11:8080/TCP ready (Pod x/b)}, one per endpoint and port of its slices
     * @param revision  the newest revision among the Service and its slices
     */
    public record Row(String service, String type, List<String> frontends, List<String> backends, long revision) {
        public Row {
            frontends = List.copyOf(frontends);
            backends = List.copyOf(backends);
        }
    }

    /**
     * @param rows     one per Service, by namespace and name
     * @param pending  EndpointSlices whose Service is not stored ({@code namespace/name})
     * @param warnings objects that did not parse, each with the reason
     */
    public record Listing(List<Row> rows, List<String> pending, List<String> warnings) {
        public Listing {
            rows = List.copyOf(rows);
            pending = List.copyOf(pending);
            warnings = List.copyOf(warnings);
        }
    }

    /** Accepts any address and NodePort: the objects were checked against the real ranges when applied. */
    private static final ServiceParser PARSER = new ServiceParser(new ServiceConfig(
            List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0")), new PortRange(1, 65535), List.of(),
            Maglev.DEFAULT_M, ServiceConfig.defaults().maxMaglevM()));

    private StoredServices() {
    }

    /** The rows of the {@code Service} and {@code EndpointSlice} objects among {@code objects}; others are ignored. */
    public static Listing of(List<StoredObject> objects) {
        Map<String, Service> services = new TreeMap<>();
        Map<String, Long> revisions = new TreeMap<>();
        Map<String, List<EndpointSlice>> slices = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (StoredObject o : objects) {
            String kind = o.key().kind();
            if (!kind.equals("Service") && !kind.equals("EndpointSlice")) {
                continue;
            }
            ServiceObjects parsed;
            try {
                parsed = PARSER.parse(o.document(), o.key().toString());
            } catch (ValidationException | IllegalArgumentException e) {
                warnings.add(o.key() + ": " + e.getMessage());
                continue;
            }
            for (Service s : parsed.services()) {
                services.put(s.key(), s);
                revisions.merge(s.key(), o.revision(), Math::max);
            }
            for (EndpointSlice s : parsed.slices()) {
                slices.computeIfAbsent(s.serviceKey(), k -> new ArrayList<>()).add(s);
                revisions.merge(s.serviceKey(), o.revision(), Math::max);
            }
        }
        List<Row> rows = new ArrayList<>();
        services.forEach((key, s) -> rows.add(new Row(key, s.headless() ? "HEADLESS" : s.type().name(), frontends(s),
                backends(slices.getOrDefault(key, List.of())), revisions.get(key))));
        List<String> pending = new ArrayList<>();
        slices.forEach((service, list) -> {
            if (!services.containsKey(service)) {
                list.forEach(s -> pending.add(s.key()));
            }
        });
        return new Listing(rows, pending, warnings);
    }

    private static List<String> frontends(Service s) {
        List<String> out = new ArrayList<>();
        List<IpAddress> addresses = new ArrayList<>(s.clusterIps());
        addresses.addAll(s.loadBalancerIps());
        addresses.addAll(s.externalIps());
        for (ServicePort p : s.ports()) {
            for (IpAddress a : addresses) {
                out.add(a + ":" + p.port() + "/" + p.protocol());
            }
            if (p.nodePort() > 0) {
                out.add("<node>:" + p.nodePort() + "/" + p.protocol());
            }
        }
        return out;
    }

    private static List<String> backends(List<EndpointSlice> slices) {
        List<String> out = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            for (EndpointSlice.SliceEndpoint e : slice.endpoints()) {
                for (EndpointSlice.Port p : slice.ports()) {
                    out.add(e.address() + ":" + p.port() + "/" + p.protocol() + " " + condition(e)
                            + (e.targetRef() == null ? "" : " (" + e.targetRef() + ")"));
                }
            }
        }
        return out;
    }

    /** {@code ready}; {@code terminating} while it still serves; else {@code not-ready}. */
    private static String condition(EndpointSlice.SliceEndpoint e) {
        if (e.ready()) {
            return "ready";
        }
        return e.terminating() && e.serving() ? "terminating" : "not-ready";
    }
}
