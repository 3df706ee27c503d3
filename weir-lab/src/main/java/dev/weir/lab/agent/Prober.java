package dev.weir.lab.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * One probe from inside the pod: TCP connects and reads the reply line; UDP sends one datagram on a
 * connected socket and reads the answer. Answers in {@link AgentProtocol} form. Stateless, thread-safe.
 */
final class Prober {

    private static final byte[] REQUEST = "probe\n".getBytes(StandardCharsets.UTF_8);

    private Prober() {
    }

    static String probe(String protocol, String address, int port, int timeoutMs) {
        long start = System.nanoTime();
        InetSocketAddress target = new InetSocketAddress(InetAddress.ofLiteral(address), port);
        try {
            String reply = protocol.equals("UDP") ? udp(target, timeoutMs) : tcp(target, timeoutMs, start);
            return AgentProtocol.OK + " " + reply;
        } catch (IOException e) {
            return AgentProtocol.FAIL + " " + reason(e);
        }
    }

    /** timeout, refused, unreachable: …, or error: … */
    static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (e instanceof PortUnreachableException || message.contains("refused")) {
            return "refused";
        }
        if (e instanceof NoRouteToHostException || message.contains("unreachable")) {
            return "unreachable: " + message;
        }
        return "error: " + e;
    }

    private static String tcp(InetSocketAddress target, int timeoutMs, long start) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(target, timeoutMs);
            int left = timeoutMs - (int) ((System.nanoTime() - start) / 1_000_000);
            s.setSoTimeout(Math.max(1, left));
            return readLine(s.getInputStream());
        }
    }

    private static String udp(InetSocketAddress target, int timeoutMs) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(target);
            s.setSoTimeout(timeoutMs);
            s.send(new DatagramPacket(REQUEST, REQUEST.length));
            byte[] buffer = new byte[2048];
            DatagramPacket in = new DatagramPacket(buffer, buffer.length);
            s.receive(in);
            return new String(buffer, 0, in.getLength(), StandardCharsets.UTF_8).strip();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        if (line.isEmpty() && c < 0) {
            throw new IOException("connection closed without a reply");
        }
        return line.toString();
    }
}
