package dev.weir.cli.agent;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir apply -f FILE|DIR} and {@code weir delete -f FILE|DIR}: send every document to an agent, which
 * validates them with the policy engine's parser and commits them to the store at once (all-or-nothing),
 * then wait until every running agent enforces the new revision.
 */
public final class ApplyCommand {

    private ApplyCommand() {
    }

    /** Options and the work shared by apply and delete. */
    abstract static class Base implements Runnable {
        @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR",
                description = "A YAML/JSON file, or a directory of them (*.yaml, *.yml, *.json); repeatable.")
        List<Path> files;

        @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for every agent (default: ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Option(names = "--force", description = {"Accept WeirPrefilter changes that would drop traffic the agents protect",
                "(the lockout guard: weir agent --prefilter-protect; ssh, the nodes, the kvstore by default)."})
        boolean force;

        abstract boolean delete();

        @Override
        public void run() {
            ObjectNode params = Json.mapper().createObjectNode();
            params.put("delete", delete());
            if (force) {
                params.put("force", true);
            }
            putFiles(params, files);
            List<AgentDirectory.Agent> agents = AgentDirectory.select(null);
            AgentDirectory.Agent writer = agents.getFirst();
            JsonNode result;
            try {
                result = writer.client().call("apply", params, Duration.ofSeconds(timeoutSeconds));
            } catch (ApiException e) {
                throw AgentDirectory.translate(writer, e);
            }
            long revision = result.path("revision").asLong();
            List<String> nodes = RevisionWait.await(agents, revision, Duration.ofSeconds(timeoutSeconds));
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                ObjectNode o = ((ObjectNode) result).deepCopy();
                o.set("appliedOn", Json.mapper().valueToTree(nodes));
                Json.print(out, o);
                return;
            }
            for (JsonNode o : result.path("objects")) {
                out.println(o.path("object").asText() + " " + o.path("outcome").asText());
            }
            out.println("revision " + revision + " enforced on " + String.join(", ", nodes));
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            header = "Create or replace policies, services and prefilters from YAML files (all or nothing).",
            description = {"Create or replace objects from Kubernetes-shaped YAML (NetworkPolicy, WeirNetworkPolicy,",
                    "WeirClusterNetworkPolicy, PolicyMode, v1 Service, discovery.k8s.io/v1 EndpointSlice,",
                    "weir.dev/v1 WeirPrefilter: the XDP prefilter of the nodes it selects).",
                    "All-or-nothing: one invalid document (exit 2) changes nothing. Before committing, the whole",
                    "new state is checked: a ClusterIP, NodePort or frontend another Service holds, or a state",
                    "that would not fit the service maps (weir agent --lb-map-size), is refused, as are",
                    "WeirPrefilter objects that set a node's mode, rate limit or XDP mode otherwise. An EndpointSlice",
                    "whose Service does not exist yet is accepted and waits. Returns when every running agent",
                    "enforces the new revision."})
    public static final class Apply extends Base {
        @Override
        boolean delete() {
            return false;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            header = "Delete the objects the files name (all or nothing).",
            description = {"Delete the objects the files name. All-or-nothing: when one does not exist (exit 2),",
                    "nothing is deleted. Returns when every running agent enforces the new revision."})
    public static final class Delete extends Base {
        @Override
        boolean delete() {
            return true;
        }
    }

    /**
     * Puts every file (a directory: its *.yaml, *.yml and *.json) as {@code "files": [{"source", "text"}]},
     * the agent's {@code apply} and {@code policy.whatif} parameter.
     *
     * @throws UserError when a path does not exist or cannot be read, or names no file
     */
    static void putFiles(ObjectNode params, List<Path> paths) {
        ArrayNode arr = params.putArray("files");
        for (Path f : expand(paths)) {
            arr.addObject().put("source", f.toString()).put("text", read(f));
        }
    }

    private static List<Path> expand(List<Path> paths) {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.toString().matches(".*\\.(ya?ml|json)$") && Files.isRegularFile(f)).sorted().forEach(out::add);
                } catch (IOException e) {
                    throw new UserError("cannot list " + p + ": " + e.getMessage());
                }
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new UserError(p + ": no such file or directory");
            }
        }
        if (out.isEmpty()) {
            throw new UserError("no *.yaml, *.yml or *.json files in " + paths);
        }
        return out;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UserError(f + ": cannot read: " + e.getMessage());
        }
    }
}
