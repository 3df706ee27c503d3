package dev.weir.cli.prefilter;

import dev.weir.agent.prefilter.PrefilterSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code weir prefilter set …}: mode, rate limit, event sampling, dry run. */
@Command(name = "set", mixinStandardHelpOptions = true,
        description = {"Change the scope's settings: denylist/allowlist mode, per-source rate limit, drop-event sampling,",
                "dry run.",
                "On a node's namespace whose agent runs, they are set in the node's WeirPrefilter imperative-<node>;",
                "another WeirPrefilter of that node that sets them otherwise makes this fail (one node, one mode)."})
final class SetCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    ForceOption force;

    @Option(names = "--mode", paramLabel = "denylist|allowlist",
            description = "denylist: deny rules drop, the rest passes; allowlist: only what an allow rule matches passes.")
    String mode;

    @Option(names = "--rate-limit", paramLabel = "PPS", description = "Packets per second per source address (/32, /128); 0 turns it off.")
    Long ratePps;

    @Option(names = "--burst", paramLabel = "N", description = "Token bucket size in packets (default: the rate).")
    Long burst;

    @Option(names = "--sample-every", paramLabel = "N", description = "Emit 1 in N drops as an event; 0 for none.")
    Long sampleEvery;

    @Option(names = "--dry-run", arity = "1", paramLabel = "true|false", description = {
            "The whole prefilter in dry run: every drop (rules, rate limit, malformed headers) is counted as",
            "would-drop (weir prefilter stats) and the packet passes; false enforces again."})
    Boolean dryRun;

    @Option(names = "--syn-proxy", paramLabel = "PORT[,PORT...]|none", description = {
            "TCP ports whose SYNs the prefilter answers with SYN cookies from XDP (the SYN-flood defence; the",
            "server's namespace needs net.ipv4.tcp_syncookies=2); none turns it off. Replaces the list."})
    String synProxy;

    /** The --syn-proxy ports, or null when not given. */
    private java.util.List<Integer> synProxyPorts() {
        if (synProxy == null) {
            return null;
        }
        if (synProxy.equals("none")) {
            return java.util.List.of();
        }
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (String t : synProxy.split(",")) {
            if (!t.strip().matches("\\d{1,5}") || Integer.parseInt(t.strip()) < 1 || Integer.parseInt(t.strip()) > 65535) {
                throw new IllegalArgumentException("--syn-proxy: '" + t + "' is not a port (1-65535); give PORT[,PORT...] or none");
            }
            out.add(Integer.parseInt(t.strip()));
        }
        return out;
    }

    @Override
    public void run() {
        if (mode == null && ratePps == null && burst == null && sampleEvery == null && dryRun == null && synProxy == null) {
            throw new IllegalArgumentException("nothing to set: give --mode, --rate-limit, --burst, --sample-every, --dry-run"
                    + " or --syn-proxy");
        }
        java.util.List<Integer> ports = synProxyPorts();
        PrefilterSettings.Mode m = mode == null ? null : switch (mode.toLowerCase()) {
            case "denylist", "deny" -> PrefilterSettings.Mode.DENYLIST;
            case "allowlist", "allow" -> PrefilterSettings.Mode.ALLOWLIST;
            default -> throw new IllegalArgumentException("--mode must be denylist or allowlist, not '" + mode + "'");
        };
        var agent = scope.agent();
        if (agent.isPresent()) {
            var params = NodeAgentPrefilter.op("set");
            if (m != null) {
                params.put("mode", m.name().toLowerCase());
            }
            if (ratePps != null) {
                params.put("rateLimit", ratePps);
            }
            if (burst != null) {
                params.put("burst", burst);
            }
            if (sampleEvery != null) {
                params.put("sampleEvery", sampleEvery);
            }
            if (dryRun != null) {
                params.put("dryRun", dryRun);
            }
            if (ports != null) {
                ports.forEach(params.putArray("synProxy")::add);
            }
            var edited = agent.get().edit(force.on(params));
            System.out.println("prefilter settings updated (" + scope.scope() + ")");
            System.out.println(edited.summary());
            return;
        }
        scope.manager().configure(s -> {
            PrefilterSettings out = s;
            if (m != null) {
                out = out.withMode(m);
            }
            if (ratePps != null || burst != null) {
                long pps = ratePps != null ? ratePps : out.ratePps();
                out = out.withRate(pps, burst != null ? burst : (ratePps != null ? pps : out.rateBurst()));
            }
            if (sampleEvery != null) {
                out = out.withSampleEvery(sampleEvery);
            }
            if (dryRun != null) {
                out = out.withDryRun(dryRun);
            }
            if (ports != null) {
                out = out.withSynProxy(ports);
            }
            return out;
        });
        System.out.println("prefilter settings updated (" + scope.scope() + ")");
    }
}
