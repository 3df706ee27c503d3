package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.testkit.Requirements;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Load options, verifier failures, probes and the system listing. */
class LoadKernelTest {

    @BeforeEach
    void root() {
        Requirements.root();
    }

    @Test
    void constantsAndMapSizesApplyAtLoad() {
        LoadOptions opts = LoadOptions.builder().constant("CFG_VERDICT", 1).constant("CFG_COOKIE", 0x1122334455L)
                .maxEntries("t_lru", 4096).build();
        try (BpfObject obj = BpfObject.load(TestObjects.maps(), opts)) {
            assertThat(obj.program("xdp_main").testRun(TestRun.of(TestObjects.packet())).retval()).isEqualTo(1);
            assertThat(obj.map("t_lru", Codec.u32(), Codec.u64()).info().maxEntries()).isEqualTo(4096);
        }
        assertThatThrownBy(() -> BpfObject.load(TestObjects.maps(), LoadOptions.builder().constant("CFG_NOPE", 1).build()))
                .isInstanceOf(BpfSpecException.class).hasMessageContaining("CFG_VERDICT");
        assertThatThrownBy(() -> BpfObject.load(TestObjects.maps(), LoadOptions.builder().maxEntries("nope", 1).build()))
                .isInstanceOf(BpfSpecException.class).hasMessageContaining("t_hash");
    }

    @Test
    void verifierRejectionKeepsTheLog() {
        assertThatThrownBy(() -> BpfObject.load(TestObjects.bad()))
                .isInstanceOfSatisfying(BpfVerifierException.class, e -> {
                    assertThat(e.program()).isEqualTo("xdp_oob");
                    assertThat(e.errno()).isEqualTo(Errno.EACCES);
                    assertThat(e.log()).contains("invalid access to packet");
                    assertThat(e.getMessage()).contains("xdp_oob").contains(e.logTail());
                    assertThat(e.logTail().lines().count()).isLessThanOrEqualTo(20);
                });
    }

    @Test
    void probesHaveThreeAnswersAndAreCached() {
        assertThat(Features.programType(ProgramType.XDP)).isEqualTo(new Probe.Supported());
        assertThat(Features.mapType(MapType.LPM_TRIE).isSupported()).isTrue();
        assertThat(Features.helper(ProgramType.XDP, "bpf_ringbuf_output").isSupported()).isTrue();
        assertThat(Features.helper(ProgramType.SOCKET_FILTER, "redirect")).isInstanceOfSatisfying(Probe.Unsupported.class,
                u -> assertThat(u.kernel()).isEqualTo(Features.kernel()));
        assertThat(Features.helper(ProgramType.XDP, "no_such_helper")).isInstanceOf(Probe.Inconclusive.class);
        assertThat(Features.tcx()).isSameAs(Features.tcx());
        assertThat(Features.tcx()).isNotInstanceOf(Probe.Inconclusive.class);
    }

    @Test
    void systemListsWhatWeLoaded() {
        try (BpfObject obj = BpfObject.load(TestObjects.maps())) {
            int prog = obj.program("tc_main").id();
            assertThat(BpfSystem.programs()).anySatisfy(p -> {
                assertThat(p.id()).isEqualTo(prog);
                assertThat(p.name()).isEqualTo("tc_main");
                assertThat(p.type()).isEqualTo(ProgramType.SCHED_CLS);
            });
            assertThat(BpfSystem.maps()).anyMatch(m -> m.name().equals("t_lpm") && m.type() == MapType.LPM_TRIE);
            assertThat(BpfSystem.links()).isNotNull();
        }
    }
}
