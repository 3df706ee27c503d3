package dev.weir.cli.lab;

import java.io.IOException;
import java.util.function.Function;

import dev.weir.agent.cni.CniInstall;
import dev.weir.agent.runtime.Agent;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.lab.Lab;
import dev.weir.lab.LabException;
import dev.weir.lab.cni.CniRuntime;
import dev.weir.lab.model.NodeSpec;

/**
 * The lab nodes' CNI set-up: each node gets its own {@code /opt/cni/bin} and {@code /etc/cni/net.d}, as a machine
 * would ({@code /run/weir/lab/cni/<node>/bin} and {@code net.d}), written by the same installer as
 * {@code weir install-cni}, its plugin relaying to that node's agent. Stateless; lab down removes the files with
 * the rest of /run/weir/lab.
 */
final class LabCni {

    private LabCni() {
    }

    /** Installs weir-cni for every node of the lab and returns each node's runtime. */
    static Function<String, CniRuntime> install(Lab lab) {
        for (NodeSpec n : lab.model().nodes()) {
            try {
                CniInstall.install(lab.state().paths().cniBin(n.name()), lab.state().paths().cniConf(n.name()),
                        AgentConfig.RUN_ROOT.resolve(n.name()).resolve(Agent.CNI_SOCKET), null);
            } catch (IOException e) {
                throw new LabException("cannot install weir-cni for " + n.name() + ": " + e.getMessage(), e);
            }
        }
        return node -> lab.cniRuntime(node, CniInstall.CONFLIST);
    }
}
