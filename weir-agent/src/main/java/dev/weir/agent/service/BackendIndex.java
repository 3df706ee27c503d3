package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Protocol;

/**
 * The backends of every Service port and family, from the bound EndpointSlices: a slice port serves the
 * Service port with its name and protocol (kube-proxy's rule; a named targetPort was resolved into the
 * slice's number by the endpoint controller). An endpoint's state is {@link BackendState#of}: ready is
 * ACTIVE (terminating or not), serving and terminating SERVING_TERMINATING, terminating alone TERMINATING,
 * anything else no backend at all. A backend (address, port, protocol)
 * met several times gets its most available state, then the operator's override. Built once per resolve;
 * not thread-safe.
 */
final class BackendIndex implements BackendLookup {

    /** A backend before it has an id. */
    record Candidate(IpAddress address, int port, Protocol protocol, BackendState state, String node, String targetRef) {

        String key() {
            return BackendOverrides.key(address, port, protocol);
        }
    }

    static final Comparator<Candidate> ORDER = Comparator.comparing(Candidate::address)
            .thenComparingInt(Candidate::port).thenComparing(Candidate::protocol);

    private final Map<String, Candidate> byKey = new HashMap<>();
    private final Map<String, List<String>> byPort = new HashMap<>();
    /** Per Service and backend: the state its own slices give it. */
    private final Map<String, BackendState> own = new HashMap<>();
    private BackendOverrides overrides = BackendOverrides.NONE;

    static BackendIndex of(ServiceCatalog catalog, BackendOverrides overrides) {
        BackendIndex index = new BackendIndex();
        for (Service s : catalog.services()) {
            for (EndpointSlice es : catalog.slicesOf(s)) {
                index.add(s, es);
            }
        }
        index.byKey.replaceAll((k, c) -> new Candidate(c.address(), c.port(), c.protocol(),
                overrides.apply(c.address(), c.port(), c.protocol(), c.state()), c.node(), c.targetRef()));
        index.overrides = overrides;
        return index;
    }

    private void add(Service s, EndpointSlice es) {
        for (ServicePort sp : s.ports()) {
            for (EndpointSlice.Port p : es.ports()) {
                if (!p.name().equals(sp.name()) || p.protocol() != sp.protocol()) {
                    continue;
                }
                for (EndpointSlice.SliceEndpoint e : es.endpoints()) {
                    BackendState st = BackendState.of(e);
                    if (st == null) {
                        continue;
                    }
                    Candidate c = new Candidate(e.address(), p.port(), p.protocol(), st, e.nodeName(), e.targetRef());
                    byKey.merge(c.key(), c, BackendIndex::moreAvailable);
                    own.merge(s.key() + "|" + c.key(), st, (a, b) -> b.ordinal() < a.ordinal() ? b : a);
                    List<String> keys = byPort.computeIfAbsent(portKey(s, sp, es.addressType()), k -> new ArrayList<>());
                    if (!keys.contains(c.key())) {
                        keys.add(c.key());
                    }
                }
            }
        }
    }

    static Candidate moreAvailable(Candidate a, Candidate b) {
        Candidate best = b.state().ordinal() < a.state().ordinal() ? b : a;
        String node = a.node() != null ? a.node() : b.node();
        String ref = a.targetRef() != null ? a.targetRef() : b.targetRef();
        return new Candidate(best.address(), best.port(), best.protocol(), best.state(), node, ref);
    }

    @Override
    public List<Candidate> backends(Service s, ServicePort p, IpFamily family) {
        return byPort.getOrDefault(portKey(s, p, family), List.of()).stream().map(byKey::get).sorted(ORDER).toList();
    }

    @Override
    public BackendState ownState(Service s, Candidate c) {
        BackendState st = own.get(s.key() + "|" + c.key());
        return st == null ? c.state() : overrides.apply(c.address(), c.port(), c.protocol(), st);
    }

    static String portKey(Service s, ServicePort p, IpFamily family) {
        return s.key() + "#" + p.index() + "#" + family;
    }
}
