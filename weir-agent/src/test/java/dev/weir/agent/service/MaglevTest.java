package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Maglev's properties at the default M = 16381: balance, disruption, determinism. The figures are
 * printed and written to {@code target/maglev-figures.txt} (they go into docs/service-engine.md).
 */
class MaglevTest {

    private static final int M = Maglev.DEFAULT_M;
    private static final StringBuilder FIGURES = new StringBuilder();

    /** N backends 10.244.a.b:80 with ids 1..N. */
    static List<Maglev.Backend> backends(int n) {
        List<Maglev.Backend> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Maglev.Backend(IpAddress.parse("10.244." + (i / 250) + "." + (i % 250 + 1)), 80, i + 1));
        }
        return out;
    }

    @Test
    void xxh64MatchesTheReferenceImplementation() {
        // reference values from the system's libxxhash (XXH64)
        assertThat(XxHash64.hash(new byte[0], 0)).isEqualTo(0xef46db3751d8e999L);
        assertThat(XxHash64.hash("a".getBytes(StandardCharsets.US_ASCII), 0)).isEqualTo(0xd24ec4f1a98c6e5bL);
        assertThat(XxHash64.hash("abc".getBytes(StandardCharsets.US_ASCII), 0)).isEqualTo(0x44bc2cf5ad770999L);
        byte[] forty = new byte[40];
        byte[] eighteen = new byte[18];
        for (int i = 0; i < 40; i++) {
            forty[i] = (byte) i;
        }
        System.arraycopy(forty, 0, eighteen, 0, 18);
        assertThat(XxHash64.hash(forty, 1)).isEqualTo(0x421d36a2ffe6ca63L);
        assertThat(XxHash64.hash(eighteen, Maglev.SEED_SKIP)).isEqualTo(0xa55415e21d3f8051L);
    }

    @Test
    void checksPrimes() {
        assertThat(List.of(2, 3, 251, 16381, 65521, 131071)).allMatch(Maglev::isPrime);
        assertThat(List.of(0, 1, 4, 1000, 16383, 65535)).noneMatch(Maglev::isPrime);
        assertThatThrownBy(() -> Maglev.table(backends(2), 16383)).hasMessageContaining("16383 is not prime");
        assertThatThrownBy(() -> Maglev.table(List.of(backends(1).getFirst(), backends(1).getFirst()), M))
                .hasMessageContaining("duplicate Maglev backend 10.244.0.1:80");
        assertThat(Maglev.table(List.of(), M)).isEmpty();
    }

    @Test
    void balance() {
        double worst = 0;
        FIGURES.append("balance at M=").append(M).append(" (max entries / mean entries per backend):\n");
        for (int n = 2; n <= 100; n++) {
            int[] counts = counts(Maglev.table(backends(n), M), n);
            int max = 0;
            int min = Integer.MAX_VALUE;
            for (int i = 1; i <= n; i++) {
                max = Math.max(max, counts[i]);
                min = Math.min(min, counts[i]);
            }
            double ratio = max / ((double) M / n);
            worst = Math.max(worst, ratio);
            if (n <= 5 || n % 10 == 0) {
                FIGURES.append(String.format("  N=%-3d min %-5d max %-5d max/mean %.4f%n", n, min, max, ratio));
            }
        }
        FIGURES.append(String.format("  worst over N=2..100: %.4f%n", worst));
        assertThat(worst).isLessThan(1.01);
    }

    /**
     * Maglev moves more than the ideal 1/N, the more so the fewer entries each backend owns: within
     * x1.7 while M >= 300 N, up to x2.5 at the default M with 100 backends (see the figures).
     */
    @Test
    void disruption() {
        FIGURES.append("disruption (fraction of entries that change; ideal 1/N on removal, 1/(N+1) on addition):\n");
        for (int m : new int[] {M, 65521, 131071}) {
            Random rnd = new Random(42);
            for (int n : new int[] {2, 3, 5, 10, 20, 50, 100}) {
                if (m != M && n < 50) {
                    continue;
                }
                List<Maglev.Backend> all = backends(n + 1);
                List<Maglev.Backend> base = all.subList(0, n);
                int[] before = Maglev.table(base, m);
                List<Maglev.Backend> removed = new ArrayList<>(base);
                removed.remove(rnd.nextInt(n));
                double rem = changed(before, Maglev.table(removed, m));
                double add = changed(before, Maglev.table(all, m));
                FIGURES.append(String.format("  M=%-6d N=%-3d remove one: %.4f (ideal %.4f, x%.2f)   add one: %.4f (ideal %.4f, x%.2f)%n",
                        m, n, rem, 1.0 / n, rem * n, add, 1.0 / (n + 1), add * (n + 1)));
                double slack = m >= 300 * n ? 1.7 : 2.8;
                assertThat(rem).as("M=%d N=%d remove", m, n).isBetween(0.99 / n, slack / n);
                assertThat(add).as("M=%d N=%d add", m, n).isBetween(0.99 / (n + 1), slack / (n + 1));
            }
        }
    }

    @Test
    void sameTableWhateverTheInputOrder() {
        List<Maglev.Backend> b = new ArrayList<>(backends(37));
        int[] expected = Maglev.table(b, M);
        Random rnd = new Random(1);
        for (int i = 0; i < 5; i++) {
            Collections.shuffle(b, rnd);
            assertThat(Maglev.table(b, M)).isEqualTo(expected);
        }
        // pinned: a change of hash, seeds or fill order shows here (every node must agree)
        assertThat(LbStateDump.checksum(java.util.Arrays.stream(Maglev.table(backends(3), 251)).boxed().toList()))
                .isEqualTo(PINNED_CHECKSUM);
        assertThat(java.util.Arrays.copyOf(Maglev.table(backends(3), 251), 12)).containsExactly(PINNED_PREFIX);
    }

    static final String PINNED_CHECKSUM = "234afbf6a880258a";
    static final int[] PINNED_PREFIX = {1, 2, 1, 3, 3, 3, 2, 2, 1, 3, 3, 1};

    private static int[] counts(int[] table, int n) {
        int[] c = new int[n + 2];
        for (int id : table) {
            c[id]++;
        }
        return c;
    }

    private static double changed(int[] a, int[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                d++;
            }
        }
        return (double) d / a.length;
    }

    @AfterAll
    static void printFigures() throws IOException {
        System.out.print(FIGURES);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/maglev-figures.txt"), FIGURES.toString());
    }
}
