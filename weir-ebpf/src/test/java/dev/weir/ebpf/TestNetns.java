package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.ebpf.netns.NetworkNamespace;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * A network namespace made for one test class, with a veth pair {@code veth0}/{@code veth1} inside it,
 * both up. {@link #close()} deletes it and checks it is gone. Never touches the root namespace.
 */
final class TestNetns implements AutoCloseable {

    final String name = "weir-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final NetworkNamespace ns;

    TestNetns() {
        run("ip", "netns", "add", name);
        run("ip", "-n", name, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
        run("ip", "-n", name, "link", "set", "veth0", "up");
        run("ip", "-n", name, "link", "set", "veth1", "up");
        ns = NetworkNamespace.named(name);
    }

    <T> T call(Callable<T> task) {
        return ns.callUnchecked(task);
    }

    static void run(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        run("ip", "netns", "del", name);
        assertThat(NetworkNamespace.exists(name)).as("namespace " + name + " removed").isFalse();
    }
}
