package dev.weir.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.weir.lab.host.Trees;
import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.host.Processes;

/**
 * The lab's etcd cluster ({@code lab up --kvstore etcd}): real members started with {@link EtcdCluster} on
 * loopback, data on tmpfs under {@value #DATA_ROOT_NAME}{@code /<member>}, logs {@code <lab logs>/<member>.log},
 * client ports 23790, 23792, … (each member's peer port one above), cluster token {@value #TOKEN}.
 *
 * <p>{@link #down} finds members by their command line (an etcd whose {@code --data-dir} is under the data
 * root), so that it works when lab.json is gone or unreadable. Stateless.
 */
final class LabEtcd {

    static final String DATA_ROOT_NAME = "/dev/shm/weir-lab-etcd";
    static final Path DATA_ROOT = Path.of(DATA_ROOT_NAME);
    static final int BASE_PORT = 23790;
    static final String TOKEN = "weir-lab";
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);

    private LabEtcd() {
    }

    /** The cluster {@code lab up} starts: {@code members} members on the lab's ports, data and logs. */
    static EtcdCluster.Config config(int members, LabPaths paths) {
        return new EtcdCluster.Config(members, DATA_ROOT, Path.of(paths.logs()), BASE_PORT, TOKEN);
    }

    /**
     * Starts the members and returns when each answers {@code /health}.
     *
     * @throws LabException naming the member that did not come up (the members that started are killed)
     */
    static KvstoreState start(int members, LabPaths paths, Consumer<String> progress) {
        long start = System.nanoTime();
        progress.accept("starting " + members + " etcd member(s) on 127.0.0.1:" + BASE_PORT
                + (members > 1 ? "-" + (BASE_PORT + 2 * members - 1) : "") + ", data in " + DATA_ROOT);
        EtcdCluster cluster = EtcdCluster.start(config(members, paths), START_TIMEOUT);
        List<KvstoreState.Member> started = cluster.members().stream().map(m -> state(m, true, true)).toList();
        progress.accept("etcd is healthy: " + String.join(", ", started.stream()
                .map(m -> m.name() + " " + m.clientUrl() + " (pid " + m.pid() + ")").toList())
                + " (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        return KvstoreState.etcd(started);
    }

    /**
     * Starts a member of the lab's cluster that is not running (killed, or exited) again on its data directory,
     * as the same member, and waits until it is healthy (which needs a quorum of the others).
     *
     * @return the kvstore with the member's new pid
     * @throws IllegalArgumentException when the lab has no such member
     * @throws IllegalStateException when it still runs
     * @throws LabException when it does not become healthy within {@code timeout}
     */
    static KvstoreState restart(KvstoreState kvstore, String name, LabPaths paths, Duration timeout) {
        if (kvstore == null || !kvstore.etcd() || kvstore.members() == null) {
            throw new IllegalArgumentException("the lab has no etcd members (lab up --kvstore etcd)");
        }
        List<EtcdCluster.Member> members = kvstore.members().stream().map(LabEtcd::member).toList();
        EtcdCluster cluster = EtcdCluster.of(config(members.size(), paths), members);
        EtcdCluster.Member m = cluster.member(name);
        if (ProcessHandle.of(m.pid()).filter(LabEtcd::isMember).isPresent()) {
            throw new IllegalStateException("etcd member " + name + " is still running (pid " + m.pid() + ")");
        }
        cluster.restart(name, timeout);
        return checked(KvstoreState.etcd(cluster.members().stream().map(x -> state(x, true, true)).toList()));
    }

    /** The kvstore with each etcd member's liveness and health checked now (a file kvstore as it is). */
    static KvstoreState checked(KvstoreState kvstore) {
        if (kvstore == null || !kvstore.etcd() || kvstore.members() == null) {
            return kvstore;
        }
        return KvstoreState.etcd(kvstore.members().stream().map(m -> {
            EtcdCluster.Member member = member(m);
            boolean alive = ProcessHandle.of(m.pid()).filter(LabEtcd::isMember).isPresent();
            return state(member, alive, alive && EtcdCluster.healthy(member));
        }).toList());
    }

    /**
     * SIGKILLs every member of the lab's cluster — every etcd whose data directory is under the data root,
     * which the members lab.json records are too, so that this works without it — waits for them to exit
     * and removes the data root. The logs go with the lab's run directory.
     *
     * @return the pids killed
     */
    static Set<Long> down(Consumer<String> progress) {
        List<ProcessHandle> members = ProcessHandle.allProcesses().filter(LabEtcd::isMember).toList();
        Set<Long> killed = new LinkedHashSet<>();
        for (ProcessHandle h : members) {
            h.destroyForcibly();
            killed.add(h.pid());
        }
        for (ProcessHandle h : members) {
            try {
                h.onExit().get(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                throw new LabException("etcd member pid " + h.pid() + " does not exit after SIGKILL");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while stopping the lab's etcd members", e);
            }
        }
        if (!killed.isEmpty()) {
            progress.accept("stopped " + killed.size() + " etcd member(s)");
        }
        Trees.delete(DATA_ROOT);
        return killed;
    }

    /** True when a member runs or its data root exists. */
    static boolean leftovers() {
        return Files.exists(DATA_ROOT) || ProcessHandle.allProcesses().anyMatch(LabEtcd::isMember);
    }

    /** True for a live etcd process whose {@code --data-dir} is under the lab's data root. */
    static boolean isMember(ProcessHandle h) {
        return h.isAlive()
                && isMemberCommand(h.info().command().orElse(""), Processes.arguments(h.pid()).orElse(List.of()));
    }

    /** True for an etcd executable with {@code --data-dir} under the data root (a shell naming the path is not one). */
    static boolean isMemberCommand(String command, List<String> args) {
        if (!Path.of(command.isEmpty() ? "/" : command).endsWith("etcd")) {
            return false;
        }
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--data-dir") && args.get(i + 1).startsWith(DATA_ROOT_NAME + "/")) {
                return true;
            }
        }
        return args.stream().anyMatch(a -> a.startsWith("--data-dir=" + DATA_ROOT_NAME + "/"));
    }

    private static KvstoreState.Member state(EtcdCluster.Member m, boolean alive, boolean healthy) {
        return new KvstoreState.Member(m.name(), m.clientUrl(), m.peerUrl(), m.pid(), m.dataDir(), m.log(), alive,
                healthy);
    }

    private static EtcdCluster.Member member(KvstoreState.Member m) {
        return new EtcdCluster.Member(m.name(), m.clientUrl(), m.peerUrl(), m.pid(), m.dataDir(), m.log());
    }

}
