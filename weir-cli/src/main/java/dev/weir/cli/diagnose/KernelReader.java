package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.net.Cidr;
import dev.weir.cli.ops.BpfMapList;
import dev.weir.cli.ops.NetCommand;
import dev.weir.cli.ops.WeirPins;
import dev.weir.cli.output.Json;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.ProgramInfo;

/**
 * Reads what the kernel has on the nodes: the programs on each node's interfaces (XDP and tcx through the
 * kernel, classic TC filters through {@code tc}) and on its pods' cgroups ({@code bpftool cgroup show}), weir's
 * own being those its pinned links hold; each node's routes to the other nodes' pods and its interfaces' MTUs
 * ({@code ip -j}); and the fill of weir's pinned maps. Reads only; never looks at a namespace no agent names.
 */
final class KernelReader {

    private final List<Facts.Agent> agents;

    /** @param agents the agents read; only those that answered are looked at */
    KernelReader(List<Facts.Agent> agents) {
        this.agents = agents.stream().filter(Facts.Agent::up).toList();
    }

    /** The programs on every interface of the nodes' namespaces and on every local pod's cgroup. */
    List<Facts.Hook> hooks() {
        Map<Integer, ProgramInfo> progs = new HashMap<>();
        BpfSystem.programs().forEach(p -> progs.put(p.id(), p));
        Set<Integer> weirs = WeirPins.attachedPrograms();
        List<Facts.Hook> out = new ArrayList<>();
        for (Facts.Agent a : agents) {
            Set<String> podIfaces = new TreeSet<>();
            a.pods().stream().filter(Facts.Pod::local).forEach(p -> podIfaces.add(p.iface()));
            List<NetCommand.Row> rows = NetCommand.scan(a.netns() == null ? "" : a.netns(), progs);
            Set<String> weirIfaces = new TreeSet<>(podIfaces);
            rows.stream().filter(r -> weirs.contains(r.progId()) || r.hook().startsWith("tc/") && r.owner().equals("weir"))
                    .forEach(r -> weirIfaces.add(r.iface()));
            for (NetCommand.Row r : rows.stream().filter(r -> !r.hook().startsWith("tc/")).toList()) { // tc: every filter below
                out.add(new Facts.Hook(a.node(), a.netns(), r.iface(), r.hook().equals("xdp") ? "xdp/" + r.mode() : r.hook(),
                        r.progId(), r.progName(), weirs.contains(r.progId()), weirIfaces.contains(r.iface())));
            }
            weirIfaces.forEach(i -> out.addAll(tcFilters(a, i, progs)));
            a.pods().stream().filter(p -> p.local() && p.cgroup() != null)
                    .forEach(p -> out.addAll(cgroup(a, p.cgroup(), weirs)));
        }
        return out;
    }

    /**
     * Classic (clsact) TC filters, every one on the interface: weir's are the pods' weir_from_ep / weir_to_ep (in its
     * slot, not pinnable), told by their weir_ names.
     */
    private static List<Facts.Hook> tcFilters(Facts.Agent a, String iface, Map<Integer, ProgramInfo> progs) {
        List<Facts.Hook> out = new ArrayList<>();
        for (String dir : List.of("ingress", "egress")) {
            Exec.Result r = Exec.run(Exec.inNetns("tc", a.netns(), "-j", "filter", "show", "dev", iface, dir));
            for (JsonNode f : r.ok() ? json(r.out()) : Json.mapper().createArrayNode()) {
                JsonNode prog = f.path("options").path("prog");
                if (!prog.path("id").isNumber()) {
                    continue;
                }
                int id = prog.path("id").asInt();
                String name = progs.containsKey(id) ? progs.get(id).name() : prog.path("name").asText("?");
                out.add(new Facts.Hook(a.node(), a.netns(), iface, "tc/" + dir, id, name, name.startsWith("weir_"), true));
            }
        }
        return out;
    }

    /** {@code bpftool cgroup show}: every program on the cgroup, link-attached or not. */
    private static List<Facts.Hook> cgroup(Facts.Agent a, String cgroup, Set<Integer> weirs) {
        Exec.Result r = Exec.run(List.of("bpftool", "-j", "cgroup", "show", cgroup));
        List<Facts.Hook> out = new ArrayList<>();
        if (!r.ok()) {
            return out;
        }
        for (JsonNode p : json(r.out())) {
            int id = p.path("id").asInt();
            out.add(new Facts.Hook(a.node(), null, cgroup, "cgroup/" + p.path("attach_type").asText(), id,
                    p.path("name").asText("?"), weirs.contains(id), true));
        }
        return out;
    }

    /** Each node's route (its longest non-default prefix) to every address of the other nodes' pods. */
    List<Facts.Route> routes() {
        List<Facts.Route> out = new ArrayList<>();
        for (Facts.Agent a : agents) {
            List<JsonNode> table = new ArrayList<>();
            for (String family : List.of("-4", "-6")) {
                // text, not -j: an encapsulated route's JSON repeats "dst" for the tunnel's far end
                Exec.Result r = Exec.run(Exec.inNetns("ip", a.netns(), family, "route", "show"));
                r.out().lines().map(KernelReader::routeLine).filter(java.util.Objects::nonNull).forEach(table::add);
            }
            for (Facts.Pod p : a.pods()) {
                if (p.node().equals(a.node())) {
                    continue;
                }
                for (String addr : java.util.stream.Stream.of(p.ipv4(), p.ipv6()).filter(java.util.Objects::nonNull).toList()) {
                    out.add(new Facts.Route(a.node(), p.key(), p.node(), addr, via(table, addr)));
                }
            }
        }
        return out;
    }

    /** Kinds of route {@code ip route show} names before the destination. */
    private static final java.util.Set<String> ROUTE_TYPES = java.util.Set.of("unreachable", "blackhole", "prohibit",
            "throw", "local", "broadcast", "anycast", "multicast", "nat");

    /** One line of {@code ip route show} as {@code {dst, type, gateway, dev}}; null for a continuation line. */
    static JsonNode routeLine(String line) {
        if (line.isBlank() || Character.isWhitespace(line.charAt(0))) {
            return null;
        }
        String[] w = line.strip().split("\\s+");
        var o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        int i = 0;
        if (ROUTE_TYPES.contains(w[0])) {
            o.put("type", w[0]);
            i = 1;
        }
        if (i < w.length) {
            o.put("dst", w[i]);
        }
        for (int j = i + 1; j + 1 < w.length; j++) {
            if (w[j].equals("via") && !o.has("gateway")) {
                o.put("gateway", w[j + 1]);
            } else if (w[j].equals("dev") && !o.has("dev")) {
                o.put("dev", w[j + 1]);
            }
        }
        return o;
    }

    /** {@code via GW dev IF} of the longest prefix covering the address, or null (the default route does not count). */
    static String via(List<JsonNode> table, String address) {
        byte[] a = Cidr.parseAddress(address, address);
        JsonNode best = null;
        int bestLen = -1;
        for (JsonNode r : table) {
            String dst = r.path("dst").asText("");
            if (dst.equals("default") || dst.isEmpty() || !r.path("type").asText("unicast").equals("unicast")) {
                continue;
            }
            try {
                Cidr c = Cidr.parse(dst.contains("/") ? dst : dst + (dst.contains(":") ? "/128" : "/32"));
                if (c.containsAddress(a) && c.length() > bestLen) {
                    best = r;
                    bestLen = c.length();
                }
            } catch (IllegalArgumentException e) {
                // a destination weir does not parse is not a pod route
            }
        }
        if (best == null) {
            return null;
        }
        return (best.has("gateway") ? "via " + best.path("gateway").asText() + " " : "") + "dev " + best.path("dev").asText();
    }

    /** The MTUs of the local pods' interfaces and of the interfaces the routes to other nodes' pods use. */
    List<Facts.Mtu> mtus(List<Facts.Route> routes) {
        List<Facts.Mtu> out = new ArrayList<>();
        for (Facts.Agent a : agents) {
            Set<String> underlay = new TreeSet<>();
            routes.stream().filter(r -> r.node().equals(a.node()) && r.via() != null)
                    .forEach(r -> underlay.add(r.via().substring(r.via().indexOf("dev ") + 4)));
            Set<String> pods = new TreeSet<>();
            a.pods().stream().filter(Facts.Pod::local).forEach(p -> pods.add(p.iface()));
            for (JsonNode l : json(Exec.run(Exec.inNetns("ip", a.netns(), "-j", "link", "show")).out())) {
                String name = l.path("ifname").asText();
                if (underlay.contains(name) || pods.contains(name)) {
                    out.add(new Facts.Mtu(a.node(), name, l.path("mtu").asInt(), underlay.contains(name)));
                }
            }
        }
        return out;
    }

    /** weir's pinned maps whose entries the kernel can count, by node (the directory under /sys/fs/bpf/weir). */
    static List<Facts.MapFill> maps() {
        List<Facts.MapFill> out = new ArrayList<>();
        for (BpfMapList.Row r : BpfMapList.rows(false)) {
            if (r.entries() == null || r.pin() == null) {
                continue;
            }
            java.nio.file.Path rel = WeirPins.ROOT.relativize(java.nio.file.Path.of(r.pin()));
            out.add(new Facts.MapFill(rel.getNameCount() > 1 ? rel.getName(0).toString() : "", r.name(), r.type(),
                    r.entries(), r.maxEntries()));
        }
        return out;
    }

    private static JsonNode json(String text) {
        try {
            JsonNode n = Json.mapper().readTree(text.isBlank() ? "[]" : text);
            return n.isArray() ? n : Json.mapper().createArrayNode();
        } catch (java.io.IOException e) {
            return Json.mapper().createArrayNode();
        }
    }
}
