package dev.weir.cli.diagnose;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.net.Cidr;
import dev.weir.cli.UserError;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir diagnose path SRC DST PROTO/PORT}: one connection, hop by hop, and what decides it. */
@Command(name = "path", mixinStandardHelpOptions = true,
        header = "Explain one connection hop by hop: programs, prefilter rule, identities, policy, service, conntrack.",
        description = {
                "Explain a new connection from SRC to DST (each a lab pod NS/POD or an IP address) on PROTO/PORT",
                "(TCP/80, UDP/53, ICMP): the programs it meets on which interfaces (the source pod's lxc, the",
                "destination node's underlay interface, the destination's lxc), the prefilter rule that matches, the",
                "identities on both sides, each hook's verdict with the policy and rule that decide it (the agents'",
                "policy engine, as `weir policy whatif` uses it), the service frontend and every backend when DST is",
                "a service address, the conntrack entries, the verdict, and whether the flows the kernel recorded",
                "for the pair agree. Changes nothing. Exit 0 when explained, 1 when no agent answers, 2 for bad input."})
public final class PathCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SRC", description = "NS/POD or an IP address.")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "NS/POD, a service address or an IP address.")
    String destination;

    @Parameters(index = "2", paramLabel = "PROTO/PORT", description = "TCP/80, UDP/53, SCTP/9, ICMP or ICMPv6.")
    String portSpec;

    @Option(names = "--ipv6", description = "Use the pods' IPv6 addresses (default IPv4; an address argument sets its family).")
    boolean ipv6;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    @Override
    public Integer call() {
        PathLogic.PortSpec spec = PathLogic.portSpec(portSpec);
        int family = family();
        List<AgentDirectory.Agent> agents = AgentDirectory.select(null);
        Map<String, JsonNode> pods = pods(agents.getFirst());
        ObjectNode src = party(source, pods, family);
        ObjectNode dst = party(destination, pods, family);
        ObjectNode report = new PathReport(agents, spec).explain(src, dst);
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, report);
        } else {
            PathReport.print(out, report);
        }
        return 0;
    }

    private int family() {
        for (String p : List.of(source, destination)) {
            if (!p.contains("/") && p.contains(":")) {
                return 6;
            }
            if (!p.contains("/") && p.contains(".")) {
                return 4;
            }
        }
        return ipv6 ? 6 : 4;
    }

    /** Every pod of the cluster by {@code ns/name}, as the agent knows it. */
    private static Map<String, JsonNode> pods(AgentDirectory.Agent a) {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        try {
            for (JsonNode e : a.call("endpoint.list", Json.mapper().createObjectNode().put("all", true))) {
                out.put(e.path("namespace").asText() + "/" + e.path("name").asText(), e);
            }
        } catch (ApiException e) {
            throw AgentDirectory.translate(a, e);
        }
        return out;
    }

    /**
     * {@code {"name": "x/a"|address, "address", "pod": endpoint JSON or absent}}.
     *
     * @throws UserError for an unknown pod, a malformed address, or an address of the other family
     */
    static ObjectNode party(String text, Map<String, JsonNode> pods, int family) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("name", text);
        if (text.contains("/")) {
            JsonNode pod = pods.get(text);
            if (pod == null) {
                throw new UserError("no pod " + text + " in the cluster (weir endpoint list)");
            }
            String addr = pod.path(family == 6 ? "ipv6" : "ipv4").asText(null);
            if (addr == null) {
                throw new UserError("pod " + text + " has no IPv" + family + " address");
            }
            o.put("address", addr);
            o.set("pod", pod);
            return o;
        }
        try {
            Cidr.parseAddress(text, text);
        } catch (IllegalArgumentException e) {
            throw new UserError("'" + text + "' is neither NS/POD nor an IP address");
        }
        if ((text.contains(":") ? 6 : 4) != family) {
            throw new UserError("'" + text + "' is not an IPv" + family + " address like the other side");
        }
        o.put("address", text);
        pods.forEach((k, p) -> {
            if (text.equals(p.path("ipv4").asText()) || text.equals(p.path("ipv6").asText())) {
                o.put("name", k + " (" + text + ")");
                o.set("pod", p);
            }
        });
        return o;
    }

    /** The addresses a flow of the connection may name as destination: the destination and every backend. */
    static Set<String> destinations(JsonNode decision) {
        Set<String> out = new LinkedHashSet<>();
        out.add(decision.path("destination").path("address").asText());
        decision.path("targets").forEach(t -> out.add(t.path("address").asText()));
        return out;
    }

    /** A JSON array of the values. */
    static ArrayNode array(List<? extends JsonNode> values) {
        ArrayNode a = Json.mapper().createArrayNode();
        values.forEach(a::add);
        return a;
    }

    /** Text lines as a JSON array. */
    static ArrayNode lines(List<String> values) {
        ArrayNode a = Json.mapper().createArrayNode();
        values.forEach(a::add);
        return a;
    }

    static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
