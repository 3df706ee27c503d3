package dev.weir.cli.diagnose;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.InProcess;
import dev.weir.cli.UserError;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.output.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir diagnose bundle}: one tar.gz with what an expert asks for first. */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        header = "Write one tar.gz with the state an expert asks for (bpftool, tc, ip, weir's lists, logs).",
        description = {
                "Write one tar.gz: MANIFEST.txt (each file, the command that made it, its exit code), diagnose.json",
                "(the checks), weir/*.json (status, endpoint, identity, node and service lists, policy per pod,",
                "prefilter per node, bpf prog/map/lb/ct/nodeport lists, net, probe, the last flows), metrics/NODE.txt,",
                "bpftool/*.json (prog, map, link, cgroup tree, net per namespace), ip/NS/*.json (addr, link, routes)",
                "and tc/NS/*.json (qdiscs, filters per interface) for the nodes' and the lab's namespaces, and",
                "logs/NODE.log (the agents' last 2000 lines). Addresses are kept; no packet payload is included (no",
                "pcap, no sampled drop payloads). Reads only; writes nothing but FILE, which must not exist.",
                "Exit 0 when written (a command that failed is listed in MANIFEST.txt), 2 for a bad FILE."})
public final class BundleCommand implements Callable<Integer> {

    /** Lines kept of each agent log. */
    static final int LOG_LINES = 2000;
    private static final Path NETNS_DIR = Path.of("/run/netns");
    private static final Path LAB_LOGS = Path.of("/run/weir/lab/logs");

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Where to write (default: weir-diagnose-YYYYMMDD-HHMMSS.tar.gz here). Must not exist.")
    Path file;

    private final List<String> manifest = new ArrayList<>();
    private int failed;

    @Override
    public Integer call() throws IOException {
        Instant now = Instant.now();
        Path target = file != null ? file : Path.of("weir-diagnose-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC).format(now) + ".tar.gz");
        check(target);
        String top = target.getFileName().toString().replaceFirst("\\.tar\\.gz$|\\.tgz$", "") + "/";
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        int files;
        try (OutputStream os = Files.newOutputStream(tmp); TarGz tar = new TarGz(os, now.getEpochSecond())) {
            files = write(tar, top);
            tar.add(top + "MANIFEST.txt", String.join("\n", manifest) + "\n");
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, target);
        System.out.println("wrote " + target.toAbsolutePath() + ": " + (files + 1) + " files, " + Files.size(target)
                + " bytes" + (failed > 0 ? "; " + failed + " commands failed (see MANIFEST.txt)" : ""));
        return 0;
    }

    /** @throws UserError when the file exists or its directory does not */
    private static void check(Path target) {
        if (Files.exists(target)) {
            throw new UserError(target + " exists; give another -f FILE (nothing was written)");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserError("no directory " + dir + " for " + target + " (nothing was written)");
        }
    }

    private int write(TarGz tar, String top) throws IOException {
        Progress p = new Progress();
        int n = 0;
        p.step("weir's own views");
        n += weir(tar, top);
        p.step("agents: policy, prefilter, metrics, logs");
        n += agents(tar, top);
        p.step("bpftool");
        n += run(tar, top + "bpftool/prog.json", List.of("bpftool", "-j", "prog", "show"));
        n += run(tar, top + "bpftool/map.json", List.of("bpftool", "-j", "map", "show"));
        n += run(tar, top + "bpftool/link.json", List.of("bpftool", "-j", "link", "show"));
        n += run(tar, top + "bpftool/cgroup-tree.json", List.of("bpftool", "-j", "cgroup", "tree"));
        n += run(tar, top + "bpftool/net-host.json", List.of("bpftool", "-j", "net"));
        p.step("ip and tc per namespace");
        for (String ns : namespaces()) {
            n += run(tar, top + "bpftool/net-" + ns + ".json", List.of("nsenter", "--net=" + NETNS_DIR.resolve(ns), "bpftool", "-j", "net"));
            n += run(tar, top + "ip/" + ns + "/addr.json", Exec.inNetns("ip", ns, "-j", "addr", "show"));
            n += run(tar, top + "ip/" + ns + "/link.json", Exec.inNetns("ip", ns, "-j", "-d", "link", "show"));
            n += run(tar, top + "ip/" + ns + "/route-4.json", Exec.inNetns("ip", ns, "-4", "-j", "route", "show", "table", "all"));
            n += run(tar, top + "ip/" + ns + "/route-6.json", Exec.inNetns("ip", ns, "-6", "-j", "route", "show", "table", "all"));
            n += run(tar, top + "tc/" + ns + "/qdisc.json", Exec.inNetns("tc", ns, "-j", "qdisc", "show"));
            for (String iface : clsactInterfaces(ns)) {
                for (String dir : List.of("ingress", "egress")) {
                    n += run(tar, top + "tc/" + ns + "/" + iface + "-" + dir + ".json",
                            Exec.inNetns("tc", ns, "-j", "filter", "show", "dev", iface, dir));
                }
            }
        }
        p.step("diagnose's checks");
        n += weirCommand(tar, top + "diagnose.json", "diagnose", "-o", "json");
        return n;
    }

    private int weir(TarGz tar, String top) throws IOException {
        String w = top + "weir/";
        int n = weirCommand(tar, w + "version.txt", "version");
        n += weirCommand(tar, w + "status.json", "status", "-o", "json");
        n += weirCommand(tar, w + "endpoint-list.json", "endpoint", "list", "-o", "json");
        n += weirCommand(tar, w + "identity-list.json", "identity", "list", "-o", "json");
        n += weirCommand(tar, w + "node-list.json", "node", "list", "-o", "json");
        n += weirCommand(tar, w + "service-list.json", "service", "list", "-o", "json");
        n += weirCommand(tar, w + "bpf-prog-list.json", "bpf", "prog", "list", "-o", "json");
        n += weirCommand(tar, w + "bpf-map-list.json", "bpf", "map", "list", "-o", "json");
        n += weirCommand(tar, w + "bpf-lb-list.json", "bpf", "lb", "list", "-o", "json");
        n += weirCommand(tar, w + "bpf-nodeport-list.json", "bpf", "nodeport", "list", "-o", "json");
        n += weirCommand(tar, w + "bpf-ct-list.json", "bpf", "ct", "list", "-o", "json");
        n += weirCommand(tar, w + "net.json", "net", "-o", "json");
        n += weirCommand(tar, w + "probe.json", "probe", "-o", "json");
        n += weirCommand(tar, w + "observe.json", "observe", "--last", "1000", "-o", "json");
        return n;
    }

    /** Per agent: each local pod's policy ({@code policy.get}), the prefilter, the metrics, the log's tail. */
    private int agents(TarGz tar, String top) throws IOException {
        int n = 0;
        for (AgentDirectory.Agent a : AgentDirectory.all()) {
            JsonNode status = api(a, "status", null);
            JsonNode endpoints = api(a, "endpoint.list", null);
            for (JsonNode e : endpoints == null ? Json.mapper().createArrayNode() : endpoints) {
                String ns = e.path("namespace").asText();
                String name = e.path("name").asText();
                n += json(tar, top + "weir/policy/" + ns + "-" + name + ".json", "agent " + a.node() + " policy.get " + ns + "/" + name,
                        api(a, "policy.get", Json.mapper().createObjectNode().put("namespace", ns).put("name", name)));
            }
            n += json(tar, top + "weir/prefilter-" + a.node() + ".json", "agent " + a.node() + " prefilter.status",
                    api(a, "prefilter.status", null));
            String url = status == null ? null : status.path("metricsUrl").asText(null);
            if (url != null) {
                AgentReader.Scrape s = AgentReader.scrape(url);
                n += entry(tar, top + "metrics/" + a.node() + ".txt", "GET " + url, s.ok() ? 0 : 1, s.text());
            }
            Path log = Stream.of(LAB_LOGS.resolve("agent-" + a.node() + ".log"),
                    AgentDirectory.runRoot().resolve(a.node()).resolve("agent.log")).filter(Files::isRegularFile).findFirst().orElse(null);
            if (log != null) {
                n += entry(tar, top + "logs/" + a.node() + ".log", "tail -n " + LOG_LINES + " " + log, 0, tail(log));
            }
        }
        return n;
    }

    private int weirCommand(TarGz tar, String name, String... args) throws IOException {
        InProcess.Result r = InProcess.run(args);
        return entry(tar, name, "weir " + String.join(" ", args), r.exit(), r.out() + (r.err().isEmpty() ? "" : r.err()));
    }

    private int run(TarGz tar, String name, List<String> command) throws IOException {
        Exec.Result r = Exec.run(command);
        return entry(tar, name, String.join(" ", command), r.exit(), r.ok() ? r.out() : r.out() + r.err());
    }

    private int json(TarGz tar, String name, String what, JsonNode value) throws IOException {
        if (value == null) {
            manifest.add(name + "\t" + what + "\t(no answer)");
            return 0;
        }
        return entry(tar, name, what, 0, value.toPrettyString() + "\n");
    }

    private int entry(TarGz tar, String name, String what, int exit, String content) throws IOException {
        manifest.add(name + "\t" + what + "\texit " + exit);
        if (exit != 0) {
            failed++;
        }
        tar.add(name, content.getBytes(StandardCharsets.UTF_8));
        return 1;
    }

    /** The nodes' namespaces and the lab's ({@code weir-*} under /run/netns); never any other. */
    private static List<String> namespaces() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (AgentDirectory.Agent a : AgentDirectory.all()) {
            JsonNode s = api(a, "status", null);
            if (s != null && s.path("netns").isTextual()) {
                out.add(s.path("netns").asText());
            }
        }
        if (Files.isDirectory(NETNS_DIR)) {
            try (Stream<Path> s = Files.list(NETNS_DIR)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("weir-")).forEach(out::add);
            } catch (IOException e) {
                // none listed
            }
        }
        return new ArrayList<>(out);
    }

    /** The namespace's interfaces that carry a clsact qdisc (where classic TC filters can be). */
    private static List<String> clsactInterfaces(String ns) {
        Exec.Result r = Exec.run(Exec.inNetns("tc", ns, "-j", "qdisc", "show"));
        List<String> out = new ArrayList<>();
        try {
            for (JsonNode q : Json.mapper().readTree(r.out().isBlank() ? "[]" : r.out())) {
                if (q.path("kind").asText().equals("clsact")) {
                    out.add(q.path("dev").asText());
                }
            }
        } catch (IOException e) {
            // none
        }
        return out;
    }

    private static JsonNode api(AgentDirectory.Agent a, String method, JsonNode params) {
        try {
            return a.call(method, params);
        } catch (ApiException e) {
            return null;
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_LINES), lines.size())) + "\n";
    }

    /** Progress on stderr (the bundle takes several seconds). */
    private static final class Progress {
        private final long t0 = System.nanoTime();

        void step(String what) {
            System.err.printf("bundle: %s (%.1f s)%n", what, (System.nanoTime() - t0) / 1e9);
            System.err.flush();
        }
    }
}
