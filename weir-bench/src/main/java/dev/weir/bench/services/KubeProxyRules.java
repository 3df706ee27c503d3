package dev.weir.bench.services;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A kube-proxy-style (iptables mode) nat ruleset for a set of ClusterIP services, as one
 * {@code iptables-restore --noflush} input, built the way kube-proxy's {@code syncProxyRules} writes it:
 *
 * <pre>
 * PREROUTING, OUTPUT   -> KUBE-SERVICES       (one rule per service: -d IP/32 -p tcp --dport P -j KUBE-SVC-…),
 *                                              then -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
 * KUBE-SVC-&lt;hash&gt;      ! -s clusterCIDR -j KUBE-MARK-MASQ; then per endpoint i of n:
 *                         -m statistic --mode random --probability 1/(n-i) -j KUBE-SEP-… (last one without)
 * KUBE-SEP-&lt;hash&gt;      -s POD/32 -j KUBE-MARK-MASQ (hairpin); -p tcp -j DNAT --to-destination POD:PORT
 * KUBE-MARK-MASQ        -j MARK --or-mark 0x4000
 * POSTROUTING          -> KUBE-POSTROUTING    (unmarked: RETURN; else clear the mark and MASQUERADE)
 * </pre>
 *
 * Chain names are kube-proxy's: {@code KUBE-SVC-} + the first 16 base32 characters of SHA-256 of
 * {@code "ns/name:port" + "tcp"}, {@code KUBE-SEP-} the same over {@code … + endpoint}. Immutable.
 */
public final class KubeProxyRules {

    /** The mark kube-proxy uses for "masquerade this connection" (bit 14). */
    static final String MASQ_MARK = "0x4000";
    /** The lab's pod range, kube-proxy's {@code --cluster-cidr}. */
    static final String CLUSTER_CIDR = "10.244.0.0/16";

    /** One endpoint: a pod address and port. */
    public record Endpoint(String ip, int port) {
        String hostPort() {
            return ip + ":" + port;
        }
    }

    /** One ClusterIP service port with its endpoints. */
    public record Service(String name, String clusterIp, int port, List<Endpoint> endpoints) {
        public Service {
            endpoints = List.copyOf(endpoints);
        }

        String portName() {
            return name + ":http";
        }

        String svcChain() {
            return "KUBE-SVC-" + hash(portName() + "tcp");
        }

        String sepChain(Endpoint e) {
            return "KUBE-SEP-" + hash(portName() + "tcp" + e.hostPort());
        }
    }

    private final List<Service> services;

    public KubeProxyRules(List<Service> services) {
        this.services = List.copyOf(services);
    }

    public List<Service> services() {
        return services;
    }

    /** The ClusterIP of service {@code i} (0-based): 10.96.0.10 onwards, past the lab's reserved first addresses. */
    public static String clusterIp(int i) {
        int a = 10 + i;
        if (a > 65_534) {
            throw new IllegalArgumentException("10.96.0.0/16 holds no service " + i);
        }
        return "10.96." + (a >> 8) + "." + (a & 0xff);
    }

    /**
     * {@code count} services {@code bench/svc-<i>}, TCP {@code port}, each with {@code perService}
     * endpoints taken in turn from {@code backends} (starting at the first for every service).
     */
    public static KubeProxyRules of(int count, int port, int perService, List<Endpoint> backends) {
        List<Service> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            List<Endpoint> eps = new ArrayList<>(perService);
            for (int j = 0; j < perService; j++) {
                eps.add(backends.get(j % backends.size()));
            }
            out.add(new Service("bench/svc-" + i, clusterIp(i), port, eps));
        }
        return new KubeProxyRules(out);
    }

    /**
     * {@code count} services with {@code perService} endpoints each, every endpoint its own address
     * (10.128.0.0/9 onwards, not routed: for timing rule updates, not for traffic).
     */
    public static KubeProxyRules distinct(int count, int port, int perService) {
        List<Service> out = new ArrayList<>(count);
        int next = 0;
        for (int i = 0; i < count; i++) {
            List<Endpoint> eps = new ArrayList<>(perService);
            for (int j = 0; j < perService; j++, next++) {
                eps.add(new Endpoint(syntheticPod(next), port));
            }
            out.add(new Service("bench/svc-" + i, clusterIp(i), port, eps));
        }
        return new KubeProxyRules(out);
    }

    public static String syntheticPod(int n) {
        int a = (128 << 16) + n;
        return "10." + (a >> 16) + "." + ((a >> 8) & 0xff) + "." + (a & 0xff);
    }

    /** The same services with endpoint {@code e} of service {@code s} replaced by {@code to}. */
    public KubeProxyRules withEndpoint(int s, int e, Endpoint to) {
        List<Service> copy = new ArrayList<>(services);
        Service old = copy.get(s);
        List<Endpoint> eps = new ArrayList<>(old.endpoints());
        eps.set(e, to);
        copy.set(s, new Service(old.name(), old.clusterIp(), old.port(), eps));
        return new KubeProxyRules(copy);
    }

    /** The services as weir objects: one multi-document YAML stream, a Service and an EndpointSlice each. */
    public String weirYaml() {
        StringBuilder b = new StringBuilder(services.size() * 600);
        for (int i = 0; i < services.size(); i++) {
            Service s = services.get(i);
            b.append("apiVersion: v1\nkind: Service\nmetadata: {name: svc-").append(i).append(", namespace: bench}\n")
                    .append("spec:\n  clusterIP: ").append(s.clusterIp()).append("\n  ports: [{name: http, protocol: TCP, port: ")
                    .append(s.port()).append(", targetPort: ").append(s.endpoints().getFirst().port()).append("}]\n---\n");
            appendSlice(b, i);
            b.append("---\n");
        }
        return b.toString();
    }

    /** Service {@code i}'s EndpointSlice alone, as {@link #weirYaml} writes it. */
    public String weirSlice(int i) {
        StringBuilder b = new StringBuilder(600);
        appendSlice(b, i);
        return b.toString();
    }

    private void appendSlice(StringBuilder b, int i) {
        Service s = services.get(i);
        b.append("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: svc-").append(i)
                .append("\n  namespace: bench\n  labels: {kubernetes.io/service-name: svc-").append(i)
                .append("}\naddressType: IPv4\nports: [{name: http, protocol: TCP, port: ")
                .append(s.endpoints().getFirst().port()).append("}]\nendpoints:\n");
        for (Endpoint e : s.endpoints()) {
            b.append("- {addresses: [").append(e.ip()).append("], conditions: {ready: true}}\n");
        }
    }

    /** Number of chains the ruleset declares (4 fixed, one per service, one per endpoint). */
    public int chainCount() {
        return 4 + services.size() + services.stream().mapToInt(s -> s.endpoints().size()).sum();
    }

    /**
     * The whole nat table as kube-proxy writes it on a full sync: every chain declared (which flushes it
     * under {@code --noflush}), then every rule. With {@code hooks} the jumps from PREROUTING, OUTPUT and
     * POSTROUTING are added too (once, when the table is new: they are not declared, so not flushed).
     */
    public String restoreInput(boolean hooks) {
        StringBuilder b = new StringBuilder(services.size() * 600 + 1024);
        b.append("*nat\n");
        for (String c : List.of("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ")) {
            b.append(':').append(c).append(" - [0:0]\n");
        }
        for (Service s : services) {
            b.append(':').append(s.svcChain()).append(" - [0:0]\n");
            for (Endpoint e : s.endpoints()) {
                b.append(':').append(s.sepChain(e)).append(" - [0:0]\n");
            }
        }
        if (hooks) {
            b.append("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
            b.append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
            b.append("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n");
        }
        b.append("-A KUBE-POSTROUTING -m mark ! --mark ").append(MASQ_MARK).append('/').append(MASQ_MARK).append(" -j RETURN\n");
        b.append("-A KUBE-POSTROUTING -j MARK --xor-mark ").append(MASQ_MARK).append('\n');
        b.append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n");
        b.append("-A KUBE-MARK-MASQ -j MARK --or-mark ").append(MASQ_MARK).append('\n');
        for (Service s : services) {
            b.append("-A KUBE-SERVICES -d ").append(s.clusterIp()).append("/32 -p tcp -m comment --comment \"")
                    .append(s.portName()).append(" cluster IP\" -m tcp --dport ").append(s.port())
                    .append(" -j ").append(s.svcChain()).append('\n');
        }
        b.append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"")
                .append(" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        for (Service s : services) {
            appendService(b, s);
        }
        b.append("COMMIT\n");
        return b.toString();
    }

    /**
     * Only what changes when service {@code s}'s endpoints changed from {@code before}'s: its KUBE-SVC
     * chain and new KUBE-SEP chains re-declared and written, vanished KUBE-SEP chains deleted — what
     * kube-proxy 1.28+ writes on a partial sync ({@code MinimizeIPTablesRestore}).
     */
    public String partialRestoreInput(KubeProxyRules before, int s) {
        Service now = services.get(s);
        Service old = before.services.get(s);
        StringBuilder b = new StringBuilder("*nat\n");
        b.append(':').append(now.svcChain()).append(" - [0:0]\n");
        for (Endpoint e : now.endpoints()) {
            b.append(':').append(now.sepChain(e)).append(" - [0:0]\n");
        }
        List<String> gone = old.endpoints().stream().filter(e -> !now.endpoints().contains(e)).map(old::sepChain).toList();
        for (String c : gone) {
            b.append(':').append(c).append(" - [0:0]\n"); // flushed first: only an empty chain can be deleted
        }
        appendService(b, now);
        for (String c : gone) {
            b.append("-X ").append(c).append('\n');
        }
        b.append("COMMIT\n");
        return b.toString();
    }

    private static void appendService(StringBuilder b, Service s) {
        String svc = s.svcChain();
        b.append("-A ").append(svc).append(" ! -s ").append(CLUSTER_CIDR).append(" -d ").append(s.clusterIp())
                .append("/32 -p tcp -m comment --comment \"").append(s.portName()).append(" cluster IP\" -m tcp --dport ")
                .append(s.port()).append(" -j KUBE-MARK-MASQ\n");
        int n = s.endpoints().size();
        for (int i = 0; i < n; i++) {
            Endpoint e = s.endpoints().get(i);
            b.append("-A ").append(svc).append(" -m comment --comment \"").append(s.portName()).append(" -> ")
                    .append(e.hostPort()).append('"');
            if (i < n - 1) {
                b.append(" -m statistic --mode random --probability ").append(String.format("%.10f", 1.0 / (n - i)));
            }
            b.append(" -j ").append(s.sepChain(e)).append('\n');
        }
        for (Endpoint e : s.endpoints()) {
            String sep = s.sepChain(e);
            b.append("-A ").append(sep).append(" -s ").append(e.ip()).append("/32 -m comment --comment \"")
                    .append(s.portName()).append("\" -j KUBE-MARK-MASQ\n");
            b.append("-A ").append(sep).append(" -p tcp -m comment --comment \"").append(s.portName())
                    .append("\" -m tcp -j DNAT --to-destination ").append(e.hostPort()).append('\n');
        }
    }

    /** kube-proxy's chain suffix: the first 16 characters of the base32 (RFC 4648) SHA-256 of {@code s}. */
    static String hash(String s) {
        byte[] d;
        try {
            d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder out = new StringBuilder(16);
        long bits = 0;
        int have = 0;
        for (int i = 0; out.length() < 16; ) {
            if (have < 5) {
                bits = (bits << 8) | (d[i++] & 0xff);
                have += 8;
            }
            out.append(alphabet.charAt((int) (bits >> (have - 5)) & 31));
            have -= 5;
        }
        return out.toString();
    }
}
