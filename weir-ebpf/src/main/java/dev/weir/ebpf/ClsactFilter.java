package dev.weir.ebpf;

import dev.weir.ebpf.netns.NetworkNamespace;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A direct-action {@code cls_bpf} filter on an interface's {@code clsact} qdisc, made through libbpf's
 * {@code bpf_tc_*} (netlink). Netlink acts in the calling thread's network namespace, so the filter
 * remembers its namespace and detaches from inside it. The qdisc is left in place on detach: other
 * filters may share it.
 */
final class ClsactFilter {

    private static final long HOOK_SIZE = 24;   // struct bpf_tc_hook { sz; ifindex; attach_point; parent; }
    private static final long OPTS_SIZE = 32;   // struct bpf_tc_opts { sz; prog_fd; flags; prog_id; handle; priority; }
    /** libbpf's {@code BPF_TC_INGRESS | BPF_TC_EGRESS}: the qdisc itself. */
    static final int BOTH = 3;

    private final int ifindex;
    private final TcDirection direction;
    private final int handle;
    private final int priority;
    private final Fd netns;
    private final String netnsId;

    private ClsactFilter(int ifindex, TcDirection direction, int handle, int priority, Fd netns, String netnsId) {
        this.ifindex = ifindex;
        this.direction = direction;
        this.handle = handle;
        this.priority = priority;
        this.netns = netns;
        this.netnsId = netnsId;
    }

    static ClsactFilter attach(BpfProgram program, String ifname, int ifindex, TcDirection direction) {
        String object = program.name() + " on " + ifname + " " + direction.name().toLowerCase();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hook = hook(arena, ifindex, direction.tcAttachPoint());
            int rc = LibBpfNet.bpfTcHookCreate(hook);
            if (rc < 0 && rc != -Errno.EEXIST.code()) {
                throw new BpfKernelException("bpf_tc_hook_create", object, rc);
            }
            MemorySegment opts = opts(arena, 0, 0);
            opts.set(ValueLayout.JAVA_INT, 8, program.fd().get());
            Native.check(LibBpfNet.bpfTcAttach(hook, opts), "bpf_tc_attach", object);
            Fd ns = Fd.check(LibC.open("/proc/thread-self/ns/net", LibC.O_RDONLY | LibC.O_CLOEXEC), "open", "netns");
            return new ClsactFilter(ifindex, direction, opts.get(ValueLayout.JAVA_INT, 20),
                    opts.get(ValueLayout.JAVA_INT, 24), ns, NetworkNamespace.currentId());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the thread's network namespace", e);
        }
    }

    int ifindex() {
        return ifindex;
    }

    /** Detaches the filter, from inside the namespace it was attached in; idempotent. */
    void detach() {
        if (netns.isClosed()) {
            return;
        }
        try {
            if (netnsId.equals(NetworkNamespace.currentId())) {
                detachHere();
            } else {
                Path file = Path.of("/proc/self/fd/" + netns.get());
                Thread t = Thread.ofPlatform().name("tc-detach").unstarted(() -> {
                    NetworkNamespace.enter(file);
                    detachHere();
                });
                t.start();
                t.join();
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot detach tc filter on ifindex " + ifindex, e);
        } finally {
            netns.close();
        }
    }

    private void detachHere() {
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfNet.bpfTcDetach(hook(arena, ifindex, direction.tcAttachPoint()), opts(arena, handle, priority));
            if (rc < 0 && rc != -Errno.ENOENT.code()) {
                throw new BpfKernelException("bpf_tc_detach", "ifindex " + ifindex + " " + direction, rc);
            }
        }
    }

    /** A {@code struct bpf_tc_hook} for libbpf's attach point (1 ingress, 2 egress, {@link #BOTH} the qdisc). */
    static MemorySegment hook(Arena arena, int ifindex, int attachPoint) {
        MemorySegment hook = arena.allocate(HOOK_SIZE, 8);
        hook.set(ValueLayout.JAVA_LONG, 0, HOOK_SIZE);
        hook.set(ValueLayout.JAVA_INT, 8, ifindex);
        hook.set(ValueLayout.JAVA_INT, 12, attachPoint);
        return hook;
    }

    /** A {@code struct bpf_tc_opts} with the filter's handle and priority (0 and 0: the kernel chooses). */
    static MemorySegment opts(Arena arena, int handle, int priority) {
        MemorySegment opts = arena.allocate(OPTS_SIZE, 8);
        opts.set(ValueLayout.JAVA_LONG, 0, OPTS_SIZE);
        opts.set(ValueLayout.JAVA_INT, 20, handle);
        opts.set(ValueLayout.JAVA_INT, 24, priority);
        return opts;
    }
}
