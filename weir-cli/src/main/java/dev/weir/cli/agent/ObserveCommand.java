package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.flow.CompactFormat;
import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir observe}: the agents' flow history, filtered with {@code hubble observe}'s options and printed
 * like it (compact lines, or one Hubble flow JSON object per line). Lost events are reported, never hidden.
 */
@Command(name = "observe", mixinStandardHelpOptions = true,
        description = {"Show flows (policy verdicts, drops, traces, DNS messages) from the agents' history, like hubble observe.",
                "Several values of one filter match any of them; different filters must all match."})
public final class ObserveCommand implements Callable<Integer> {

    /** Output formats of observe. */
    enum Format { compact, json }

    @Option(names = {"-f", "--follow"}, description = "Keep printing new flows until interrupted.")
    boolean follow;

    @Option(names = "--last", defaultValue = "20", description = "Show the last N matching flows (default: ${DEFAULT-VALUE}; 0 for all).")
    int last;

    @Option(names = "--since", description = "Only flows since a time (RFC 3339) or a duration ago (30s, 5m, 1h).")
    String since;

    @Mixin
    FlowFilterOptions filters = new FlowFilterOptions();

    @Option(names = "--fqdn", paramLabel = "PATTERN",
            description = {"DNS flows whose query matches, and flows to or from an address the pod resolved a",
                    "matching name to (destination_names, source_names). * alone matches every name, else any",
                    "characters within one label: *.example.org. Needs DNS visibility (weir dns)."})
    List<String> fqdns = new ArrayList<>();

    @Option(names = "--node", description = "Only this node's agent (default: every node, merged by time).")
    String node;

    @Option(names = {"-o", "--output"}, defaultValue = "compact", description = "compact or json (one flow per line).")
    Format output;

    @Override
    public Integer call() throws InterruptedException {
        for (String p : fqdns) {
            try {
                dev.weir.agent.dns.DnsPattern.parse(p);
            } catch (IllegalArgumentException e) {
                throw new UserError("--fqdn: " + e.getMessage());
            }
        }
        ObjectNode params = params();
        filters.check();
        List<AgentDirectory.Agent> agents = AgentDirectory.select(node);
        PrintWriter out = new PrintWriter(System.out, true);
        AgentFlows answer = AgentFlows.query(agents, params, last);
        for (AgentDirectory.Agent a : agents) {
            ApiException failed = answer.failures().get(a.node());
            if (failed != null) {
                throw AgentDirectory.translate(a, failed);
            }
            long lost = answer.counters().get(a.node()).path("kernelLost").asLong();
            if (lost > 0) {
                printLost(out, a.node(), lost);
            }
        }
        answer.flows().forEach(f -> print(out, f));
        if (follow) {
            follow(agents, out);
        }
        return 0;
    }

    private void follow(List<AgentDirectory.Agent> agents, PrintWriter out) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (AgentDirectory.Agent a : agents) {
            threads.add(Thread.ofPlatform().daemon(true).name("observe-" + a.node()).start(() ->
                    a.client().stream("flows.follow", params(), e -> {
                        synchronized (out) {
                            if (e.has("flow")) {
                                print(out, e.get("flow"));
                            } else if (e.has("lost_events")) {
                                printLost(out, a.node(), e.get("lost_events").asLong());
                            }
                        }
                        return true;
                    })));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private void print(PrintWriter out, JsonNode flow) {
        if (output == Format.json) {
            out.println(flow.toString());
        } else {
            out.println(CompactFormat.line(flow, ZoneId.systemDefault()));
        }
        out.flush();
    }

    private void printLost(PrintWriter out, String node, long n) {
        if (output == Format.json) {
            ObjectNode o = Json.mapper().createObjectNode();
            o.putObject("lost_events").put("source", "WEIR_RING_BUFFER").put("num_events_lost", n).put("node_name", node);
            out.println(o.toString());
        } else {
            out.println("EVENTS LOST: " + node + " ring buffer " + n);
        }
        out.flush();
    }

    private ObjectNode params() {
        ObjectNode p = Json.mapper().createObjectNode();
        filters.putInto(p);
        com.fasterxml.jackson.databind.node.ArrayNode names = p.putArray("fqdn");
        fqdns.forEach(names::add);
        if (since != null) {
            p.put("since", since(since).toString());
        }
        p.put("last", last);
        return p;
    }

    static Instant since(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            String t = text.strip();
            if (t.matches("\\d+[smh]")) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                Duration d = switch (t.charAt(t.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
                return Instant.now().minus(d);
            }
            throw new UserError("--since: '" + text + "' is neither an RFC 3339 time nor a duration like 30s, 5m, 1h");
        }
    }
}
