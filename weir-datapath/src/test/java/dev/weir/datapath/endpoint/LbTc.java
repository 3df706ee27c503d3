package dev.weir.datapath.endpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;

import dev.weir.datapath.Mem;

/**
 * Test-local codecs of the service maps of {@code bpf/lib/lb.h} as the TC fixtures write them: layouts
 * (checked against tc_endpoint.o's BTF by {@link BtfAlignmentTest}) and encoders to raw bytes. The
 * official records are {@code dev.weir.datapath.lb}; these predate them and could be replaced by them.
 */
final class LbTc {

    static final String SVC = "lb_svc";
    static final String SLOT = "lb_slot";
    static final String BACKEND = "lb_backend";
    static final String REVNAT = "lb_revnat";
    static final String AFFINITY = "lb_affinity";
    static final String MAGLEV = "lb_maglev";

    static final int F_MAGLEV = 1;
    static final int F_AFFINITY = 1 << 1;
    static final int SCOPE_ANY = 0;
    static final int SCOPE_LOCAL = 1;
    static final int BE_ACTIVE = 0;
    static final int BE_TERMINATING = 1;

    static final StructLayout SVC_KEY = MemoryLayout.structLayout(
            Mem.addr("addr"), Mem.BE16.withName("port"), Mem.U8.withName("proto"), Mem.U8.withName("scope"))
            .withName("lb_svc_key");
    static final StructLayout SVC_VAL = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"), Mem.U32.withName("rev_nat_id"), Mem.U16.withName("count"),
            Mem.U16.withName("flags"), Mem.U8.withName("gen"), Mem.pad(3), Mem.U32.withName("affinity_timeout_s"),
            Mem.U32.withName("maglev_m"), Mem.U32.withName("_pad2")).withName("lb_svc_val");
    static final StructLayout SLOT_KEY = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"), Mem.U16.withName("slot"), Mem.U8.withName("gen"), Mem.pad(1))
            .withName("lb_slot_key");
    static final StructLayout MAGLEV_KEY = MemoryLayout.structLayout(
            Mem.U32.withName("svc_id"), Mem.U32.withName("index"), Mem.U8.withName("gen"), Mem.pad(3))
            .withName("lb_maglev_key");
    static final StructLayout BACKEND_VAL = MemoryLayout.structLayout(
            Mem.addr("addr"), Mem.BE16.withName("port"), Mem.U8.withName("proto"), Mem.U8.withName("state"),
            Mem.U32.withName("_pad")).withName("lb_backend");
    static final StructLayout FRONTEND = MemoryLayout.structLayout(
            Mem.addr("addr"), Mem.BE16.withName("port"), Mem.U8.withName("proto"), Mem.pad(1))
            .withName("lb_frontend");
    static final StructLayout AFFINITY_KEY = MemoryLayout.structLayout(
            Mem.addr("client"), Mem.U32.withName("svc_id")).withName("lb_affinity_key");
    static final StructLayout AFFINITY_VAL = MemoryLayout.structLayout(
            Mem.U64.withName("last_ns"), Mem.U32.withName("backend_id"), Mem.U32.withName("_pad"))
            .withName("lb_affinity_val");

    private LbTc() {
    }

    private interface Filler {
        void fill(MemorySegment s);
    }

    private static byte[] bytes(StructLayout l, Filler f) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(l);
            f.fill(s);
            return s.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static byte[] svcKey(InetAddress addr, int port, int proto, int scope) {
        return bytes(SVC_KEY, s -> {
            Mem.bytes(s, 0, Mem.mapped(addr));
            Mem.be16(s, 16, port);
            Mem.u8(s, 18, proto);
            Mem.u8(s, 19, scope);
        });
    }

    static byte[] svcVal(int svcId, int revNatId, int count, int flags, int gen, int affinityTimeoutS, int maglevM) {
        return bytes(SVC_VAL, s -> {
            Mem.u32(s, 0, svcId);
            Mem.u32(s, 4, revNatId);
            Mem.u16(s, 8, count);
            Mem.u16(s, 10, flags);
            Mem.u8(s, 12, gen);
            Mem.u32(s, 16, affinityTimeoutS);
            Mem.u32(s, 20, maglevM);
        });
    }

    static byte[] slotKey(int svcId, int slot, int gen) {
        return bytes(SLOT_KEY, s -> {
            Mem.u32(s, 0, svcId);
            Mem.u16(s, 4, slot);
            Mem.u8(s, 6, gen);
        });
    }

    static byte[] maglevKey(int svcId, int index, int gen) {
        return bytes(MAGLEV_KEY, s -> {
            Mem.u32(s, 0, svcId);
            Mem.u32(s, 4, index);
            Mem.u8(s, 8, gen);
        });
    }

    static byte[] backend(InetAddress addr, int port, int proto, int state) {
        return bytes(BACKEND_VAL, s -> {
            Mem.bytes(s, 0, Mem.mapped(addr));
            Mem.be16(s, 16, port);
            Mem.u8(s, 18, proto);
            Mem.u8(s, 19, state);
        });
    }

    static byte[] frontend(InetAddress addr, int port, int proto) {
        return bytes(FRONTEND, s -> {
            Mem.bytes(s, 0, Mem.mapped(addr));
            Mem.be16(s, 16, port);
            Mem.u8(s, 18, proto);
        });
    }

    static byte[] affinityKey(InetAddress client, int svcId) {
        return bytes(AFFINITY_KEY, s -> {
            Mem.bytes(s, 0, Mem.mapped(client));
            Mem.u32(s, 16, svcId);
        });
    }

    static byte[] affinityVal(long lastNs, int backendId) {
        return bytes(AFFINITY_VAL, s -> {
            Mem.u64(s, 0, lastNs);
            Mem.u32(s, 8, backendId);
        });
    }

    static int affinityBackend(byte[] val) {
        return MemorySegment.ofArray(val).get(ValueLayout.JAVA_INT_UNALIGNED, 8);
    }

    /** The datapath's Maglev client hash ({@code lb_hash_tuple} in lb.h), shared with the socket path. */
    static int clientHash(InetAddress client, int port, int proto) {
        return dev.weir.datapath.lb.LbHash.tuple(Mem.mapped(client), port, proto);
    }
}
