package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ipcache_val}: the identity of an {@code ipcache} prefix. Immutable.
 *
 * @param identity the prefix's identity (never 0)
 * @param flags reserved, 0
 */
public record IpcacheVal(int identity, int flags) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("identity"),
            Mem.U32.withName("flags")).withName("ipcache_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<IpcacheVal> CODEC = Codec.of(LAYOUT, IpcacheVal::encode, IpcacheVal::decode);

    public static IpcacheVal of(int identity) {
        return new IpcacheVal(identity, 0);
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, identity);
        Mem.u32(dst, 4, flags);
    }

    public static IpcacheVal decode(MemorySegment src) {
        return new IpcacheVal(Mem.u32(src, 0), Mem.u32(src, 4));
    }
}
