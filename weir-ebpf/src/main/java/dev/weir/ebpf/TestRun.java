package dev.weir.ebpf;

/**
 * One {@code BPF_PROG_TEST_RUN} request: a packet in, run {@code repeat} times, up to {@code dataOut}
 * bytes of packet out. Immutable; {@code TestRun.of(packet).repeat(1000).dataOut(2048)}.
 */
public record TestRun(byte[] packet, int repeat, int dataOut) {

    private static final int HEADROOM = 512;

    public TestRun {
        packet = packet.clone();
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be at least 1: " + repeat);
        }
    }

    /** Runs once with room for the packet plus {@value #HEADROOM} bytes out. */
    public static TestRun of(byte[] packet) {
        return new TestRun(packet, 1, packet.length + HEADROOM);
    }

    public TestRun repeat(int n) {
        return new TestRun(packet, n, dataOut);
    }

    public TestRun dataOut(int size) {
        return new TestRun(packet, repeat, size);
    }

    @Override
    public byte[] packet() {
        return packet.clone();
    }

    /**
     * What the run returned.
     *
     * @param retval     the program's return value (e.g. an XDP action)
     * @param dataOut    the packet as the program left it
     * @param durationNs average nanoseconds per run, as the kernel measured it
     */
    public record Result(int retval, byte[] dataOut, long durationNs) {
        public Result {
            dataOut = dataOut.clone();
        }

        @Override
        public byte[] dataOut() {
            return dataOut.clone();
        }
    }
}
