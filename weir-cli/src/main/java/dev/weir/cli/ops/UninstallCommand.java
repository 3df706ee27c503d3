package dev.weir.cli.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.weir.agent.datapath.EndpointFilters;
import dev.weir.agent.datapath.NodeRoutes;
import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.ebpf.BpfLink;
import dev.weir.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Command;

/**
 * {@code weir uninstall}: detaches every program weir attached and removes every pin and state file
 * weir made, and nothing else. Programs attached by other tools are left alone; weir's own links are
 * found through their pins, so nothing is detached by guessing.
 */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        header = "Remove every program, link, pin and state file weir made, nothing else.", description = {
        "Stop the node agents, detach every program weir attached (the pods' clsact filters too, and the clsact qdiscs",
        "weir made for them), remove the routes and the weir_vxlan device weir's",
        "routing made (protocol 201, in every network namespace), and remove every pin",
        "(/sys/fs/bpf/weir) and runtime file (/run/weir) weir made. Programs and pins of other tools are",
        "left alone. The desired state (policies in /var/lib/weir/store) is kept, and so is each node's record of",
        "the pods weir-cni attached (/run/weir/<node>/cni-endpoints.json): the pods are the runtime's, and an agent",
        "started again serves them. The lab is separate: `weir lab down` removes it."})
public final class UninstallCommand implements Runnable {

    static final Path RUN_ROOT = Path.of("/run/weir");

    @Override
    public void run() {
        List<String> done = new ArrayList<>(stopAgents());
        done.addAll(detachLinks(KernelPrefilterDataplane.BPFFS_ROOT));
        done.addAll(detachFilters(KernelPrefilterDataplane.BPFFS_ROOT));
        done.addAll(removeRoutes());
        int pins = removeTree(KernelPrefilterDataplane.BPFFS_ROOT);
        if (pins > 0) {
            done.add("removed " + pins + " pins and directories under " + KernelPrefilterDataplane.BPFFS_ROOT);
        }
        int state = removeTree(PrefilterStore.DEFAULT_ROOT);
        if (state > 0) {
            done.add("removed prefilter state under " + PrefilterStore.DEFAULT_ROOT);
        }
        if (done.isEmpty()) {
            System.out.println("nothing of weir's is installed");
        } else {
            done.forEach(System.out::println);
        }
    }

    /**
     * Stops every running node agent (SIGTERM, then SIGKILL after 5 s) and removes its run directory, so
     * that none re-attaches what is being removed. The lab's own directory is left to {@code lab down}.
     */
    static List<String> stopAgents() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(RUN_ROOT)) {
            return out;
        }
        try (Stream<Path> s = Files.list(RUN_ROOT)) {
            for (Path dir : s.filter(Files::isDirectory).toList()) {
                Path pidFile = dir.resolve("agent.pid");
                if (!Files.exists(pidFile)) {
                    continue;
                }
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains("agent")).ifPresent(h -> {
                    h.destroy();
                    try {
                        h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                    out.add("stopped the agent of " + dir.getFileName() + " (pid " + pid + ")");
                });
                removeTreeKeeping(dir, dir.resolve(dev.weir.agent.cni.CniEndpoints.FILE));
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot stop the agents under " + RUN_ROOT + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * weir's routing (docs/routing.md, "What weir owns"): the routes of protocol 201 and the {@code weir_vxlan} device,
     * in this namespace and every named one (a node's agent may run in either).
     */
    static List<String> removeRoutes() {
        List<String> out = new ArrayList<>(NodeRoutes.removeOwn(null));
        Path named = Path.of("/run/netns");
        if (Files.isDirectory(named)) {
            try (Stream<Path> s = Files.list(named)) {
                for (Path ns : s.sorted().toList()) {
                    try {
                        out.addAll(NodeRoutes.removeOwn(ns.getFileName().toString()));
                    } catch (RuntimeException e) {
                        out.add("cannot look at network namespace " + ns.getFileName() + ": " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + named + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * The pods' clsact filters ({@link EndpointFilters}: weir_from_ep and weir_to_ep at weir's slot), on every
     * interface a node's record under {@code root} names, in this namespace and every named one; with the clsact
     * qdisc where the record says weir made it. A filter whose program is not weir's is left alone.
     */
    static List<String> detachFilters(Path root) {
        java.util.Map<String, Boolean> made = new java.util.TreeMap<>();
        for (Path node : list(root, true)) {
            EndpointFilters f = new EndpointFilters(node);
            f.recorded().forEach(i -> made.merge(i, f.madeQdisc(i), Boolean::logicalOr));
        }
        List<String> out = new ArrayList<>();
        if (made.isEmpty()) {
            return out;
        }
        List<NetworkNamespace> spaces = new ArrayList<>(List.of(NetworkNamespace.current()));
        list(Path.of("/run/netns"), false).forEach(ns -> spaces.add(NetworkNamespace.named(ns.getFileName().toString())));
        for (NetworkNamespace ns : spaces) {
            try {
                out.addAll(ns.callUnchecked(() -> {
                    List<String> done = new ArrayList<>();
                    made.forEach((iface, qdisc) -> {
                        if (EndpointFilters.exists(iface)) {
                            EndpointFilters.removeFilters(iface, qdisc).forEach(m -> done.add(m + " in " + where(ns)));
                        }
                    });
                    return done;
                }));
            } catch (RuntimeException e) {
                out.add("cannot look at " + where(ns) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static String where(NetworkNamespace ns) {
        return ns.isCurrent() ? "this namespace" : "network namespace " + ns.name();
    }

    /** The entries of the directory ({@code dirs}: its directories only), sorted; none when it is missing. */
    private static List<Path> list(Path root, boolean dirs) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> !dirs || Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Directories weir pins links in: TC/XDP links ({@code links}), the socket-LB cgroup links ({@code sock-links}),
     * the workload guard's ({@code guard-links}).
     */
    private static final java.util.Set<String> LINK_DIRS = java.util.Set.of("links", "sock-links", "guard-links");

    /** Unpins every link under the root: the kernel detaches a link when its last reference goes. */
    static List<String> detachLinks(Path root) {
        List<String> out = new ArrayList<>();
        for (Path p : files(root)) {
            if (!LINK_DIRS.contains(p.getParent().getFileName().toString())) {
                continue;
            }
            try (BpfLink link = BpfLink.fromPin(p)) {
                link.unpin();
                out.add("detached " + describe(link) + " (" + p + ")");
            } catch (RuntimeException e) {
                out.add("removed stale link pin " + p + " (" + e.getMessage() + ")");
                deleteQuietly(p);
            }
        }
        return out;
    }

    private static String describe(BpfLink link) {
        return link.getClass().getSimpleName().replace("Link", "").toLowerCase() + " link " + link.id();
    }

    /** {@link #removeTree} but for one file (and so its directory). */
    private static void removeTreeKeeping(Path root, Path keep) {
        if (!Files.exists(keep)) {
            removeTree(root);
            return;
        }
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> !p.equals(keep)).forEach(UninstallCommand::removeTree);
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    static int removeTree(Path root) {
        List<Path> all = new ArrayList<>();
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
        all.forEach(UninstallCommand::deleteQuietly);
        return all.size();
    }

    private static List<Path> files(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove " + p + ": " + e.getMessage(), e);
        }
    }
}
