package dev.weir.agent.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An IPv4 or IPv6 prefix: network address (host bits cleared) and length. Immutable; ordered so that a
 * prefix sorts before every prefix it contains ({@link #compareTo}).
 *
 * @param address 4 or 16 bytes, network order, host bits zero
 * @param length  prefix length, 0..32 or 0..128
 */
public record Cidr(byte[] address, int length) implements Comparable<Cidr> {

    public Cidr {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, not " + address.length);
        }
        if (length < 0 || length > address.length * 8) {
            throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + address.length * 8);
        }
        address = mask(address.clone(), length);
    }

    /**
     * Parses {@code 203.0.113.0/24}, {@code 2001:db8::/32}, or a bare address (a /32 or /128). Host bits
     * are cleared, as iptables does ({@code 10.1.2.3/8} means {@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = parseAddress(addr, text);
        int len = bytes.length * 8;
        if (slash >= 0) {
            String lenText = s.substring(slash + 1);
            if (!lenText.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("invalid CIDR '" + text + "': prefix length '" + lenText + "' is not a number");
            }
            len = Integer.parseInt(lenText);
            if (len > bytes.length * 8) {
                throw new IllegalArgumentException("invalid CIDR '" + text + "': prefix length " + len
                        + " exceeds " + bytes.length * 8 + " for IPv" + (bytes.length == 4 ? 4 : 6));
            }
        }
        return new Cidr(bytes, len);
    }

    /** Parses an IP literal (no host names) into 4 or 16 bytes. */
    public static byte[] parseAddress(String addr, String context) {
        byte[] quad = plainIpv4(addr);
        if (quad != null) {
            return quad;
        }
        boolean v4 = IPV4.matcher(addr).matches();
        boolean v6 = addr.contains(":") && IPV6_CHARS.matcher(addr).matches();
        if (!v4 && !v6) {
            throw new IllegalArgumentException("invalid address '" + context + "': not an IPv4 or IPv6 literal");
        }
        if (v4) {
            for (String part : addr.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException("invalid address '" + context + "': octet " + part + " > 255");
                }
            }
        }
        try {
            byte[] bytes = InetAddress.getByName(addr).getAddress();
            if (v6 && bytes.length == 4) {
                // ::ffff:a.b.c.d is returned as IPv4 by the JDK; keep the family the user wrote
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(bytes, 0, mapped, 12, 4);
                return mapped;
            }
            return bytes;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid address '" + context + "': " + e.getMessage());
        }
    }

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final java.util.regex.Pattern IPV6_CHARS = java.util.regex.Pattern.compile("[0-9a-fA-F:.]+");

    /**
     * The bytes of a dotted quad of decimal octets 0-255 without leading zeros (what every address of a Service or
     * EndpointSlice is, and the one text form of each IPv4 address), read without a regex or {@link InetAddress};
     * null for anything else, which {@link #parseAddress} sends down the general path (and its errors).
     */
    public static byte[] plainIpv4(String addr) {
        byte[] out = new byte[4];
        int octet = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i < addr.length(); i++) {
            char c = addr.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    return null; // a leading zero
                }
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return null;
                }
            } else if (c == '.' && digits > 0 && octet < 3) {
                out[octet++] = (byte) value;
                value = 0;
                digits = 0;
            } else {
                return null;
            }
        }
        if (octet != 3 || digits == 0) {
            return null;
        }
        out[3] = (byte) value;
        return out;
    }

    public boolean isIpv4() {
        return address.length == 4;
    }

    public int family() {
        return isIpv4() ? 4 : 6;
    }

    /** True when this prefix contains the other (same family, shorter or equal, same leading bits). */
    public boolean contains(Cidr other) {
        if (other.address.length != address.length || other.length < length) {
            return false;
        }
        return Arrays.equals(address, mask(other.address.clone(), length));
    }

    /** True when the address (4 or 16 bytes) lies in this prefix. */
    public boolean containsAddress(byte[] ip) {
        return ip.length == address.length && Arrays.equals(address, mask(ip.clone(), length));
    }

    public byte[] address() {
        return address.clone();
    }

    @Override
    public int compareTo(Cidr o) {
        if (address.length != o.address.length) {
            return Integer.compare(address.length, o.address.length);
        }
        int c = Arrays.compareUnsigned(address, o.address);
        return c != 0 ? c : Integer.compare(length, o.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && length == c.length && Arrays.equals(address, c.address);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(address) + length;
    }

    @Override
    public String toString() {
        try {
            String a = InetAddress.getByAddress(address).getHostAddress();
            if (!isIpv4()) {
                a = compress(address);
            }
            return a + "/" + length;
        } catch (UnknownHostException e) {
            return HexFormat.of().formatHex(address) + "/" + length;
        }
    }

    private static byte[] mask(byte[] a, int len) {
        for (int i = 0; i < a.length; i++) {
            int bits = Math.max(0, Math.min(8, len - i * 8));
            a[i] &= (byte) (0xff << (8 - bits));
        }
        return a;
    }

    /** RFC 5952 text for an IPv6 address: lower case, longest run of zero groups as "::". */
    static String compress(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = Math.max(j, i + 1);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
