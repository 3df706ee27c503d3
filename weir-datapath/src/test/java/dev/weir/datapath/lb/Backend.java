package dev.weir.datapath.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test backend on a loopback address: a TCP listener that writes its name and a line feed to each
 * connection and closes it, and a UDP socket that answers each datagram with its name. Both on ports the
 * kernel picks. Counts what it served. Closing stops both.
 */
final class Backend implements AutoCloseable {

    final String name;
    final InetAddress addr;
    private final ServerSocket tcp;
    private final DatagramSocket udp;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger datagrams = new AtomicInteger();

    Backend(String name, String addr) {
        this.name = name;
        try {
            this.addr = InetAddress.getByName(addr);
            tcp = new ServerSocket();
            tcp.bind(new InetSocketAddress(this.addr, 0), 512);
            udp = new DatagramSocket(new InetSocketAddress(this.addr, 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("backend-tcp-" + name).start(this::serveTcp);
        Thread.ofPlatform().daemon().name("backend-udp-" + name).start(this::serveUdp);
    }

    int tcpPort() {
        return tcp.getLocalPort();
    }

    int udpPort() {
        return udp.getLocalPort();
    }

    private void serveTcp() {
        byte[] line = (name + "\n").getBytes(StandardCharsets.US_ASCII);
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                accepted.incrementAndGet();
                s.getOutputStream().write(line);
            } catch (IOException e) {
                if (tcp.isClosed()) {
                    return;
                }
            }
        }
    }

    private void serveUdp() {
        byte[] reply = name.getBytes(StandardCharsets.US_ASCII);
        DatagramPacket in = new DatagramPacket(new byte[512], 512);
        while (!udp.isClosed()) {
            try {
                udp.receive(in);
                datagrams.incrementAndGet();
                udp.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                // keep serving
            }
        }
    }

    @Override
    public void close() throws IOException {
        tcp.close();
        udp.close();
    }
}
