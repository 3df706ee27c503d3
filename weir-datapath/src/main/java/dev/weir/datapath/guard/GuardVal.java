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
 * {@link GuardMaps#PODS}. Each guard that selects the pod is a {@link Set}, judged on its own with its rules and
 * port ranges (those that name it); a call goes on only if every enforcing set lets it. Immutable.
 *
 * @param epId  the pod's endpoint id (flow events)
 * @param sets  at most {@link GuardMaps#MAX_SETS}, in the guards' order
 * @param rules at most {@link GuardMaps#MAX_RULES} in all, set by set; in each set the first match wins
 * @param bind  at most {@link GuardMaps#MAX_BIND} port ranges in all that may be bound
 */
public record GuardVal(int epId, List<Set> sets, List<Rule> rules, List<Port> bind) {

    /**
     * {@code struct guard_set}: one guard of the pod.
     *
     * @param mode     {@link GuardMaps#ENFORCE} or {@link GuardMaps#AUDIT}
     * @param dflt     {@link GuardMaps#ALLOW} or {@link GuardMaps#DENY}: a destination none of its rules matched
     * @param bindAny  any port may be bound (it lists none)
     * @param dfltRule the flow rule id of a refusal by {@code dflt}
     * @param bindRule the flow rule id of a bind it refuses
     */
    public record Set(int mode, int dflt, boolean bindAny, int dfltRule, int bindRule) {

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                Mem.U8.withName("mode"),
                Mem.U8.withName("dflt"),
                Mem.U8.withName("bind_any"),
                Mem.pad(1),
                Mem.U32.withName("dflt_rule"),
                Mem.U32.withName("bind_rule")).withName("guard_set");

        void encode(MemorySegment s) {
            Mem.u8(s, 0, mode);
            Mem.u8(s, 1, dflt);
            Mem.u8(s, 2, bindAny ? 1 : 0);
            Mem.u8(s, 3, 0);
            Mem.u32(s, 4, dfltRule);
            Mem.u32(s, 8, bindRule);
        }

        static Set decode(MemorySegment s) {
            return new Set(Mem.u8(s, 0), Mem.u8(s, 1), Mem.u8(s, 2) != 0, Mem.u32(s, 4), Mem.u32(s, 8));
        }
    }

    /**
     * {@code struct guard_rule}: a destination (prefix, identity, world or peers), protocol (0 any) and port range,
     * of the guard {@code set}.
     *
     * @param addr 16 bytes, IPv4 v4-mapped
     * @param prefixLen over the 128-bit form (IPv4 /24 is 120)
     */
    public record Rule(byte[] addr, int prefixLen, int action, int proto, int by, int portLo, int portHi,
                       int identity, int rule, int set) {

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                Mem.addr("addr"),
                Mem.U8.withName("prefixlen"),
                Mem.U8.withName("action"),
                Mem.U8.withName("proto"),
                Mem.U8.withName("by"),
                Mem.U16.withName("port_lo"),
                Mem.U16.withName("port_hi"),
                Mem.U32.withName("identity"),
                Mem.U32.withName("rule"),
                Mem.U8.withName("set"),
                Mem.pad(3)).withName("guard_rule");

        public Rule {
            addr = Mem.checkLength(addr, 16, "address");
            Mem.checkRange(prefixLen, 0, 128, "prefix length");
            Mem.checkRange(set, 0, GuardMaps.MAX_SETS - 1, "set");
        }

        /** A rule of the first (or only) guard. */
        public Rule(byte[] addr, int prefixLen, int action, int proto, int by, int portLo, int portHi, int identity,
                    int rule) {
            this(addr, prefixLen, action, proto, by, portLo, portHi, identity, rule, 0);
        }

        /** The same rule in set {@code s}. */
        public Rule inSet(int s) {
            return new Rule(addr, prefixLen, action, proto, by, portLo, portHi, identity, rule, s);
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
            Mem.u8(s, 32, set);
            s.asSlice(33, 3).fill((byte) 0);
        }

        static Rule decode(MemorySegment s) {
            return new Rule(Mem.bytes(s, 0, 16), Mem.u8(s, 16), Mem.u8(s, 17), Mem.u8(s, 18), Mem.u8(s, 19),
                    Mem.u16(s, 20), Mem.u16(s, 22), Mem.u32(s, 24), Mem.u32(s, 28), Mem.u8(s, 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rule r && Arrays.equals(r.addr, addr) && r.prefixLen == prefixLen && r.action == action
                    && r.proto == proto && r.by == by && r.portLo == portLo && r.portHi == portHi
                    && r.identity == identity && r.rule == rule && r.set == set;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(addr) * 31 + prefixLen * 17 + portLo * 7 + rule + set;
        }
    }

    /** {@code struct guard_port}: a port range that guard {@code set} lets be bound, for a protocol (0 any). */
    public record Port(int lo, int hi, int proto, int set) {

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                Mem.U16.withName("lo"),
                Mem.U16.withName("hi"),
                Mem.U8.withName("proto"),
                Mem.U8.withName("set"),
                Mem.pad(2)).withName("guard_port");

        public Port {
            Mem.checkRange(set, 0, GuardMaps.MAX_SETS - 1, "set");
        }

        /** A range of the first (or only) guard. */
        public Port(int lo, int hi, int proto) {
            this(lo, hi, proto, 0);
        }

        void encode(MemorySegment s) {
            Mem.u16(s, 0, lo);
            Mem.u16(s, 2, hi);
            Mem.u8(s, 4, proto);
            Mem.u8(s, 5, set);
            s.asSlice(6, 2).fill((byte) 0);
        }

        static Port decode(MemorySegment s) {
            return new Port(Mem.u16(s, 0), Mem.u16(s, 2), Mem.u8(s, 4), Mem.u8(s, 5));
        }
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("ep_id"),
            Mem.U8.withName("n_sets"),
            Mem.U8.withName("n_rules"),
            Mem.U8.withName("n_bind"),
            Mem.U8.withName("bind_any"),
            MemoryLayout.sequenceLayout(GuardMaps.MAX_SETS, Set.LAYOUT).withName("sets"),
            MemoryLayout.sequenceLayout(GuardMaps.MAX_RULES, Rule.LAYOUT).withName("rules"),
            MemoryLayout.sequenceLayout(GuardMaps.MAX_BIND, Port.LAYOUT).withName("bind")).withName("guard_val");

    private static final long SETS = Mem.offset(LAYOUT, "sets");
    private static final long RULES = Mem.offset(LAYOUT, "rules");
    private static final long BIND = Mem.offset(LAYOUT, "bind");

    /** The record codec: {@link #LAYOUT}. */
    public static final Codec<GuardVal> CODEC = Codec.of(LAYOUT, GuardVal::encode, GuardVal::decode);

    public GuardVal {
        sets = List.copyOf(sets);
        rules = List.copyOf(rules);
        bind = List.copyOf(bind);
        check(sets.size(), GuardMaps.MAX_SETS, "guards");
        check(rules.size(), GuardMaps.MAX_RULES, "rules");
        check(bind.size(), GuardMaps.MAX_BIND, "bind ranges");
        int n = sets.size();
        if (rules.stream().anyMatch(r -> r.set() >= n) || bind.stream().anyMatch(p -> p.set() >= n)) {
            throw new IllegalArgumentException("a rule or bind range names a set beyond the " + n + " given");
        }
    }

    /** One guard's value: a single set. */
    public GuardVal(int epId, int mode, int dflt, boolean bindAny, int dfltRule, int bindRule, List<Rule> rules,
                    List<Port> bind) {
        this(epId, List.of(new Set(mode, dflt, bindAny, dfltRule, bindRule)), rules, bind);
    }

    private static void check(int n, int max, String what) {
        if (n > max) {
            throw new IllegalArgumentException(n + " " + what + ", at most " + max);
        }
    }

    /** Every set lets any port be bound (bind() is not judged). */
    public boolean bindAny() {
        return sets.stream().allMatch(Set::bindAny);
    }

    public void encode(MemorySegment s) {
        s.asSlice(0, LAYOUT.byteSize()).fill((byte) 0);
        Mem.u32(s, 0, epId);
        Mem.u8(s, 4, sets.size());
        Mem.u8(s, 5, rules.size());
        Mem.u8(s, 6, bind.size());
        Mem.u8(s, 7, bindAny() ? 1 : 0);
        for (int i = 0; i < sets.size(); i++) {
            sets.get(i).encode(s.asSlice(SETS + i * Set.LAYOUT.byteSize(), Set.LAYOUT.byteSize()));
        }
        for (int i = 0; i < rules.size(); i++) {
            rules.get(i).encode(s.asSlice(RULES + i * Rule.LAYOUT.byteSize(), Rule.LAYOUT.byteSize()));
        }
        for (int i = 0; i < bind.size(); i++) {
            bind.get(i).encode(s.asSlice(BIND + i * Port.LAYOUT.byteSize(), Port.LAYOUT.byteSize()));
        }
    }

    public static GuardVal decode(MemorySegment s) {
        List<Set> sets = new ArrayList<>();
        for (int i = 0; i < Math.min(Mem.u8(s, 4), GuardMaps.MAX_SETS); i++) {
            sets.add(Set.decode(s.asSlice(SETS + i * Set.LAYOUT.byteSize(), Set.LAYOUT.byteSize())));
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < Math.min(Mem.u8(s, 5), GuardMaps.MAX_RULES); i++) {
            rules.add(Rule.decode(s.asSlice(RULES + i * Rule.LAYOUT.byteSize(), Rule.LAYOUT.byteSize())));
        }
        List<Port> bind = new ArrayList<>();
        for (int i = 0; i < Math.min(Mem.u8(s, 6), GuardMaps.MAX_BIND); i++) {
            bind.add(Port.decode(s.asSlice(BIND + i * Port.LAYOUT.byteSize(), Port.LAYOUT.byteSize())));
        }
        return new GuardVal(Mem.u32(s, 0), sets, rules, bind);
    }
}
