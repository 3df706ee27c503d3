package dev.weir.datapath.guard;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct guard_val} ({@code bpf/lib/guard.h}): what guards one pod's cgroup, the value of
 * {@link GuardMaps#PODS}. Immutable.
 *
 * @param epId     the pod's endpoint id (flow events)
 * @param mode     {@link GuardMaps#ENFORCE} or {@link GuardMaps#AUDIT}
 * @param dflt     {@link GuardMaps#ALLOW} or {@link GuardMaps#DENY}: a destination no rule matched
 * @param bindAny  any port may be bound ({@code bind} unused)
 * @param dfltRule the flow rule id of a refusal by {@code dflt}
 * @param bindRule the flow rule id of a refused bind
 * @param rules    at most {@link GuardMaps#MAX_RULES}, first match wins
 * @param bind     at most {@link GuardMaps#MAX_BIND} port ranges that may be bound
 */
public record GuardVal(int epId, int mode, int dflt, boolean bindAny, int dfltRule, int bindRule, List<Rule> rules,
                       List<Port> bind) {

    /**
     * {@code struct guard_rule}: a destination (prefix, identity or world), protocol (0 any) and port range.
     *
     * @param addr 16 bytes, IPv4 v4-mapped
     * @param prefixLen over the 128-bit form (IPv4 /24 is 120)
     */
    public record Rule(byte[] addr, int prefixLen, int action, int proto, int by, int portLo, int portHi,
                       int identity, int rule) {

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                Mem.addr("addr"),
                Mem.U8.withName("prefixlen"),
                Mem.U8.withName("action"),
                Mem.U8.withName("proto"),
                Mem.U8.withName("by"),
                Mem.U16.withName("port_lo"),
                Mem.U16.withName("port_hi"),
                Mem.U32.withName("identity"),
                Mem.U32.withName("rule")).withName("guard_rule");

        public Rule {
            addr = Mem.checkLength(addr, 16, "address");
            Mem.checkRange(prefixLen, 0, 128, "prefix length");
        }

        @Override
        public byte[] addr() {
            return addr.clone();
        }

        void encode(MemorySegment s) {
            Mem.bytes(s, 0, addr);
            Mem.u8(s, 16, prefixLen);
            Mem.u8(s, 17, action);
            Mem.u8(s, 18, proto);
            Mem.u8(s, 19, by);
            Mem.u16(s, 20, portLo);
            Mem.u16(s, 22, portHi);
            Mem.u32(s, 24, identity);
            Mem.u32(s, 28, rule);
        }

        static Rule decode(MemorySegment s) {
            return new Rule(Mem.bytes(s, 0, 16), Mem.u8(s, 16), Mem.u8(s, 17), Mem.u8(s, 18), Mem.u8(s, 19),
                    Mem.u16(s, 20), Mem.u16(s, 22), Mem.u32(s, 24), Mem.u32(s, 28));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rule r && Arrays.equals(r.addr, addr) && r.prefixLen == prefixLen && r.action == action
                    && r.proto == proto && r.by == by && r.portLo == portLo && r.portHi == portHi
                    && r.identity == identity && r.rule == rule;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(addr) * 31 + prefixLen * 17 + portLo * 7 + rule;
        }
    }

    /** {@code struct guard_port}: a port range that may be bound, for a protocol (0 any). */
    public record Port(int lo, int hi, int proto) {

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                Mem.U16.withName("lo"),
                Mem.U16.withName("hi"),
                Mem.U8.withName("proto"),
                Mem.pad(3)).withName("guard_port");

        void encode(MemorySegment s) {
            Mem.u16(s, 0, lo);
            Mem.u16(s, 2, hi);
            Mem.u8(s, 4, proto);
            s.asSlice(5, 3).fill((byte) 0);
        }

        static Port decode(MemorySegment s) {
            return new Port(Mem.u16(s, 0), Mem.u16(s, 2), Mem.u8(s, 4));
        }
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("ep_id"),
            Mem.U8.withName("mode"),
            Mem.U8.withName("dflt"),
            Mem.U8.withName("bind_any"),
            Mem.U8.withName("n_rules"),
            Mem.U8.withName("n_bind"),
            Mem.pad(3),
            Mem.U32.withName("dflt_rule"),
            Mem.U32.withName("bind_rule"),
            MemoryLayout.sequenceLayout(GuardMaps.MAX_RULES, Rule.LAYOUT).withName("rules"),
            MemoryLayout.sequenceLayout(GuardMaps.MAX_BIND, Port.LAYOUT).withName("bind")).withName("guard_val");

    private static final long RULES = Mem.offset(LAYOUT, "rules");
    private static final long BIND = Mem.offset(LAYOUT, "bind");

    /** The record codec: {@link #LAYOUT}. */
    public static final Codec<GuardVal> CODEC = Codec.of(LAYOUT, GuardVal::encode, GuardVal::decode);

    public GuardVal {
        rules = List.copyOf(rules);
        bind = List.copyOf(bind);
        if (rules.size() > GuardMaps.MAX_RULES) {
            throw new IllegalArgumentException(rules.size() + " rules, at most " + GuardMaps.MAX_RULES);
        }
        if (bind.size() > GuardMaps.MAX_BIND) {
            throw new IllegalArgumentException(bind.size() + " bind ranges, at most " + GuardMaps.MAX_BIND);
        }
    }

    public void encode(MemorySegment s) {
        s.asSlice(0, LAYOUT.byteSize()).fill((byte) 0);
        Mem.u32(s, 0, epId);
        Mem.u8(s, 4, mode);
        Mem.u8(s, 5, dflt);
        Mem.u8(s, 6, bindAny ? 1 : 0);
        Mem.u8(s, 7, rules.size());
        Mem.u8(s, 8, bind.size());
        Mem.u32(s, 12, dfltRule);
        Mem.u32(s, 16, bindRule);
        for (int i = 0; i < rules.size(); i++) {
            rules.get(i).encode(s.asSlice(RULES + i * Rule.LAYOUT.byteSize(), Rule.LAYOUT.byteSize()));
        }
        for (int i = 0; i < bind.size(); i++) {
            bind.get(i).encode(s.asSlice(BIND + i * Port.LAYOUT.byteSize(), Port.LAYOUT.byteSize()));
        }
    }

    public static GuardVal decode(MemorySegment s) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < Math.min(Mem.u8(s, 7), GuardMaps.MAX_RULES); i++) {
            rules.add(Rule.decode(s.asSlice(RULES + i * Rule.LAYOUT.byteSize(), Rule.LAYOUT.byteSize())));
        }
        List<Port> bind = new ArrayList<>();
        for (int i = 0; i < Math.min(Mem.u8(s, 8), GuardMaps.MAX_BIND); i++) {
            bind.add(Port.decode(s.asSlice(BIND + i * Port.LAYOUT.byteSize(), Port.LAYOUT.byteSize())));
        }
        return new GuardVal(Mem.u32(s, 0), Mem.u8(s, 4), Mem.u8(s, 5), Mem.u8(s, 6) != 0, Mem.u32(s, 12),
                Mem.u32(s, 16), rules, bind);
    }
}
