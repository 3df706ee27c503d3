package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.OptionalInt;

/**
 * Direct-action {@code cls_bpf} filters at a fixed {@link Slot} (handle and priority) on an interface's
 * {@code clsact} qdisc, through libbpf's {@code bpf_tc_*} (netlink): the way to attach a TC program that a later
 * process finds again by its slot, and replaces atomically ({@code tc filter replace}: no moment without a program).
 * Unlike a tcx link, attaching one waits for no RCU grace period under rtnl.
 *
 * <p>Nothing here is held by Java: a filter lives until it is detached or its interface goes. Every call acts on
 * the interface of that name in the calling thread's network namespace (run it inside {@code NetworkNamespace.call}
 * for another one). Errors are {@link BpfKernelException}s naming the call, the interface and the errno.
 */
public final class TcFilter {

    private TcFilter() {
    }

    /**
     * Where a filter sits on a hook: its {@code handle} (non-zero) and {@code priority} (1..65535, lower runs first).
     * One slot holds one program per direction.
     */
    public record Slot(int handle, int priority) {
        public Slot {
            if (handle == 0) {
                throw new IllegalArgumentException("a tc filter slot needs a non-zero handle");
            }
            if (priority < 1 || priority > 0xffff) {
                throw new IllegalArgumentException("tc filter priority " + priority + " is not in 1..65535");
            }
        }

        @Override
        public String toString() {
            return "handle 0x" + Integer.toHexString(handle) + " prio " + priority;
        }
    }

    /**
     * Adds the {@code clsact} qdisc to the interface unless it has one.
     *
     * @return true when this call created it, false when it was there
     * @throws BpfKernelException ENODEV for no such interface
     */
    public static boolean ensureClsact(String ifname) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfNet.bpfTcHookCreate(ClsactFilter.hook(arena, ifindex, ClsactFilter.BOTH));
            if (rc == -Errno.EEXIST.code()) {
                return false;
            }
            Native.check(rc, "bpf_tc_hook_create", "clsact on " + ifname);
            return true;
        }
    }

    /**
     * Removes the interface's {@code clsact} qdisc, and with it every filter on it, weir's or not: call it only for
     * a qdisc the caller made.
     *
     * @return false when the interface had none
     */
    public static boolean removeClsact(String ifname) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfNet.bpfTcHookDestroy(ClsactFilter.hook(arena, ifindex, ClsactFilter.BOTH));
            if (rc == -Errno.ENOENT.code() || rc == -Errno.EINVAL.code()) {
                return false;
            }
            Native.check(rc, "bpf_tc_hook_destroy", "clsact on " + ifname);
            return true;
        }
    }

    /**
     * Puts {@code program} in the slot, replacing atomically whatever program is there, or adding it when the slot
     * is empty. The interface must have a {@code clsact} qdisc ({@link #ensureClsact}).
     *
     * @throws BpfKernelException EINVAL for no clsact qdisc or a program of another type
     */
    public static void replace(BpfProgram program, String ifname, TcDirection direction, Slot slot) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = ClsactFilter.opts(arena, slot.handle(), slot.priority());
            opts.set(ValueLayout.JAVA_INT, 8, program.fd().get());
            opts.set(ValueLayout.JAVA_INT, 12, BPF_TC_F_REPLACE);
            Native.check(LibBpfNet.bpfTcAttach(ClsactFilter.hook(arena, ifindex, direction.tcAttachPoint()), opts),
                    "bpf_tc_attach", describe(program.name(), ifname, direction, slot));
        }
    }

    /**
     * The id of the program in the slot; empty when the slot, or the interface's clsact qdisc, is empty (an expected
     * answer: libbpf's message about it is not logged).
     */
    public static OptionalInt query(String ifname, TcDirection direction, Slot slot) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = ClsactFilter.opts(arena, slot.handle(), slot.priority());
            int rc = LibBpfLog.quietly(() -> LibBpfNet.bpfTcQuery(ClsactFilter.hook(arena, ifindex, direction.tcAttachPoint()), opts));
            if (absent(rc)) {
                return OptionalInt.empty();
            }
            Native.check(rc, "bpf_tc_query", describe("filter", ifname, direction, slot));
            return OptionalInt.of(opts.get(ValueLayout.JAVA_INT, 16));
        }
    }

    /**
     * Removes the filter in the slot.
     *
     * @return false when there was none
     */
    public static boolean detach(String ifname, TcDirection direction, Slot slot) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfLog.quietly(() -> LibBpfNet.bpfTcDetach(ClsactFilter.hook(arena, ifindex, direction.tcAttachPoint()),
                    ClsactFilter.opts(arena, slot.handle(), slot.priority())));
            if (absent(rc)) {
                return false;
            }
            Native.check(rc, "bpf_tc_detach", describe("filter", ifname, direction, slot));
            return true;
        }
    }

    /** libbpf's {@code BPF_TC_F_REPLACE}. */
    private static final int BPF_TC_F_REPLACE = 1;

    /** No such filter (ENOENT), or no clsact qdisc to hold one (the kernel answers EINVAL then). */
    private static boolean absent(int rc) {
        return rc == -Errno.ENOENT.code() || rc == -Errno.EINVAL.code();
    }

    private static String describe(String what, String ifname, TcDirection direction, Slot slot) {
        return what + " on " + ifname + " " + direction.name().toLowerCase() + " (" + slot + ")";
    }
}
