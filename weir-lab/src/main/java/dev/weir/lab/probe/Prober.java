package dev.weir.lab.probe;

import java.nio.file.Path;
import java.time.Duration;

import dev.weir.lab.agent.AgentProtocol;
import dev.weir.lab.model.PortSpec;

/**
 * Asks an agent to probe an address, so the traffic starts inside the agent's pod. Stateless; call it
 * from as many threads as you like (the agent serves each request on its own thread).
 */
public final class Prober {

    /** Extra time for the round trip to the agent on top of the probe's own timeout. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private Prober() {
    }

    /**
     * Probes {@code address} on {@code port} from the agent listening on {@code agentSocket}.
     *
     * @throws dev.weir.lab.LabException when the agent does not answer
     */
    public static ProbeResult probe(String from, Path agentSocket, String to, String address, PortSpec port,
                                    Duration timeout) {
        long start = System.nanoTime();
        String request = String.join(" ", AgentProtocol.PROBE, port.protocol().name(), address,
                String.valueOf(port.port()), String.valueOf(timeout.toMillis()));
        String answer = AgentClient.request(agentSocket, request, timeout.plus(SLACK));
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (answer.startsWith(AgentProtocol.OK + " ")) {
            String reply = answer.substring(AgentProtocol.OK.length() + 1);
            int space = reply.indexOf(' ');
            String backend = space < 0 ? reply : reply.substring(0, space);
            return new ProbeResult(from, to, address, port, true, backend, reply, null, millis);
        }
        String reason = answer.startsWith(AgentProtocol.FAIL + " ")
                ? answer.substring(AgentProtocol.FAIL.length() + 1) : "bad answer from agent: " + answer;
        return new ProbeResult(from, to, address, port, false, null, null, reason, millis);
    }
}
