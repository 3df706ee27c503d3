package dev.weir.cli.ui;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.weir.cli.UserError;
import dev.weir.cli.agent.AgentDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir ui}: serves the flows page ({@link UiServer}) until Ctrl-C (or, in-process, until the thread running
 * it is interrupted), then closes the socket. Bad input (a bad {@code --listen}, an address in use or not this
 * host's, a {@code --node} without an agent) exits 2 with nothing started; no agent at all exits 1.
 */
@Command(name = "ui", mixinStandardHelpOptions = true,
        header = "Serve a web page of live flows, the service map and the agents' status.",
        description = {"Serve a web page (plain HTML, CSS and JavaScript from the jar; nothing fetched from elsewhere) with",
                "the agents' flows, live (polled every second): a table with Hubble's filters (verdict, from/to pod,",
                "namespace, port, protocol; several values comma-separated), a service map (pods, services and",
                "outside peers as nodes; connections as edges coloured by verdict: forwarded green, dropped red, audit",
                "amber) where clicking an edge lists its flows, and each node's agent as `weir status` shows it.",
                "It asks the agents over their API sockets, as `weir observe` does, and merges the nodes.",
                "The page has no login: keep --listen on loopback (the default) unless every user of that network",
                "may see the flows. Runs until Ctrl-C. Exit 2 for a bad --listen or an address in use."})
public final class UiCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ListenAddress.DEFAULT,
            description = "Where to serve the page (default: ${DEFAULT-VALUE}; port 0 picks a free one; [::1]:PORT for IPv6).")
    String listen;

    @Option(names = "--node", description = "Only this node's agent (default: every node, merged).")
    String node;

    @Override
    public Integer call() throws IOException {
        ListenAddress at = ListenAddress.parse(listen);
        String nodes = String.join(", ", AgentDirectory.select(node).stream().map(AgentDirectory.Agent::node).toList());
        UiServer server;
        try {
            server = UiServer.start(at, UiSource.agents(node));
        } catch (BindException e) {
            throw new UserError("--listen " + listen + ": " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "weir-ui-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = new PrintWriter(System.out, true);
        out.println("weir ui: serving " + server.url() + " (agents: " + nodes + "); Ctrl-C to stop");
        if (!at.host().isLoopbackAddress()) {
            out.println("weir ui: warning: " + at.host().getHostAddress() + " is not loopback, and the page has no login");
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
            server.close();
        }
        out.println("weir ui: stopped");
        return 0;
    }
}
