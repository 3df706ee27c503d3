package dev.weir.bench.services;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The connect-rate client (like netperf's TCP_CRR without the request): {@code threads} platform threads,
 * each in a loop of connect, read the server's one-line reply to EOF, close, for {@code seconds} seconds.
 * Counts connections whose reply was a non-empty line, and the replies by text (the lab's TCP 80 answers
 * with the backend pod's name, so this also shows where a ClusterIP sent the connections).
 *
 * <p>Run inside the client pod (its netns and cgroup) as its own JVM, by {@link ServicesBenchCommand}
 * through {@code Lab.command}: {@code java -cp weir-bench.jar dev.weir.bench.services.CrrClient ADDRESS
 * PORT SECONDS THREADS [rst]}. Prints one line: {@code ok=N errors=E ns=ELAPSED replies=name:n,name:n
 * firstError=…}; exit 0 when it ran (even with errors), 2 on bad arguments.
 *
 * <p>The server closes first (it writes its line and closes), so the TIME_WAIT state sits at the server and
 * the client's ephemeral ports are free again at once; {@code rst} makes the client close with RST
 * (SO_LINGER 0) instead of FIN, for comparison.
 */
public final class CrrClient {

    private CrrClient() {
    }

    private static final class Worker implements Runnable {
        final InetSocketAddress target;
        final long deadline;
        final boolean rst;
        final Map<String, Long> replies = new TreeMap<>();
        long ok;
        long errors;
        String firstError;

        Worker(InetSocketAddress target, long deadline, boolean rst) {
            this.target = target;
            this.deadline = deadline;
            this.rst = rst;
        }

        @Override
        public void run() {
            byte[] buf = new byte[256];
            String last = null;
            byte[] lastBytes = new byte[0];
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    if (rst) {
                        s.setSoLinger(true, 0);
                    }
                    s.connect(target, 2000);
                    s.setSoTimeout(2000);
                    InputStream in = s.getInputStream();
                    int n = 0;
                    for (int r; n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0; ) {
                        n += r;
                    }
                    int end = n;
                    while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r')) {
                        end--;
                    }
                    if (end == 0) {
                        throw new IOException("empty reply");
                    }
                    if (last == null || !java.util.Arrays.equals(buf, 0, end, lastBytes, 0, lastBytes.length)) {
                        last = new String(buf, 0, end, StandardCharsets.UTF_8);
                        lastBytes = java.util.Arrays.copyOf(buf, end);
                    }
                    replies.merge(last, 1L, Long::sum);
                    ok++;
                } catch (IOException e) {
                    errors++;
                    if (firstError == null) {
                        firstError = e.toString();
                    }
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: CrrClient ADDRESS PORT SECONDS THREADS [rst]");
            System.exit(2);
        }
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
        double seconds = Double.parseDouble(args[2]);
        int threads = Integer.parseInt(args[3]);
        boolean rst = args.length > 4 && args[4].equals("rst");
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Worker> workers = new ArrayList<>();
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(target, deadline, rst);
            workers.add(w);
            started.add(Thread.ofPlatform().name("crr-" + i).start(w));
        }
        for (Thread t : started) {
            t.join();
        }
        long elapsed = System.nanoTime() - start;
        long ok = 0;
        long errors = 0;
        String firstError = null;
        Map<String, Long> replies = new TreeMap<>();
        for (Worker w : workers) {
            ok += w.ok;
            errors += w.errors;
            firstError = firstError == null ? w.firstError : firstError;
            w.replies.forEach((k, v) -> replies.merge(k, v, Long::sum));
        }
        StringBuilder r = new StringBuilder();
        replies.forEach((k, v) -> r.append(r.isEmpty() ? "" : ",").append(k.replace(' ', '_')).append(':').append(v));
        System.out.println("ok=" + ok + " errors=" + errors + " ns=" + elapsed + " replies=" + r
                + (firstError == null ? "" : " firstError=" + firstError.replace(' ', '_')));
    }
}
