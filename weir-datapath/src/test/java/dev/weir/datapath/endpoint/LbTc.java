package dev.weir.datapath.endpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;

import dev.weir.datapath.Mem;
import dev.weir.datapath.lb.LbAffinityKey;
import dev.weir.datapath.lb.LbAffinityVal;
import dev.weir.datapath.lb.LbBackend;
import dev.weir.datapath.lb.LbFrontend;
import dev.weir.datapath.lb.LbHash;
import dev.weir.datapath.lb.LbMaglevKey;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;
import dev.weir.ebpf.Codec;

/**
 * The service maps of {@code bpf/lib/lb.h} as the TC fixtures write them, as raw bytes (the fixtures'
 * maps are untyped): shorthands over the official records of {@code dev.weir.datapath.lb}, whose layouts
 * {@link BtfAlignmentTest} checks against tc_endpoint.o's BTF.
 */
final class LbTc {

    static final String SVC = LbMaps.SVC;
    static final String SLOT = LbMaps.SLOT;
    static final String BACKEND = LbMaps.BACKEND;
    static final String REVNAT = LbMaps.REVNAT;
    static final String AFFINITY = LbMaps.AFFINITY;
    static final String MAGLEV = LbMaps.MAGLEV;

    static final int F_MAGLEV = LbMaps.F_MAGLEV;
    static final int F_AFFINITY = LbMaps.F_AFFINITY;
    static final int SCOPE_ANY = LbMaps.SCOPE_ANY;
    static final int SCOPE_LOCAL = LbMaps.SCOPE_LOCAL;
    static final int BE_ACTIVE = LbMaps.BE_ACTIVE;
    static final int BE_TERMINATING = LbMaps.BE_TERMINATING;

    private LbTc() {
    }

    private static <T> byte[] bytes(Codec<T> codec, T value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(codec.layout());
            codec.encode(value, s);
            return s.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static byte[] svcKey(InetAddress addr, int port, int proto, int scope) {
        return bytes(LbSvcKey.CODEC, new LbSvcKey(Mem.mapped(addr), port, proto, scope));
    }

    static byte[] svcVal(int svcId, int revNatId, int count, int flags, int gen, int affinityTimeoutS, int maglevM) {
        return bytes(LbSvcVal.CODEC, new LbSvcVal(svcId, revNatId, count, flags, gen, affinityTimeoutS, maglevM));
    }

    static byte[] slotKey(int svcId, int slot, int gen) {
        return bytes(LbSlotKey.CODEC, new LbSlotKey(svcId, slot, gen));
    }

    static byte[] maglevKey(int svcId, int index, int gen) {
        return bytes(LbMaglevKey.CODEC, new LbMaglevKey(svcId, index, gen));
    }

    static byte[] backend(InetAddress addr, int port, int proto, int state) {
        return bytes(LbBackend.CODEC, new LbBackend(Mem.mapped(addr), port, proto, state));
    }

    static byte[] frontend(InetAddress addr, int port, int proto) {
        return bytes(LbFrontend.CODEC, new LbFrontend(Mem.mapped(addr), port, proto));
    }

    static byte[] affinityKey(InetAddress client, int svcId) {
        return bytes(LbAffinityKey.CODEC, new LbAffinityKey(Mem.mapped(client), svcId));
    }

    static byte[] affinityVal(long lastNs, int backendId) {
        return bytes(LbAffinityVal.CODEC, new LbAffinityVal(lastNs, backendId));
    }

    static int affinityBackend(byte[] val) {
        return LbAffinityVal.CODEC.decode(MemorySegment.ofArray(val)).backendId();
    }

    /** The datapath's Maglev client hash ({@code lb_hash_tuple} in lb.h), shared with the socket path. */
    static int clientHash(InetAddress client, int port, int proto) {
        return LbHash.tuple(Mem.mapped(client), port, proto);
    }
}
