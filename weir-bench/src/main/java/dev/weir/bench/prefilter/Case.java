package dev.weir.bench.prefilter;

import dev.weir.ebpf.BpfProgram;

/**
 * One measured combination: a program, the packet it is run on, and the XDP action it must return
 * (1 = XDP_DROP, 2 = XDP_PASS). Every run checks the action, so a fill or parsing mistake fails the
 * benchmark instead of timing the wrong path.
 *
 * @param key      stable identifier, used in JSON (e.g. {@code d1k.weir.matched})
 * @param program  the program, owned by a fixture
 * @param packet   the frame
 * @param expected the XDP action every run must return
 */
record Case(String key, BpfProgram program, byte[] packet, int expected) {

    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;

    Case {
        packet = packet.clone();
    }

    @Override
    public byte[] packet() {
        return packet.clone();
    }

    static String action(int xdpAction) {
        return switch (xdpAction) {
            case 0 -> "XDP_ABORTED";
            case XDP_DROP -> "XDP_DROP";
            case XDP_PASS -> "XDP_PASS";
            case 3 -> "XDP_TX";
            case 4 -> "XDP_REDIRECT";
            default -> "action " + xdpAction;
        };
    }
}
