package dev.weir.lab.agent;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process that is a pod: started by the lab inside the pod's network namespace and cgroup, it serves
 * TCP 80/81 and UDP 80/81 on each of the pod's addresses and performs probes asked for on its Unix socket,
 * so that probes originate from inside the pod. The external client runs one without addresses.
 *
 * <p>Usage: {@code PodAgent ID SOCKET [ADDRESS…]}, ID being {@code ns/pod} or {@code ext}. Runs until
 * killed; its servers are bound before the socket accepts, so a {@code PING} answered means ready.
 * Depends on nothing beyond the JDK, to start small.
 */
public final class PodAgent {

    private PodAgent() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: PodAgent ID SOCKET [ADDRESS...]");
            System.exit(2);
        }
        String id = args[0];
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            addresses.add(InetAddress.ofLiteral(args[i]));
        }
        Servers.start(id, addresses);
        ControlSocket control = new ControlSocket(id, Path.of(args[1]));
        Runtime.getRuntime().addShutdownHook(new Thread(control::close));
        log(id + ": serving TCP and UDP 80, 81 on " + addresses.stream().map(Addresses::format).toList()
                + ", control socket " + args[1]);
        control.serve();
    }

    static void log(String message) {
        System.out.println(java.time.Instant.now() + " " + message);
    }
}
