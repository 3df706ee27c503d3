package dev.weir.bench.services;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * weir's per-packet service translation: the benchmark's services as Kubernetes Service + EndpointSlice
 * objects through {@code weir apply} (which returns once every node's agent has written them into its
 * pinned maps), translated by {@code tc_endpoint} on the client pod's veth. {@link #install} reports the
 * apply time; iptables is not involved (its nat table is removed by its own mode).
 */
final class WeirTcMode implements Mode {

    private final ServiceSet set;
    private final Path weir;
    private Path file;
    private KubeProxyRules installed;

    WeirTcMode(ServiceSet set) {
        this.set = set;
        this.weir = Path.of(System.getenv().getOrDefault("WEIR_ROOT", ".")).resolve("bin/weir");
    }

    @Override
    public String name() {
        return "weir TC";
    }

    @Override
    public Optional<String> unavailable() {
        return Files.isExecutable(weir) ? Optional.empty() : Optional.of("no " + weir + " (set WEIR_ROOT)");
    }

    @Override
    public double install(int services) throws Exception {
        remove();
        KubeProxyRules rules = set.rules(services);
        file = Files.createTempFile("weir-bench-services-", ".yaml");
        Files.writeString(file, yaml(rules));
        long start = System.nanoTime();
        run("apply", "-f", file.toString(), "--timeout", "600");
        double secs = (System.nanoTime() - start) / 1e9;
        installed = rules;
        return secs;
    }

    @Override
    public Target target() {
        KubeProxyRules.Service last = installed.services().getLast();
        return new Target(last.clusterIp(), last.port(), Set.copyOf(set.names()));
    }

    @Override
    public void remove() throws Exception {
        if (file != null) {
            run("delete", "-f", file.toString(), "--timeout", "600");
            Files.deleteIfExists(file);
            file = null;
        }
        installed = null;
    }

    /** The services as one multi-document YAML stream: a Service and an EndpointSlice each. */
    static String yaml(KubeProxyRules rules) {
        StringBuilder b = new StringBuilder(rules.services().size() * 600);
        int i = 0;
        for (KubeProxyRules.Service s : rules.services()) {
            String name = "svc-" + i++;
            b.append("apiVersion: v1\nkind: Service\nmetadata: {name: ").append(name).append(", namespace: bench}\n")
                    .append("spec:\n  clusterIP: ").append(s.clusterIp()).append("\n  ports: [{name: http, protocol: TCP, port: ")
                    .append(s.port()).append(", targetPort: ").append(s.endpoints().getFirst().port()).append("}]\n---\n");
            b.append("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: ").append(name)
                    .append("\n  namespace: bench\n  labels: {kubernetes.io/service-name: ").append(name)
                    .append("}\naddressType: IPv4\nports: [{name: http, protocol: TCP, port: ")
                    .append(s.endpoints().getFirst().port()).append("}]\nendpoints:\n");
            for (KubeProxyRules.Endpoint e : s.endpoints()) {
                b.append("- {addresses: [").append(e.ip()).append("], conditions: {ready: true}}\n");
            }
            b.append("---\n");
        }
        return b.toString();
    }

    private void run(String... args) throws IOException, InterruptedException {
        run(weir, args);
    }

    /** Runs {@code bin/weir} with the arguments and returns what it printed; a non-zero exit throws. */
    static String run(Path weir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(weir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
        }
        return out;
    }

    Path weir() {
        return weir;
    }
}
