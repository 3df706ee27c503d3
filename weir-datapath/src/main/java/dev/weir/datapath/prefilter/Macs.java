package dev.weir.datapath.prefilter;

import java.util.HexFormat;

/** Ethernet addresses as 6 bytes and as text ({@code 02:00:00:00:00:01}). */
public final class Macs {

    private static final HexFormat COLONS = HexFormat.ofDelimiter(":");

    private Macs() {
    }

    public static String text(byte[] mac) {
        return COLONS.formatHex(mac);
    }

    /** @throws IllegalArgumentException unless {@code text} is six colon-separated hex bytes */
    public static byte[] parse(String text) {
        byte[] mac;
        try {
            mac = COLONS.parseHex(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("MAC address '" + text + "': " + e.getMessage(), e);
        }
        if (mac.length != 6) {
            throw new IllegalArgumentException("MAC address '" + text + "': 6 bytes expected, got " + mac.length);
        }
        return mac;
    }
}
