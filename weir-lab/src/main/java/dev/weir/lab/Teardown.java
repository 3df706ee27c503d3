package dev.weir.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.weir.lab.host.Trees;
import dev.weir.lab.agent.PodAgent;
import dev.weir.lab.host.Cgroup2;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.host.Netns;
import dev.weir.lab.host.Processes;

/**
 * Removes everything the lab made (processes get SIGKILL: the agents keep nothing worth a clean exit),
 * found by name as well as from lab.json, so that it works after a crash or with the state file gone:
 * agents (from the state, the lab cgroups and the lab namespaces), cgroups under {@code <cgroup2>/weir-lab},
 * namespaces named like the lab's, etcd members (by command line, see {@link LabEtcd})
 * and their data under /dev/shm/weir-lab-etcd, and /run/weir/lab (the logs with it). Stateless.
 */
final class Teardown {

    private Teardown() {
    }

    static DownReport down(LabPaths paths, Consumer<String> progress) {
        Set<Long> stopped = new HashSet<>();
        try {
            StateStore.read(Path.of(paths.state())).ifPresent(s -> s.agents().values().forEach(a -> {
                if (Processes.commandLine(a.pid()).contains(PodAgent.class.getName())) {
                    Processes.kill(a.pid());
                    stopped.add(a.pid());
                }
            }));
        } catch (LabException e) {
            progress.accept("ignoring unreadable state: " + e.getMessage());
        }
        List<Path> cgroups = children(Path.of(paths.cgroup()));
        for (Path cg : cgroups) {
            stopped.addAll(Cgroup2.pids(cg));
            Cgroup2.killAndRemove(cg);
        }
        List<String> namespaces = Netns.labNamespaces();
        for (String ns : namespaces) {
            for (long pid : Netns.pids(ns)) {
                Processes.kill(pid);
                stopped.add(pid);
            }
        }
        Netns.delete(namespaces);
        boolean etcdData = Files.exists(LabEtcd.DATA_ROOT);
        stopped.addAll(LabEtcd.down(progress));
        boolean cgroupRoot = deleteQuietly(Path.of(paths.cgroup()));
        boolean files = etcdData || Files.exists(Path.of(paths.runDir()));
        Trees.delete(Path.of(paths.runDir()));
        deleteQuietly(Path.of(paths.runDir()).getParent());
        int cgroupCount = cgroups.size() + (cgroupRoot ? 1 : 0);
        return new DownReport(stopped.size(), namespaces.size(), cgroupCount, files);
    }

    /** True when something is left from a lab: namespaces, cgroups, files, etcd members or their data. */
    static boolean leftovers(LabPaths paths) {
        return !Netns.labNamespaces().isEmpty() || Files.exists(Path.of(paths.cgroup()))
                || Files.exists(Path.of(paths.runDir())) || LabEtcd.leftovers();
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            throw new LabException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes an empty directory; false when it was absent or is not empty. */
    private static boolean deleteQuietly(Path dir) {
        try {
            return Files.deleteIfExists(dir);
        } catch (IOException e) {
            return false;
        }
    }

}
