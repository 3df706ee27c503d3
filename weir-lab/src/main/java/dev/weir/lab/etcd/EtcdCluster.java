package dev.weir.lab.etcd;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.weir.lab.host.Trees;
import dev.weir.lab.LabException;

/**
 * A real etcd cluster of {@code N} members on loopback, each its own {@code /usr/bin/etcd} process (Debian's
 * {@code etcd-server}) with its own data directory, detached from the starting process ({@code setsid}) so
 * that it outlives {@code weir lab up}. Member {@code i} (from 1) listens for clients on
 * {@code basePort + 2(i-1)} and for peers on the port above it.
 *
 * <p>Lifetime: {@link #start} returns when every member answers {@code /health}; {@link #close} kills every
 * member and removes the data directories. A cluster can also be found again from its recorded
 * {@link Member}s ({@link #of}), e.g. by {@code weir lab down} in another process. Tests use
 * {@link #kill}, {@link #pause}, {@link #resume} and {@link #restart} to take members away and back.
 * Not thread-safe. Throws {@link LabException} when etcd is missing or a member does not come up.
 */
public final class EtcdCluster implements AutoCloseable {

    public static final Path ETCD = Path.of("/usr/bin/etcd");

    /**
     * @param members  how many members (1, 3 or 5 make sense)
     * @param dataRoot where each member's data directory goes ({@code <dataRoot>/<name>}); tmpfs is best:
     *                 each member pre-allocates about 62 MB of write-ahead log
     * @param logDir   where each member logs ({@code <logDir>/<name>.log})
     * @param basePort the first member's client port
     * @param token    the cluster token (members of different clusters never join each other)
     */
    public record Config(int members, Path dataRoot, Path logDir, int basePort, String token) {
        public Config {
            if (members < 1 || members > 7) {
                throw new IllegalArgumentException("etcd members must be 1..7, not " + members);
            }
            Objects.requireNonNull(dataRoot, "dataRoot");
            Objects.requireNonNull(logDir, "logDir");
            if (basePort < 1024 || basePort + 2 * members > 65535) {
                throw new IllegalArgumentException("bad etcd base port " + basePort);
            }
            token = token == null ? "weir" : token;
        }
    }

    /**
     * One member as started (and as {@code weir lab status -o json} lists it).
     *
     * @param name      {@code etcd1} ...
     * @param clientUrl {@code http://127.0.0.1:23790}
     * @param peerUrl   {@code http://127.0.0.1:23791}
     * @param pid       the etcd process, 0 when it is not running
     * @param dataDir   its data directory
     * @param log       its log file
     */
    public record Member(String name, String clientUrl, String peerUrl, long pid, String dataDir, String log) {
        Member withPid(long p) {
            return new Member(name, clientUrl, peerUrl, p, dataDir, log);
        }
    }

    private final Config config;
    private final List<Member> members;

    private EtcdCluster(Config config, List<Member> members) {
        this.config = config;
        this.members = new ArrayList<>(members);
    }

    /** True when Debian's etcd is installed. */
    public static boolean available() {
        return Files.isExecutable(ETCD);
    }

    /**
     * Starts every member and waits until each answers {@code /health} with {@code true}; when one does
     * not within {@code timeout}, every member is killed and its data removed.
     *
     * @throws LabException naming the member and the end of its log
     */
    public static EtcdCluster start(Config config, Duration timeout) {
        if (!available()) {
            throw new LabException(ETCD + " is missing: install Debian's etcd-server (scripts/setup.sh does)");
        }
        List<Member> planned = new ArrayList<>();
        for (int i = 1; i <= config.members(); i++) {
            int port = config.basePort() + 2 * (i - 1);
            String name = "etcd" + i;
            planned.add(new Member(name, "http://127.0.0.1:" + port, "http://127.0.0.1:" + (port + 1), 0,
                    config.dataRoot().resolve(name).toString(), config.logDir().resolve(name + ".log").toString()));
        }
        EtcdCluster cluster = new EtcdCluster(config, planned);
        try {
            for (Member m : planned) {
                Path data = Path.of(m.dataDir());
                if (Files.exists(data)) {
                    Trees.delete(data);
                }
                cluster.launch(m, "new");
            }
            cluster.awaitHealthy(timeout);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The cluster of recorded members (e.g. from lab.json), to stop it or look at it. */
    public static EtcdCluster of(Config config, List<Member> members) {
        return new EtcdCluster(config, members);
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    /** Every member's client URL, comma-separated, as {@code --kvstore-endpoints} takes them. */
    public String endpoints() {
        return String.join(",", members.stream().map(Member::clientUrl).toList());
    }

    public Member member(String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no etcd member " + name));
    }

    /** SIGKILLs a member (its data stays, so {@link #restart} brings it back as the same member). */
    public void kill(String name) {
        Member m = member(name);
        ProcessHandle.of(m.pid()).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
        replace(m.withPid(0));
    }

    /** SIGSTOPs a member: it keeps its sockets but answers nothing (a hung member). */
    public void pause(String name) {
        signal(member(name), "STOP");
    }

    /** SIGCONTs a paused member. */
    public void resume(String name) {
        signal(member(name), "CONT");
    }

    /** Starts a killed member again on its data directory and waits until it is healthy. */
    public void restart(String name, Duration timeout) {
        Member m = member(name);
        if (m.pid() != 0 && ProcessHandle.of(m.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            throw new IllegalStateException(name + " is still running (pid " + m.pid() + ")");
        }
        launch(m, "existing");
        awaitHealthy(member(name), System.nanoTime() + timeout.toNanos());
    }

    /** True when the member answers {@code /health} with {@code "health":"true"}. */
    public static boolean healthy(Member m) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health"))
                    .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Kills every member (resuming paused ones first) and removes their data directories. Idempotent. */
    @Override
    public void close() {
        for (Member m : List.copyOf(members)) {
            Optional<ProcessHandle> p = ProcessHandle.of(m.pid()).filter(h -> isEtcd(h, m));
            p.ifPresent(h -> {
                signal(m, "CONT");
                h.destroyForcibly();
                h.onExit().join();
            });
            replace(m.withPid(0));
            Trees.delete(Path.of(m.dataDir()));
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private void launch(Member m, String state) {
        List<String> initial = new ArrayList<>();
        for (Member o : members) {
            initial.add(o.name() + "=" + o.peerUrl());
        }
        List<String> argv = List.of("setsid", ETCD.toString(),
                "--name", m.name(),
                "--data-dir", m.dataDir(),
                "--listen-client-urls", m.clientUrl(),
                "--advertise-client-urls", m.clientUrl(),
                "--listen-peer-urls", m.peerUrl(),
                "--initial-advertise-peer-urls", m.peerUrl(),
                "--initial-cluster", String.join(",", initial),
                "--initial-cluster-state", state,
                "--initial-cluster-token", config.token(),
                // one weir apply is one transaction: 10,000 services are 20,000 objects and some 20 MB
                "--max-txn-ops", "65536", "--max-request-bytes", "67108864",
                "--logger", "zap", "--log-outputs", "stderr");
        try {
            Files.createDirectories(Path.of(m.dataDir()).getParent());
            Files.createDirectories(Path.of(m.log()).getParent());
            Process p = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of(m.log()).toFile()))
                    .redirectErrorStream(true)
                    .start();
            replace(m.withPid(p.pid()));
        } catch (IOException e) {
            throw new LabException("cannot start etcd member " + m.name() + ": " + e.getMessage(), e);
        }
    }

    private void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Member m : List.copyOf(members)) {
            awaitHealthy(m, deadline);
        }
    }

    private void awaitHealthy(Member m, long deadline) {
        while (!healthy(m)) {
            if (!ProcessHandle.of(m.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                throw new LabException("etcd member " + m.name() + " exited: " + tail(m));
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("etcd member " + m.name() + " is not healthy at " + m.clientUrl() + ": " + tail(m));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for etcd member " + m.name(), e);
            }
        }
    }

    private static String tail(Member m) {
        try {
            List<String> lines = Files.readAllLines(Path.of(m.log()));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log at " + m.log() + ")";
        }
    }

    private static boolean isEtcd(ProcessHandle h, Member m) {
        return h.info().commandLine().map(c -> c.contains("etcd") && c.contains(m.dataDir())).orElse(true);
    }

    private static void signal(Member m, String sig) {
        if (m.pid() == 0) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(m.pid())).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            throw new LabException("cannot signal etcd member " + m.name() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void replace(Member m) {
        members.replaceAll(o -> o.name().equals(m.name()) ? m : o);
    }

}
