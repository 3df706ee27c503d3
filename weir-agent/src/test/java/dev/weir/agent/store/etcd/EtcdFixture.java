package dev.weir.agent.store.etcd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.testkit.Requirements;

/**
 * A real etcd cluster for one test class (members on loopback, data on tmpfs), and clients to it. Each
 * fixture gets its own ports (so test classes never share members) and removes everything on close.
 */
public final class EtcdFixture implements AutoCloseable {

    private static final AtomicInteger NEXT_PORT = new AtomicInteger(25000 + (int) (ProcessHandle.current().pid() % 200) * 20);

    private final Path root;
    private final EtcdCluster cluster;

    private EtcdFixture(Path root, EtcdCluster cluster) {
        this.root = root;
        this.cluster = cluster;
    }

    /** Starts {@code members} members; skips (fails under CI) without Debian's etcd-server. */
    public static EtcdFixture start(int members) throws IOException {
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        Path root = Files.createTempDirectory(Path.of("/dev/shm"), "weir-etcd-test");
        int port = NEXT_PORT.getAndAdd(2 * members + 2);
        EtcdCluster c = EtcdCluster.start(new EtcdCluster.Config(members, root.resolve("data"), root.resolve("logs"), port,
                "test-" + port), Duration.ofSeconds(30));
        return new EtcdFixture(root, c);
    }

    /**
     * One cluster for a whole test class: {@code @RegisterExtension static final EtcdFixture.PerClass etcd =
     * EtcdFixture.perClass(3);}, started before the class's first test and removed after its last.
     */
    public static PerClass perClass(int members) {
        return new PerClass(members);
    }

    /** The extension of {@link #perClass}; {@link #get} is the running fixture. */
    public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
            org.junit.jupiter.api.extension.AfterAllCallback {
        private final int members;
        private EtcdFixture fixture;

        private PerClass(int members) {
            this.members = members;
        }

        public EtcdFixture get() {
            return fixture;
        }

        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
            fixture = start(members);
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
            if (fixture != null) {
                fixture.close();
                fixture = null;
            }
        }
    }

    public EtcdCluster cluster() {
        return cluster;
    }

    /** A new client (the caller closes it) with a short operation timeout, under {@code prefix}. */
    public Etcd connect(String prefix, Duration timeout) {
        Etcd.Config parsed = Etcd.Config.parse(cluster.endpoints());
        return Etcd.connect(new Etcd.Config(parsed.endpoints(), prefix, timeout));
    }

    public Etcd connect() {
        return connect("weir/", Duration.ofSeconds(5));
    }

    @Override
    public void close() throws IOException {
        cluster.close();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
