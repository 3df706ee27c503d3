package dev.weir.cli.diagnose;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.ops.NetCommand;
import dev.weir.cli.ops.WeirPins;
import dev.weir.cli.output.Json;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.ProgramInfo;

/**
 * Assembles {@code weir diagnose path}'s answer: the deciding agent's {@code diagnose.path} (identities, hooks,
 * policies, service, conntrack), the programs on each hop's interface (the kernel's XDP and tcx queries and weir's
 * clsact slot, in the nodes' namespaces), the node's route ({@code ip route get}), the prefilter rules on the path
 * ({@code prefilter.status}), and the flows the agents recorded for the pair ({@code flows.query}). Reads only;
 * one per command.
 */
final class PathReport {

    private static final int FLOWS_READ = 2000;

    private final Map<String, AgentDirectory.Agent> agents = new LinkedHashMap<>();
    private final PathLogic.PortSpec spec;
    private final Map<String, JsonNode> statuses = new HashMap<>();
    private final Map<String, List<NetCommand.Row>> scans = new HashMap<>();
    private Map<Integer, ProgramInfo> progs;
    private Set<Integer> weirs;

    PathReport(List<AgentDirectory.Agent> agents, PathLogic.PortSpec spec) {
        agents.forEach(a -> this.agents.put(a.node(), a));
        this.spec = spec;
    }

    ObjectNode explain(ObjectNode src, ObjectNode dst) {
        String srcNode = src.path("pod").path("node").asText(null);
        String dstNode = dst.path("pod").path("node").asText(null);
        AgentDirectory.Agent decider = agents.getOrDefault(srcNode, agents.getOrDefault(dstNode,
                agents.values().iterator().next()));
        ObjectNode q = Json.mapper().createObjectNode().put("source", src.path("address").asText())
                .put("destination", dst.path("address").asText()).put("protocol", spec.protocol().name()).put("port", spec.port());
        JsonNode d = call(decider, "diagnose.path", q);
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("source", src.path("name").asText()).put("destination", dst.path("name").asText()).put("connection", spec.toString());
        o.put("decidedBy", decider.node());
        o.set("decision", d);
        JsonNode target = hopsTarget(d);
        o.put("hopsTo", target.path("endpoint").isTextual() ? target.path("endpoint").asText() : target.path("address").asText(""));
        String targetNode = target.path("ingress").path("node").asText(dstNode);
        o.set("hops", hops(src, d, srcNode, targetNode, target));
        o.set("prefilter", prefilter(o.path("hops"), src.path("address").asText(), target.path("address").asText()));
        o.set("conntrack", conntrack(d, decider, srcNode, targetNode));
        o.set("kernel", kernel(d, srcNode, targetNode));
        o.put("verdict", verdict(o));
        return o;
    }

    /** The target the hops lead to: the backend a conntrack entry of the connection names, else the first. */
    static JsonNode hopsTarget(JsonNode d) {
        for (JsonNode e : d.path("conntrack")) {
            for (JsonNode t : d.path("targets")) {
                if (t.path("address").asText().equals(e.path("destinationIp").asText())
                        && t.path("port").asInt() == e.path("destinationPort").asInt()) {
                    return t;
                }
            }
        }
        return d.path("targets").path(0);
    }

    private ArrayNode hops(ObjectNode src, JsonNode d, String srcNode, String targetNode, JsonNode target) {
        ArrayNode hops = Json.mapper().createArrayNode();
        String srcIface = src.path("pod").path("iface").asText(null);
        if (srcNode != null && srcIface != null) {
            hops.add(hop(src.path("name").asText() + " eth0 -> " + srcNode + " " + srcIface, srcNode, srcIface,
                    Set.of("xdp", "tcx/ingress", "tc/ingress"), "the source's egress policy and service translation"));
        }
        if (targetNode != null && !targetNode.equals(srcNode)) {
            String route = srcNode == null ? null : route(srcNode, target.path("address").asText());
            String back = route(targetNode, d.path("source").path("address").asText());
            String underlay = back == null ? "eth0" : back.replaceFirst(".*dev (\\S+).*", "$1");
            ObjectNode h = hop((srcNode == null ? d.path("source").path("address").asText() : srcNode) + " -> "
                    + targetNode + " " + underlay, targetNode, underlay, Set.of("xdp", "tcx/ingress"),
                    "the destination node's underlay: prefilter (XDP), NodePort translation");
            h.put("route", route == null ? "(none: " + (srcNode == null ? "outside the nodes" : "no route") + ")" : srcNode + ": " + route);
            hops.add(h);
        }
        String dstIface = target.path("ingress").path("interface").asText(null);
        if (targetNode != null && dstIface != null) {
            hops.add(hop(targetNode + " " + dstIface + " -> " + target.path("endpoint").asText() + " eth0", targetNode, dstIface,
                    Set.of("tcx/egress", "tc/egress"), "the destination's ingress policy"));
        }
        return hops;
    }

    private ObjectNode hop(String what, String node, String iface, Set<String> hooks, String role) {
        ObjectNode h = Json.mapper().createObjectNode().put("hop", what).put("node", node).put("interface", iface).put("role", role);
        ArrayNode programs = h.putArray("programs");
        for (NetCommand.Row r : scan(node)) {
            String hook = r.hook().equals("xdp") ? "xdp" : r.hook();
            if (r.iface().equals(iface) && hooks.contains(hook)) {
                programs.addObject().put("hook", r.hook() + (r.mode().isEmpty() ? "" : "/" + r.mode())).put("id", r.progId())
                        .put("name", r.progName()).put("owner", weirs().contains(r.progId()) || r.hook().startsWith("tc/") && r.owner().equals("weir") ? "weir" : "foreign");
            }
        }
        return h;
    }

    /** Each attached prefilter on the path's interfaces, and the rule the packet meets there. */
    private ArrayNode prefilter(JsonNode hops, String src, String dst) {
        ArrayNode out = Json.mapper().createArrayNode();
        for (JsonNode h : hops) {
            AgentDirectory.Agent a = agents.get(h.path("node").asText());
            JsonNode st = a == null ? null : callQuietly(a, "prefilter.status", null);
            if (st == null || !st.path("attachments").has(h.path("interface").asText())) {
                continue;
            }
            PathLogic.PrefilterVerdict v = PathLogic.prefilter(st, src, dst, spec);
            out.addObject().put("node", a.node()).put("interface", h.path("interface").asText())
                    .put("mode", st.path("mode").asText()).put("verdict", v.verdict()).put("rule", v.rule()).put("why", v.why());
        }
        return out;
    }

    private ArrayNode conntrack(JsonNode d, AgentDirectory.Agent decider, String srcNode, String targetNode) {
        ArrayNode out = Json.mapper().createArrayNode();
        d.path("conntrack").forEach(e -> out.add(((ObjectNode) e.deepCopy()).put("node", decider.node())));
        for (String n : new java.util.TreeSet<>(java.util.Arrays.asList(srcNode, targetNode))) {
            if (n == null || n.equals(decider.node()) || !agents.containsKey(n)) {
                continue;
            }
            JsonNode other = callQuietly(agents.get(n), "diagnose.path", Json.mapper().createObjectNode()
                    .put("source", d.path("source").path("address").asText())
                    .put("destination", d.path("destination").path("address").asText())
                    .put("protocol", spec.protocol().name()).put("port", spec.port()));
            if (other != null) {
                other.path("conntrack").forEach(e -> out.add(((ObjectNode) e.deepCopy()).put("node", n)));
            }
        }
        return out;
    }

    /** Per target: whether the newest recorded policy verdicts for the pair agree with the engine's. */
    private ArrayNode kernel(JsonNode d, String srcNode, String targetNode) {
        List<JsonNode> flows = new ArrayList<>();
        for (String n : new java.util.TreeSet<>(agents.keySet())) {
            if (!n.equals(srcNode) && !n.equals(targetNode) && (srcNode != null || targetNode != null)) {
                continue;
            }
            ObjectNode q = Json.mapper().createObjectNode().put("last", FLOWS_READ);
            if (spec.protocol().hasPorts()) {
                q.putArray("port").add(spec.port());
            }
            JsonNode r = callQuietly(agents.get(n), "flows.query", q);
            if (r != null) {
                r.path("flows").forEach(flows::add);
            }
        }
        ArrayNode out = Json.mapper().createArrayNode();
        for (JsonNode t : d.path("targets")) {
            PathLogic.Agreement a = PathLogic.agreement(flows, d.path("source").path("address").asText(),
                    Set.of(t.path("address").asText()), t.path("verdict").asText());
            ObjectNode k = out.addObject().put("target", t.path("address").asText()).put("answer", a.answer())
                    .put("kernelVerdict", a.kernelVerdict());
            k.set("flows", PathCommand.lines(a.flows()));
        }
        return out;
    }

    private static String verdict(JsonNode o) {
        for (JsonNode p : o.path("prefilter")) {
            if (p.path("verdict").asText().equals("DROPPED")) {
                return "DROPPED by the prefilter on " + p.path("node").asText() + " " + p.path("interface").asText()
                        + (p.path("rule").isTextual() ? " (rule " + p.path("rule").asText() + ")" : " (" + p.path("why").asText() + ")");
            }
        }
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (JsonNode t : o.path("decision").path("targets")) {
            String who = t.path("endpoint").isTextual() ? t.path("endpoint").asText() : t.path("address").asText();
            by.computeIfAbsent(t.path("verdict").asText(), k -> new ArrayList<>()).add(who);
        }
        if (by.isEmpty()) {
            return "DROPPED: the service has no backend of this family";
        }
        if (by.size() == 1 && o.path("decision").path("service").isNull()) {
            return by.keySet().iterator().next();
        }
        List<String> parts = new ArrayList<>();
        by.forEach((v, who) -> parts.add(v + " to " + String.join(", ", who)));
        return String.join("; ", parts);
    }

    private String route(String node, String address) {
        Exec.Result r = Exec.run(Exec.inNetns("ip", netns(node), "-j", "route", "get", address));
        if (!r.ok()) {
            return null;
        }
        try {
            JsonNode first = Json.mapper().readTree(r.out()).path(0);
            return (first.has("gateway") ? "via " + first.path("gateway").asText() + " " : "") + "dev " + first.path("dev").asText();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private String netns(String node) {
        JsonNode s = statuses.computeIfAbsent(node, n -> agents.containsKey(n) ? callQuietly(agents.get(n), "status", null) : null);
        return s == null ? null : s.path("netns").asText(null);
    }

    private List<NetCommand.Row> scan(String node) {
        return scans.computeIfAbsent(node, n -> {
            try {
                return NetCommand.scan(netns(n) == null ? "" : netns(n), progs());
            } catch (RuntimeException e) {
                return List.of();
            }
        });
    }

    private Map<Integer, ProgramInfo> progs() {
        if (progs == null) {
            progs = new HashMap<>();
            BpfSystem.programs().forEach(p -> progs.put(p.id(), p));
        }
        return progs;
    }

    private Set<Integer> weirs() {
        if (weirs == null) {
            weirs = WeirPins.attachedPrograms();
        }
        return weirs;
    }

    private static JsonNode call(AgentDirectory.Agent a, String method, JsonNode params) {
        try {
            return a.call(method, params);
        } catch (ApiException e) {
            throw AgentDirectory.translate(a, e);
        }
    }

    private static JsonNode callQuietly(AgentDirectory.Agent a, String method, JsonNode params) {
        try {
            return a.call(method, params);
        } catch (ApiException e) {
            return null;
        }
    }

    /** The report for people: hops, identities, prefilter, policy per target, conntrack, verdict, the kernel's answer. */
    static void print(PrintWriter out, JsonNode o) {
        JsonNode d = o.path("decision");
        out.println("path " + o.path("source").asText() + " (" + d.path("source").path("address").asText() + ") -> "
                + o.path("destination").asText() + " (" + d.path("destination").path("address").asText() + ") "
                + o.path("connection").asText() + ", judged by " + o.path("decidedBy").asText() + "'s agent at revision "
                + d.path("revision").asLong());
        if (d.path("targets").size() > 1) {
            out.println("  hops to " + o.path("hopsTo").asText() + " (the backend conntrack shows, else the first)");
        }
        int i = 1;
        for (JsonNode h : o.path("hops")) {
            List<String> progs = new ArrayList<>();
            h.path("programs").forEach(p -> progs.add(p.path("hook").asText() + " " + p.path("name").asText() + " (id "
                    + p.path("id").asInt() + ", " + p.path("owner").asText() + ")"));
            out.println("  hop " + i++ + ": " + h.path("hop").asText() + ": " + (progs.isEmpty() ? "no program" : String.join(", ", progs))
                    + " [" + h.path("role").asText() + "]" + (h.has("route") ? "; route " + h.path("route").asText() : ""));
        }
        party(out, "source", d.path("source"));
        party(out, "destination", d.path("destination"));
        for (JsonNode p : o.path("prefilter")) {
            out.println("  prefilter on " + p.path("node").asText() + " " + p.path("interface").asText() + " ("
                    + p.path("mode").asText() + "): " + p.path("verdict").asText() + ", " + p.path("why").asText()
                    + (p.path("rule").isTextual() ? ": " + p.path("rule").asText() : ""));
        }
        if (o.path("prefilter").isEmpty()) {
            out.println("  prefilter: none attached on the path");
        }
        if (!d.path("service").isNull() && !d.path("service").isMissingNode()) {
            JsonNode s = d.path("service");
            out.println("  service " + s.path("service").asText() + " " + s.path("type").asText() + " " + s.path("frontend").asText()
                    + "/" + s.path("protocol").asText() + ", backends " + s.path("backends"));
        }
        for (JsonNode t : d.path("targets")) {
            out.println("  to " + (t.path("endpoint").isTextual() ? t.path("endpoint").asText() + " " : "")
                    + t.path("address").asText() + ":" + t.path("port").asInt() + ": " + t.path("verdict").asText());
            out.println("    egress  " + hook(t.path("egress")));
            out.println("    ingress " + hook(t.path("ingress")));
        }
        o.path("conntrack").forEach(e -> out.println("  conntrack " + e.path("node").asText() + ": "
                + dev.weir.cli.agent.CtCommand.line((ObjectNode) e)));
        if (o.path("conntrack").isEmpty()) {
            out.println("  conntrack: no entry for this connection");
        }
        out.println("  verdict: " + o.path("verdict").asText());
        for (JsonNode k : o.path("kernel")) {
            out.println("  kernel (" + k.path("target").asText() + "): " + switch (k.path("answer").asText()) {
                case "agrees" -> "agrees, the newest recorded flows: " + k.path("flows");
                case "disagrees" -> "DISAGREES: the kernel " + k.path("kernelVerdict").asText() + " it: " + k.path("flows");
                default -> "unknown: no flow of this pair recorded (send one, e.g. weir lab probe)";
            });
        }
        out.flush();
    }

    private static void party(PrintWriter out, String side, JsonNode p) {
        out.println("  " + side + ": " + (p.path("endpoint").isTextual() ? p.path("endpoint").asText() + " on "
                + p.path("node").asText() + ", identity " + p.path("identity").asInt() + " " + p.path("labels")
                : p.path("address").asText() + " (not a pod)"));
    }

    private static String hook(JsonNode h) {
        if (!h.path("endpoint").isTextual()) {
            return "(not a pod: no hook)";
        }
        JsonNode pol = h.path("policy");
        return "of " + h.path("endpoint").asText() + " on " + h.path("node").asText() + " " + h.path("interface").asText()
                + ": " + h.path("verdict").asText() + " " + h.path("reason").asText()
                + (pol.isObject() ? " by " + pol.path("kind").asText() + " " + pol.path("namespace").asText() + "/"
                + pol.path("name").asText() + " " + pol.path("rule").asText()
                : h.path("enforced").asBoolean() ? " (no rule allows: default deny)" : " (not enforced)")
                + ", peer seen as identity " + h.path("peerIdentity").asInt();
    }
}
