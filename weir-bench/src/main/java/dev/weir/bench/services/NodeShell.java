package dev.weir.bench.services;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs tools inside one lab node's network namespace ({@code ip netns exec weir-nodeN …}: iptables and
 * conntrack need no host mounts) and returns their output. Failures throw with the tool's stderr.
 * Stateless apart from the namespace name.
 */
record NodeShell(String netns) {

    /** Output and wall-clock seconds of one command. */
    record Result(String out, double seconds) {
    }

    Result run(String stdin, String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        long t0 = System.nanoTime();
        if (stdin != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } else {
            p.getOutputStream().close();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IOException(String.join(" ", argv) + ": exit " + rc + ": " + out.strip());
        }
        return new Result(out, secs);
    }

    /** Empties the node's conntrack table (nothing to do when conntrack is not in use there). */
    void flushConntrack() throws IOException, InterruptedException {
        try {
            run(null, "conntrack", "-F");
        } catch (IOException e) {
            if (!e.getMessage().contains("0 flow entries")) {
                throw e;
            }
        }
    }

    /**
     * Deletes the namespace's nftables {@code ip nat} table (iptables-nft's nat table) with everything in
     * it, if there is one. (Cheap at any size, unlike listing: {@code nft list tables} spends seconds on a
     * table of 100,000 chains.)
     */
    void deleteNatTable() throws IOException, InterruptedException {
        try {
            run(null, "nft", "delete", "table", "ip", "nat");
        } catch (IOException e) {
            if (!e.getMessage().contains("No such file or directory")) {
                throw e;
            }
        }
    }

    /** Whether the namespace has an nftables {@code ip nat} table (iptables-nft's nat table). */
    boolean hasNatTable() throws IOException, InterruptedException {
        return run(null, "nft", "list", "tables").out().lines().anyMatch(l -> l.strip().equals("table ip nat"));
    }
}
