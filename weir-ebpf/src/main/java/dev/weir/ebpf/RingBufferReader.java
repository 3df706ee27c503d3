package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Reads records from a {@code BPF_MAP_TYPE_RINGBUF} through libbpf's {@code ring_buffer}. Records are
 * delivered to the consumer on the thread that calls {@link #poll} or {@link #drain}, as a segment valid
 * only during the callback (copy what you keep).
 *
 * <p>Owns the libbpf ring buffer and the upcall stub; {@link #close()} frees both. The map must stay
 * open while the reader is. Use from one thread at a time. An exception thrown by the consumer stops
 * the current poll and is rethrown from it.
 */
public final class RingBufferReader implements AutoCloseable {

    private static final MethodHandle SAMPLE;

    static {
        try {
            SAMPLE = MethodHandles.lookup().findVirtual(RingBufferReader.class, "sample",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final Consumer<MemorySegment> onRecord;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ringBuffer;
    private RuntimeException failure;

    private RingBufferReader(BpfMap<?, ?> map, Consumer<MemorySegment> onRecord) {
        this.name = map.name();
        this.onRecord = onRecord;
        try {
            MemorySegment stub = Native.LINKER.upcallStub(SAMPLE.bindTo(this),
                    FunctionDescriptor.of(Native.I, Native.P, Native.P, Native.L), arena);
            MemorySegment capture = Native.allocateCapture(arena);
            MemorySegment rb = LibBpfNet.ringBufferNew(capture, map.fd().get(), stub, MemorySegment.NULL);
            if (rb.equals(MemorySegment.NULL)) {
                throw new BpfKernelException("ring_buffer__new", name, Native.errno(capture));
            }
            this.ringBuffer = rb;
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Opens a reader on a ring buffer map.
     *
     * @throws IllegalArgumentException when the map is not a RINGBUF
     * @throws BpfKernelException       when libbpf cannot map the buffer
     */
    public static RingBufferReader open(BpfMap<?, ?> ringbuf, Consumer<MemorySegment> onRecord) {
        if (ringbuf.type() != MapType.RINGBUF) {
            throw new IllegalArgumentException("map " + ringbuf.name() + " is a " + ringbuf.type() + ", not a RINGBUF");
        }
        return new RingBufferReader(ringbuf, onRecord);
    }

    /** Waits up to {@code timeout} for records and delivers them; returns how many were delivered. */
    public int poll(Duration timeout) {
        int rc = LibBpfNet.ringBufferPoll(ringBuffer, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        return finish(rc, "ring_buffer__poll");
    }

    /** Delivers every record available now, without waiting; returns how many. */
    public int drain() {
        return finish(LibBpfNet.ringBufferConsume(ringBuffer), "ring_buffer__consume");
    }

    private int finish(int rc, String operation) {
        RuntimeException f = failure;
        if (f != null) {
            failure = null;
            throw f;
        }
        if (rc == -Errno.EINTR.code()) {
            return 0;
        }
        return Native.check(rc, operation, name);
    }

    /** The upcall: never throws into native code. */
    private int sample(MemorySegment ctx, MemorySegment data, long size) {
        try {
            onRecord.accept(data.reinterpret(size));
            return 0;
        } catch (Throwable t) {
            failure = t instanceof RuntimeException r ? r : new IllegalStateException("ring buffer consumer failed", t);
            return -1;
        }
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            LibBpfNet.ringBufferFree(ringBuffer);
            arena.close();
        }
    }
}
