package dev.weir.lab.host;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.weir.lab.AgentState;
import dev.weir.lab.LabException;
import dev.weir.lab.agent.AgentProtocol;
import dev.weir.lab.agent.PodAgent;
import dev.weir.lab.probe.AgentClient;

/**
 * Starts agent JVMs ({@link PodAgent}) detached ({@code setsid}, output to the agent's log) inside a
 * pod's cgroup and network namespace, and waits until they answer. The started processes outlive this
 * JVM; {@code lab down} stops them. Stateless.
 */
public final class AgentLauncher {

    /** A small JVM: the agent serves a handful of sockets. */
    private static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx64m",
            "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto", "-XX:ReservedCodeCacheSize=32m",
            "-Xss512k");

    private AgentLauncher() {
    }

    /**
     * Starts the agent {@code id} ({@code ns/pod} or {@code ext}, file key {@code key}) serving the addresses.
     *
     * @throws LabException when the process cannot be started
     */
    public static AgentState launch(String id, String key, String netns, List<String> addresses, LabPaths paths) {
        Path cgroup = paths.cgroupOf(key);
        Path log = paths.log(key);
        Path socket = paths.socket(key);
        Cgroup2.create(cgroup);
        List<String> java = new ArrayList<>(List.of(javaBinary()));
        java.addAll(JVM_FLAGS);
        java.addAll(List.of("-cp", classPath(paths), PodAgent.class.getName(), id, socket.toString()));
        java.addAll(addresses);
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(PodCommand.wrap(cgroup, netns, java));
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            return new AgentState(id, p.pid(), socket.toString(), log.toString(), cgroup.toString(), true);
        } catch (IOException e) {
            throw new LabException("cannot start the agent of " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the agent answers PING, returning it with the pid it reports.
     *
     * @throws LabException when it exits or does not answer in time, with the end of its log
     */
    public static AgentState awaitReady(AgentState agent, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path socket = Path.of(agent.socket());
        while (true) {
            if (Files.exists(socket)) {
                try {
                    String[] pong = AgentClient.request(socket, AgentProtocol.PING, Duration.ofSeconds(2)).split(" ");
                    if (pong.length == 3 && pong[0].equals(AgentProtocol.PONG)) {
                        return new AgentState(agent.id(), Long.parseLong(pong[2]), agent.socket(), agent.log(),
                                agent.cgroup(), true);
                    }
                } catch (LabException e) {
                    // not accepting yet
                }
            }
            if (!Processes.alive(agent.pid())) {
                throw new LabException("the agent of " + agent.id() + " exited during start; " + tail(agent.log()));
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("the agent of " + agent.id() + " is not ready after " + timeout.toSeconds()
                        + " s; " + tail(agent.log()));
            }
            Processes.sleep(25);
        }
    }

    static String tail(String log) {
        try {
            List<String> lines = Files.readAllLines(Path.of(log));
            return "end of " + log + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "no log at " + log;
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Where PodAgent's class comes from: the agent needs nothing else. This is sturdier than
     * java.class.path, which under surefire names a temporary manifest-only jar. A jar is copied into the
     * lab's directory first, so that rebuilding weir.jar while the lab is up cannot pull it from under
     * running agents.
     */
    private static synchronized String classPath(LabPaths paths) {
        try {
            var source = PodAgent.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return System.getProperty("java.class.path");
            }
            Path location = Path.of(source.getLocation().toURI());
            if (Files.isDirectory(location)) {
                return location.toString();
            }
            Path copy = Path.of(paths.runDir(), "agent.jar");
            if (!Files.exists(copy)) {
                Files.copy(location, copy);
            }
            return copy.toString();
        } catch (URISyntaxException | IOException e) {
            throw new LabException("cannot find or copy the agent's classes: " + e.getMessage(), e);
        }
    }
}
