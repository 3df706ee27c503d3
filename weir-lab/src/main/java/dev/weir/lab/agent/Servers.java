package dev.weir.lab.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The pod's servers, one socket per address and port, each bound to the specific address so that UDP
 * replies leave from the address and port the request was sent to. TCP 80 answers {@code ns/pod},
 * TCP 81 {@code ns/pod client-ip}; UDP 80 and 81 answer {@code ns/pod}. Each socket is served by a
 * virtual thread for the life of the process; bind failures are thrown by {@link #start}.
 */
final class Servers {

    static final int[] PORTS = {80, 81};

    private Servers() {
    }

    static void start(String id, List<InetAddress> addresses) throws IOException {
        for (InetAddress address : addresses) {
            for (int port : PORTS) {
                ServerSocket tcp = new ServerSocket();
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(address, port), 512);
                Thread.ofVirtual().name("tcp-" + port).start(() -> acceptLoop(id, tcp, port == 81));
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(address, port));
                Thread.ofVirtual().name("udp-" + port).start(() -> udpLoop(id, udp));
            }
        }
    }

    private static void acceptLoop(String id, ServerSocket server, boolean withClient) {
        while (true) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> answer(id, s, withClient));
            } catch (IOException e) {
                PodAgent.log("accept on " + server.getLocalSocketAddress() + ": " + e);
            }
        }
    }

    private static void answer(String id, Socket s, boolean withClient) {
        try (s; OutputStream out = s.getOutputStream()) {
            String line = withClient ? id + " " + Addresses.format(s.getInetAddress()) : id;
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            PodAgent.log("answer to " + s.getRemoteSocketAddress() + ": " + e);
        }
    }

    private static void udpLoop(String id, DatagramSocket socket) {
        byte[] reply = (id + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] buffer = new byte[2048];
        while (true) {
            try {
                DatagramPacket in = new DatagramPacket(buffer, buffer.length);
                socket.receive(in);
                socket.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (IOException e) {
                PodAgent.log("udp on " + socket.getLocalSocketAddress() + ": " + e);
            }
        }
    }
}
