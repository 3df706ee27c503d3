package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.testkit.Requirements;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every map type of the contract against the running kernel. */
class MapKernelTest {

    private static BpfObject obj;

    @BeforeAll
    static void load() {
        Requirements.root();
        obj = BpfObject.load(TestObjects.maps());
    }

    @AfterAll
    static void close() {
        if (obj != null) {
            obj.close();
        }
    }

    @Test
    void hashLookupUpdateDeleteIterate() {
        BpfMap<TestObjects.FlowKey, TestObjects.Counter> m = obj.map("t_hash", TestObjects.FlowKey.CODEC, TestObjects.Counter.CODEC);
        var k1 = new TestObjects.FlowKey(1, 2, 3, 4, 6);
        var k2 = new TestObjects.FlowKey(5, 6, 7, 8, 17);
        assertThat(m.lookup(k1)).isEmpty();
        m.put(k1, new TestObjects.Counter(1, 100));
        m.update(k2, new TestObjects.Counter(2, 200), UpdateFlag.NO_EXIST);
        assertThat(m.lookup(k1)).contains(new TestObjects.Counter(1, 100));
        assertThat(m.count()).isEqualTo(2);
        assertThat(m.keys()).containsExactlyInAnyOrder(k1, k2);
        assertThat(m.entries()).containsEntry(k2, new TestObjects.Counter(2, 200));
        assertThatThrownBy(() -> m.update(k1, new TestObjects.Counter(0, 0), UpdateFlag.NO_EXIST))
                .isInstanceOfSatisfying(BpfKernelException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                    assertThat(e).hasMessage("bpf_map_update_elem(t_hash): EEXIST (17)");
                });
        assertThat(m.delete(k1)).isTrue();
        assertThat(m.delete(k1)).isFalse();
        assertThat(m.delete(k2)).isTrue();
        assertThat(m.info()).isEqualTo(new MapInfo(m.info().id(), "t_hash", MapType.HASH, 16, 16, 1024, 0));
    }

    @Test
    void hashBatchOperations() {
        BpfMap<Integer, Long> m = obj.map("t_lru", Codec.u32(), Codec.u64());
        List<Integer> keys = IntStream.range(0, 50).boxed().toList();
        List<Long> values = keys.stream().map(k -> k * 10L).toList();
        m.updateBatch(keys, values, UpdateFlag.ANY);
        Map<Integer, Long> all = m.lookupBatch();
        assertThat(all).hasSize(50).containsEntry(49, 490L);
        List<Integer> toDelete = new ArrayList<>(keys.subList(0, 10));
        toDelete.add(1000);                       // absent: skipped, not counted
        toDelete.addAll(keys.subList(10, 20));
        assertThat(m.deleteBatch(toDelete)).isEqualTo(20);
        assertThat(m.count()).isEqualTo(30);
        assertThat(m.deleteBatch(m.keys())).isEqualTo(30);
    }

    @Test
    void lruHashEvictsInsteadOfFailing() {
        BpfMap<Integer, Long> m = obj.map("t_lru", Codec.u32(), Codec.u64());
        for (int i = 0; i < 1000; i++) {
            m.put(i, (long) i);
        }
        assertThat(m.count()).isLessThanOrEqualTo(m.maxEntries());
        m.deleteBatch(m.keys());
    }

    @Test
    void arrayHasEveryIndexAndCannotDelete() {
        BpfMap<Integer, Long> m = obj.map("t_array", Codec.u32(), Codec.u64());
        assertThat(m.count()).isEqualTo(16);
        m.put(3, 33L);
        assertThat(m.lookup(3)).contains(33L);
        assertThat(m.lookup(99)).isEmpty();
        assertThatThrownBy(() -> m.put(16, 1L)).isInstanceOfSatisfying(BpfKernelException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.E2BIG));
        assertThatThrownBy(() -> m.delete(3)).isInstanceOfSatisfying(BpfKernelException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThat(m.lookupBatch()).hasSize(16).containsEntry(3, 33L);
    }

    @Test
    void perCpuHashSumsAcrossCpus() {
        BpfPerCpuMap<Integer, TestObjects.Counter> m = obj.perCpuMap("t_pcpu_hash", Codec.u32(), TestObjects.Counter.CODEC);
        int cpus = BpfPerCpuMap.possibleCpus();
        assertThat(cpus).isPositive();
        List<TestObjects.Counter> values = IntStream.range(0, cpus).mapToObj(c -> new TestObjects.Counter(c + 1, 10)).toList();
        m.put(7, values);
        assertThat(m.lookupPerCpu(7)).isEqualTo(values);
        assertThat(m.lookupSum(7, TestObjects.Counter::plus))
                .isEqualTo(new TestObjects.Counter((long) cpus * (cpus + 1) / 2, 10L * cpus));
        assertThat(m.lookupPerCpu(8)).isEmpty();
        assertThat(m.lookupBatch()).containsOnlyKeys(7);
        assertThat(m.delete(7)).isTrue();
    }

    @Test
    void perCpuArrayRoundsValuesToEightBytes() {
        BpfPerCpuMap<Integer, Integer> m = obj.perCpuMap("t_pcpu_array", Codec.u32(), Codec.u32());
        List<Integer> values = m.everyCpu(0).stream().map(v -> 5).toList();
        m.put(1, values);
        assertThat(m.lookupSum(1, Integer::sum)).isEqualTo(5 * BpfPerCpuMap.possibleCpus());
        m.put(1, m.everyCpu(0));
        assertThatThrownBy(() -> m.put(1, List.of(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lpmTrieMatchesLongestPrefixAndFallsBackFromBatch() {
        BpfMap<TestObjects.LpmV4, Integer> m = obj.map("t_lpm", TestObjects.LpmV4.CODEC, Codec.u32());
        m.put(new TestObjects.LpmV4(8, TestObjects.ipv4(10, 0, 0, 0)), 8);
        m.put(new TestObjects.LpmV4(24, TestObjects.ipv4(10, 1, 2, 0)), 24);
        assertThat(m.lookup(new TestObjects.LpmV4(32, TestObjects.ipv4(10, 1, 2, 3)))).contains(24);
        assertThat(m.lookup(new TestObjects.LpmV4(32, TestObjects.ipv4(10, 9, 9, 9)))).contains(8);
        assertThat(m.lookup(new TestObjects.LpmV4(32, TestObjects.ipv4(11, 0, 0, 1)))).isEmpty();
        assertThat(m.lookupBatch()).hasSize(2);       // LPM tries have no batch ops: iteration fallback
        m.updateBatch(List.of(new TestObjects.LpmV4(16, TestObjects.ipv4(10, 1, 0, 0))), List.of(16), UpdateFlag.ANY);
        assertThat(m.deleteBatch(m.keys())).isEqualTo(3);
    }

    @Test
    void codecSizeMismatchIsRefused() {
        assertThatThrownBy(() -> obj.map("t_hash", Codec.u32(), Codec.u64()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("t_hash");
        assertThatThrownBy(() -> obj.map("nope", Codec.u32(), Codec.u64()))
                .isInstanceOf(BpfSpecException.class).hasMessageContaining("t_hash");
    }

    @Test
    void ringBufferDeliversWhatTheProgramWrote() {
        BpfProgram prog = obj.program("xdp_main");
        List<TestObjects.Event> events = new ArrayList<>();
        try (RingBufferReader reader = RingBufferReader.open(obj.map("t_events", Codec.bytes(0), Codec.bytes(0)),
                s -> events.add(TestObjects.Event.decode(s)))) {
            reader.drain();                             // what other tests' runs left behind
            events.clear();
            TestRun.Result r = prog.testRun(TestRun.of(TestObjects.packet()).repeat(3));
            assertThat(r.retval()).isEqualTo(2);        // XDP_PASS from CFG_VERDICT's default
            assertThat(reader.poll(Duration.ofSeconds(1))).isEqualTo(3);
            assertThat(reader.drain()).isZero();
        }
        assertThat(events).containsOnly(new TestObjects.Event(1, 64, 0));
    }

    @Test
    void programArrayTailCalls() {
        BpfProgram main = obj.program("xdp_main");
        ProgramArray progs = obj.programArray("t_progs");
        progs.set(0, obj.program("xdp_tail"));
        try {
            assertThat(progs.programId(0)).contains(obj.program("xdp_tail").id());
            assertThat(main.testRun(TestRun.of(TestObjects.packet())).retval()).isEqualTo(1);   // XDP_DROP
        } finally {
            assertThat(progs.clear(0)).isTrue();
        }
        assertThat(main.testRun(TestRun.of(TestObjects.packet())).retval()).isEqualTo(2);
    }

    @Test
    void testRunReportsDataOutAndDuration() {
        byte[] packet = TestObjects.packet();
        TestRun.Result r = obj.program("xdp_main").testRun(TestRun.of(packet).repeat(100));
        assertThat(r.dataOut()).isEqualTo(packet);
        assertThat(r.durationNs()).isPositive();
        assertThatThrownBy(() -> obj.program("xdp_main").testRun(TestRun.of(new byte[4])))
                .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }
}
