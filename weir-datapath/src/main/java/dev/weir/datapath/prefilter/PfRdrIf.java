package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_rdr_if}: value of {@code pf_rdr_if} (key: the ifindex the prefilter is attached to). Its
 * presence turns the redirect stage on for that interface; only frames sent to {@code mac} are redirected.
 * Immutable.
 *
 * @param mac the interface's own address (6 bytes)
 */
public record PfRdrIf(byte[] mac) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(6, Mem.U8).withName("mac"),
            Mem.pad(2)).withName("pf_rdr_if");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfRdrIf> CODEC = Codec.of(LAYOUT, PfRdrIf::encode, PfRdrIf::decode);

    /** @throws IllegalArgumentException when the MAC address is not 6 bytes */
    public PfRdrIf {
        mac = Mem.checkLength(mac, 6, "MAC address");
    }

    @Override
    public byte[] mac() {
        return mac.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfRdrIf r && Arrays.equals(r.mac, mac);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(mac);
    }

    @Override
    public String toString() {
        return "PfRdrIf[mac=" + Macs.text(mac) + "]";
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, mac);
        Mem.u16(dst, 6, 0);
    }

    public static PfRdrIf decode(MemorySegment src) {
        return new PfRdrIf(Mem.bytes(src, 0, 6));
    }
}
