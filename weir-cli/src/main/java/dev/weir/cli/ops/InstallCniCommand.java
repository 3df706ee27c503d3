package dev.weir.cli.ops;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.weir.agent.cni.CniInstall;
import dev.weir.agent.runtime.Agent;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.cli.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir install-cni}: writes weir-cni and its network configuration where runtimes look for them. */
@Command(name = "install-cni", mixinStandardHelpOptions = true,
        description = {"Install weir-cni, the CNI plugin the container runtime calls for each pod: the plugin and its relay",
                "in --bin-dir, the network configuration list 05-weir.conflist in --conf-dir. The plugin relays each",
                "command to the weir agent of --node (its socket /run/weir/<node>/cni.sock), which wires the pod, gives",
                "it addresses, registers the endpoint and answers ADD once the pod's policy is in force.",
                "Files are replaced atomically; run it again after upgrading weir."})
public final class InstallCniCommand implements Callable<Integer> {

    @Option(names = "--node", required = true, description = "The node whose agent the plugin talks to.")
    String node;

    @Option(names = "--bin-dir", defaultValue = "/opt/cni/bin", description = "Where plugins live (default: ${DEFAULT-VALUE}).")
    Path binDir;

    @Option(names = "--conf-dir", defaultValue = "/etc/cni/net.d",
            description = "Where network configurations live (default: ${DEFAULT-VALUE}).")
    Path confDir;

    @Option(names = "--mtu", description = "The pods' interface MTU, written to the conflist (default: the kernel's, 1500).")
    Integer mtu;

    @Override
    public Integer call() {
        try {
            new AgentConfig(node, null, null, null, null, 1, null, null, null, null);
            if (mtu != null && (mtu < 1280 || mtu > 65535)) {
                throw new IllegalArgumentException("--mtu must be from 1280 to 65535, not " + mtu);
            }
            Path socket = AgentConfig.RUN_ROOT.resolve(node).resolve(Agent.CNI_SOCKET);
            CniInstall.Installed installed = CniInstall.install(binDir, confDir, socket, mtu);
            installed.files().forEach(f -> System.out.println("wrote " + f));
            System.out.println("weir-cni relays to " + socket + " (the agent of " + node + ")");
            return 0;
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot install weir-cni: " + e.getMessage());
        }
    }
}
