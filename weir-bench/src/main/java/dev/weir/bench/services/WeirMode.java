package dev.weir.bench.services;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * weir's service translation: the benchmark's services as Kubernetes Service + EndpointSlice objects
 * through {@code weir apply} (which returns once every node's agent has written them into its pinned maps),
 * with the lab's agents running with {@code --socket-lb off} (the "weir TC" column: {@code tc_endpoint}
 * translates per packet on the client pod's veth) or {@code on} (the "weir socket" column: {@code sock_lb}
 * on the client pod's cgroup rewrites {@code connect()}; the crr-client runs in that cgroup, see
 * {@link CrrRun}). {@link #install} first restarts the agents with the mode's setting when they run with
 * another and waits until each has finished its first sync (not timed; {@code weir lab restart-agents}), then
 * reports the apply time: from starting {@code weir apply} (its JVM start included) until it returns with every
 * node enforcing, as {@code iptables-restore} is timed from its start to its exit. The agents' JIT is as cold as
 * a few seconds of running leave it. iptables is not involved (its nat table is removed by its own mode).
 */
final class WeirMode implements Mode {

    private final ServiceSet set;
    private final String name;
    private final String socketLb;
    private final Path weir;
    private Path file;
    private KubeProxyRules installed;

    private WeirMode(ServiceSet set, String name, String socketLb) {
        this.set = set;
        this.name = name;
        this.socketLb = socketLb;
        this.weir = Path.of(System.getenv().getOrDefault("WEIR_ROOT", ".")).resolve("bin/weir");
    }

    /** Per-packet translation at TC only (agents with {@code --socket-lb off}). */
    static WeirMode tc(ServiceSet set) {
        return new WeirMode(set, "weir TC", "off");
    }

    /** Socket-level translation (agents with {@code --socket-lb on}). */
    static WeirMode socket(ServiceSet set) {
        return new WeirMode(set, "weir socket", "on");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> unavailable() {
        return Files.isExecutable(weir) ? Optional.empty() : Optional.of("no " + weir + " (set WEIR_ROOT)");
    }

    @Override
    public double install(int services) throws Exception {
        remove();
        ensureAgents();
        KubeProxyRules rules = set.rules(services);
        file = Files.createTempFile("weir-bench-services-", ".yaml");
        Files.writeString(file, rules.weirYaml());
        long start = System.nanoTime();
        run("apply", "-f", file.toString(), "--timeout", "600");
        double secs = (System.nanoTime() - start) / 1e9;
        installed = rules;
        return secs;
    }

    @Override
    public Target target() {
        return set.lastOf(installed);
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

    /** Restarts the lab's agents with this mode's {@code --socket-lb} unless every one runs with it already. */
    private void ensureAgents() throws IOException, InterruptedException {
        String want = socketLb.equals("on") ? "socket+tc" : "tc (socket LB off)";
        var agents = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run("status", "-o", "json")).path("nodes");
        boolean all = agents.size() > 0;
        for (var a : agents) {
            all &= a.path("serviceLb").asText().equals(want);
        }
        if (!all) {
            run("lab", "restart-agents", "--socket-lb", socketLb);
            // restart-agents returns once each agent answers; the timed apply starts once each has synced too
            new ApiApplyTiming().awaitSettled(java.time.Duration.ofSeconds(120));
        }
    }

    private String run(String... args) throws IOException, InterruptedException {
        return run(weir, args);
    }

    /**
     * Runs {@code bin/weir} with the arguments and returns its standard output (stderr apart, so that JSON
     * stays JSON); a non-zero exit throws with both.
     */
    static String run(Path weir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(weir.toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile("weir-bench-stderr-", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip() + " "
                        + Files.readString(err).strip());
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    Path weir() {
        return weir;
    }
}
