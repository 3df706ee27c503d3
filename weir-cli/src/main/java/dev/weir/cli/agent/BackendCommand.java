package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.output.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weir service backend quarantine|maintenance|activate ADDR:PORT [--protocol tcp|udp]}: an operator's
 * state for a backend, kept in the store (every node applies it, it survives restarts). A quarantined or
 * maintenance backend leaves every service's slots and Maglev tables: no new connection reaches it, existing
 * ones keep working. {@code activate} removes the override. Returns once every agent enforces it.
 */
@Command(name = "backend", mixinStandardHelpOptions = true,
        description = "Take a backend out of load balancing, or put it back.",
        subcommands = {BackendCommand.Quarantine.class, BackendCommand.Maintenance.class, BackendCommand.Activate.class})
public final class BackendCommand {

    /** Shared options and the call. */
    abstract static class Base implements Runnable {
        @Parameters(paramLabel = "ADDR:PORT", description = "The backend: 10.244.1.10:80, [fd00:10:244:1::10]:80, or an address alone (every port).")
        String backend;

        @Option(names = "--protocol", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE}).")
        String protocol;

        @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for every agent (default: ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        abstract String state();

        @Override
        public void run() {
            List<AgentDirectory.Agent> agents = AgentDirectory.select(null);
            AgentDirectory.Agent writer = agents.getFirst();
            var params = Json.mapper().createObjectNode().put("backend", backend).put("protocol", protocol).put("state", state());
            JsonNode r;
            try {
                r = writer.call("service.backend", params);
            } catch (ApiException e) {
                throw AgentDirectory.translate(writer, e);
            }
            long revision = r.path("revision").asLong();
            List<String> nodes = RevisionWait.await(agents, revision, Duration.ofSeconds(timeoutSeconds));
            PrintWriter out = new PrintWriter(System.out, true);
            out.println("backend " + r.path("backend").asText() + " " + state()
                    + (r.path("changed").asBoolean() ? "" : " (unchanged)") + "; revision " + revision
                    + " enforced on " + String.join(", ", nodes));
        }
    }

    @Command(name = "quarantine", mixinStandardHelpOptions = true,
            description = "Quarantine a backend (a suspected bad one): no new connections, existing ones drain.")
    static final class Quarantine extends Base {
        @Override
        String state() {
            return "quarantined";
        }
    }

    @Command(name = "maintenance", mixinStandardHelpOptions = true,
            description = "Put a backend in maintenance: no new connections, existing ones drain.")
    static final class Maintenance extends Base {
        @Override
        String state() {
            return "maintenance";
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
            description = "Remove a backend's quarantine or maintenance: it gets new connections again.")
    static final class Activate extends Base {
        @Override
        String state() {
            return "active";
        }
    }
}
