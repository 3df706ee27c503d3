package dev.weir.datapath.sockmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.weir.datapath.BtfLayouts;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.MapType;
import dev.weir.ebpf.ObjectSpec;

/** The sockmap object's records match its BTF, its maps and programs are the ones the agent names. No kernel needed. */
class BtfAlignmentTest {

    private static final ObjectSpec SPEC = ObjectSpec.read(SockmapMaps.OBJECT, Datapath.object(SockmapMaps.OBJECT));

    @Test
    void recordsMatchTheirStructs() {
        BtfLayouts.assertMatches(SPEC.btf(), SockKey.LAYOUT);
        BtfLayouts.assertMatches(SPEC.btf(), SockEp.LAYOUT);
        BtfLayouts.assertMatches(SPEC.btf(), Counter.LAYOUT);
    }

    static Stream<Arguments> maps() {
        return Stream.of(
                Arguments.of(SockmapMaps.SOCKS, MapType.SOCKHASH, SockKey.LAYOUT.byteSize(), 8L, SockmapMaps.SOCKS_ENTRIES),
                Arguments.of(SockmapMaps.EP, MapType.HASH, 16L, SockEp.LAYOUT.byteSize(), SockmapMaps.EP_ENTRIES));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("maps")
    void mapsHaveTheCodecsSizes(String name, MapType type, long key, long value, int entries) {
        MapSpec m = SPEC.map(name);
        assertThat(m.type()).isEqualTo(type);
        assertThat(m.keySize()).isEqualTo(key);
        assertThat(m.valueSize()).isEqualTo(value);
        assertThat(m.maxEntries()).isEqualTo(entries);
    }

    @Test
    void theSharedMapsAreTcEndpointsOnes() {
        ObjectSpec tc = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        for (String name : SockmapMaps.FROM_ENDPOINT) {
            MapSpec mine = SPEC.map(name);
            MapSpec theirs = tc.map(name);
            assertThat(mine.type()).as(name).isEqualTo(theirs.type());
            assertThat(mine.keySize()).as(name).isEqualTo(theirs.keySize());
            assertThat(mine.valueSize()).as(name).isEqualTo(theirs.valueSize());
        }
    }

    @Test
    void theProgramsAndTheirSections() {
        assertThat(SPEC.programs()).extracting(p -> p.name()).containsExactlyInAnyOrder(SockmapMaps.SOCKOPS, SockmapMaps.SK_MSG);
        assertThat(SPEC.program(SockmapMaps.SOCKOPS).section()).isEqualTo("sockops");
        assertThat(SPEC.program(SockmapMaps.SK_MSG).section()).isEqualTo("sk_msg");
    }

    @Test
    void aKeyRoundTripsAndItsPeerSwapsTheEnds() {
        byte[] a = new byte[16];
        byte[] b = new byte[16];
        a[10] = b[10] = a[11] = b[11] = (byte) 0xff;
        a[12] = 10;
        b[12] = 11;
        SockKey k = new SockKey(a, b, 40000, 80);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(SockKey.LAYOUT);
            k.encode(s);
            assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 34)).as("rport big-endian").isEqualTo((byte) 0);
            assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 35)).isEqualTo((byte) 80);
            assertThat(SockKey.decode(s)).isEqualTo(k);
        }
        assertThat(k.peer()).isEqualTo(new SockKey(b, a, 80, 40000));
        assertThat(k.peer().peer()).isEqualTo(k);
    }
}
