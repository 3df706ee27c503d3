package dev.weir.bench.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.Cidr;

class DenySetTest {

    @Test
    void matchedIsCoveredAndUnmatchedIsNot() {
        for (DenySet s : List.of(DenySet.hosts4(1_000), DenySet.networks4(1_000, 24), DenySet.mixed4(2_000),
                DenySet.mixed6(2_000), DenySet.mixed4(1))) {
            assertThat(s.prefixes().stream().anyMatch(c -> c.containsAddress(s.matched()))).isTrue();
            assertThat(s.prefixes().stream().noneMatch(c -> c.containsAddress(s.unmatched()))).isTrue();
        }
    }

    @Test
    void prefixesAreDistinctOfTheRequestedShape() {
        DenySet hosts = DenySet.hosts4(10_000);
        assertThat(new HashSet<>(hosts.prefixes())).hasSize(10_000);
        assertThat(hosts.prefixes()).allMatch(c -> c.length() == 32 && c.isIpv4());
        assertThat(DenySet.networks4(500, 24).prefixes()).allMatch(c -> c.length() == 24);
        assertThat(DenySet.mixed4(500).prefixes()).allMatch(c -> c.length() >= 16 && c.length() <= 32);
        assertThat(DenySet.mixed6(500).prefixes()).allMatch(c -> !c.isIpv4() && (c.address()[0] & 0xe0) == 0x20);
    }

    @Test
    void sameArgumentsGiveTheSameSet() {
        DenySet a = DenySet.mixed6(300);
        DenySet b = DenySet.mixed6(300);
        assertThat(a.prefixes()).isEqualTo(b.prefixes());
        assertThat(a.matched()).isEqualTo(b.matched());
        assertThat(a.unmatched()).isEqualTo(b.unmatched());
        assertThat(List.of(new Cidr(a.matched(), 128))).isNotEqualTo(List.of(new Cidr(a.unmatched(), 128)));
    }
}
