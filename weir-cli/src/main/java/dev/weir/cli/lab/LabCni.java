package dev.weir.cli.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.weir.agent.cni.CniInstall;
import dev.weir.agent.runtime.Agent;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.lab.LabException;
import dev.weir.lab.cni.CniRuntime;
import dev.weir.lab.model.NodeSpec;

/**
 * The lab nodes' CNI set-up: each node gets its own {@code /opt/cni/bin} and {@code /etc/cni/net.d}, as a machine
 * would, under {@code /run/weir/lab/cni/<node>/} ({@code bin/}, {@code net.d/}), written by the same installer as
 * {@code weir install-cni}, its plugin relaying to that node's agent. Plugins are looked up there, then in
 * Debian's {@code /usr/lib/cni}. Stateless; lab down removes the files with the rest of /run/weir/lab.
 */
public final class LabCni {

    public static final Path ROOT = Path.of("/run/weir/lab/cni");
    public static final Path DEBIAN_PLUGINS = Path.of("/usr/lib/cni");

    private LabCni() {
    }

    /** Installs weir-cni for every node and returns each node's runtime. */
    public static Function<String, CniRuntime> install(List<NodeSpec> nodes) {
        Map<String, CniRuntime> runtimes = new TreeMap<>();
        for (NodeSpec n : nodes) {
            try {
                CniInstall.install(binDir(n.name()), confDir(n.name()),
                        AgentConfig.RUN_ROOT.resolve(n.name()).resolve(Agent.CNI_SOCKET), null);
            } catch (IOException e) {
                throw new LabException("cannot install weir-cni for " + n.name() + ": " + e.getMessage(), e);
            }
            runtimes.put(n.name(), runtime(n.name()));
        }
        return node -> {
            CniRuntime r = runtimes.get(node);
            if (r == null) {
                throw new IllegalArgumentException("no node " + node);
            }
            return r;
        };
    }

    /** The runtime of a node whose plugin is installed. */
    public static CniRuntime runtime(String node) {
        return new CniRuntime(confDir(node).resolve(CniInstall.CONFLIST), List.of(binDir(node), DEBIAN_PLUGINS));
    }

    public static Path binDir(String node) {
        return ROOT.resolve(node).resolve("bin");
    }

    public static Path confDir(String node) {
        return ROOT.resolve(node).resolve("net.d");
    }
}
