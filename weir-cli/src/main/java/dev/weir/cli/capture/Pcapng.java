package dev.weir.cli.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * pcapng (the IETF draft's format, which {@code tcpdump -r}, Wireshark and tshark read): a section header,
 * one interface description per interface (Ethernet, nanosecond timestamps, named), and one enhanced packet
 * block per packet whose {@code opt_comment} carries what weir knows of it (hook, verdict, reason). Written
 * little-endian; read back by {@link #read}. Not thread-safe.
 */
public final class Pcapng implements AutoCloseable {

    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 0x00000001;
    static final int EPB = 0x00000006;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int LINKTYPE_ETHERNET = 1;
    private static final short OPT_END = 0;
    private static final short OPT_COMMENT = 1;
    private static final short SHB_USERAPPL = 4;
    private static final short IF_NAME = 2;
    private static final short IF_TSRESOL = 9;

    private final OutputStream out;
    private final Map<String, Integer> interfaces = new HashMap<>();
    private long written;

    /** Writes the section header to {@code out}, which this writer then owns. */
    public Pcapng(OutputStream out, String application) throws IOException {
        this.out = out;
        Block b = new Block(SHB);
        b.body.putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L);
        b.option(SHB_USERAPPL, application.getBytes(StandardCharsets.UTF_8)).end();
        write(b);
    }

    /** One packet of the interface named {@code iface} (described at its first packet). */
    public void packet(String iface, Instant time, int originalLength, byte[] data, String comment) throws IOException {
        Integer id = interfaces.get(iface);
        if (id == null) {
            id = interfaces.size();
            Block d = new Block(IDB);
            d.body.putShort((short) LINKTYPE_ETHERNET).putShort((short) 0).putInt(0);
            d.option(IF_NAME, iface.getBytes(StandardCharsets.UTF_8)).option(IF_TSRESOL, new byte[] {9}).end();
            write(d);
            interfaces.put(iface, id);
        }
        long ns = time.getEpochSecond() * 1_000_000_000L + time.getNano();
        Block p = new Block(EPB);
        p.body.putInt(id).putInt((int) (ns >>> 32)).putInt((int) ns).putInt(data.length)
                .putInt(Math.max(originalLength, data.length));
        p.padded(data);
        p.option(OPT_COMMENT, comment.getBytes(StandardCharsets.UTF_8)).end();
        write(p);
    }

    /** Bytes {@link #packet} would write for this packet now (with its interface's description when new). */
    public long sizeOf(String iface, int dataLength, String comment) {
        long idb = interfaces.containsKey(iface) ? 0 : 12 + 8 + 4 + padded(iface.getBytes(StandardCharsets.UTF_8).length) + 8 + 4;
        return idb + 12 + 20 + padded(dataLength) + 4 + padded(comment.getBytes(StandardCharsets.UTF_8).length) + 4;
    }

    private static int padded(int n) {
        return n + pad(n);
    }

    /** Bytes written so far. */
    public long size() {
        return written;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private void write(Block b) throws IOException {
        byte[] bytes = b.bytes();
        out.write(bytes); // one write per block: a file cut short ends on a whole block
        out.flush();
        written += bytes.length;
    }

    /** One packet read back. */
    public record Packet(String iface, Instant time, int originalLength, byte[] data, String comment) {
    }

    /**
     * Reads every packet of a pcapng file written by this class or another little-endian writer (Ethernet
     * or not; blocks other than IDB and EPB are skipped).
     *
     * @throws IOException when the file is not pcapng or is cut inside a block
     */
    public static List<Packet> read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 28 || in.getInt(0) != SHB || in.getInt(8) != BYTE_ORDER_MAGIC) {
            throw new IOException(file + ": not a little-endian pcapng file");
        }
        List<String> names = new ArrayList<>();
        List<Integer> resolutions = new ArrayList<>();
        List<Packet> packets = new ArrayList<>();
        while (in.remaining() >= 12) {
            int start = in.position();
            int type = in.getInt();
            int len = in.getInt();
            if (len < 12 || len % 4 != 0 || start + len > in.limit()) {
                throw new IOException(file + ": block at byte " + start + " is cut short or malformed");
            }
            ByteBuffer body = in.slice(start + 8, len - 12).order(ByteOrder.LITTLE_ENDIAN);
            if (type == IDB) {
                Map<Integer, byte[]> opts = options(body.position(8));
                names.add(opts.containsKey((int) IF_NAME) ? new String(opts.get((int) IF_NAME), StandardCharsets.UTF_8)
                        : "if" + names.size());
                resolutions.add(opts.containsKey((int) IF_TSRESOL) ? opts.get((int) IF_TSRESOL)[0] & 0xff : 6);
            } else if (type == EPB) {
                packets.add(packet(body, names, resolutions, file));
            }
            in.position(start + len);
        }
        return packets;
    }

    private static Packet packet(ByteBuffer b, List<String> names, List<Integer> resolutions, Path file) throws IOException {
        int id = b.getInt();
        if (id >= names.size()) {
            throw new IOException(file + ": packet of undescribed interface " + id);
        }
        long ts = (b.getInt() & 0xffffffffL) << 32 | (b.getInt() & 0xffffffffL);
        int caplen = b.getInt();
        int orig = b.getInt();
        byte[] data = new byte[caplen];
        b.get(data);
        b.position(b.position() + pad(caplen));
        byte[] comment = options(b).get((int) OPT_COMMENT);
        long perSecond = resolutions.get(id) == 9 ? 1_000_000_000L : 1_000_000L;
        Instant t = Instant.ofEpochSecond(ts / perSecond, (ts % perSecond) * (1_000_000_000L / perSecond));
        return new Packet(names.get(id), t, orig, data, comment == null ? "" : new String(comment, StandardCharsets.UTF_8));
    }

    private static Map<Integer, byte[]> options(ByteBuffer b) {
        Map<Integer, byte[]> out = new HashMap<>();
        while (b.remaining() >= 4) {
            int code = b.getShort() & 0xffff;
            int len = b.getShort() & 0xffff;
            if (code == OPT_END || len > b.remaining()) {
                break;
            }
            byte[] v = new byte[len];
            b.get(v);
            b.position(Math.min(b.limit(), b.position() + pad(len)));
            out.putIfAbsent(code, v);
        }
        return out;
    }

    private static int pad(int n) {
        return (4 - n % 4) % 4;
    }

    /** A block being built: type, body, and the total length at both ends. */
    private static final class Block {
        private final int type;
        final ByteBuffer body = ByteBuffer.allocate(1 << 14).order(ByteOrder.LITTLE_ENDIAN);

        Block(int type) {
            this.type = type;
        }

        Block option(short code, byte[] value) {
            body.putShort(code).putShort((short) value.length);
            padded(value);
            return this;
        }

        void padded(byte[] value) {
            body.put(value).put(new byte[pad(value.length)]);
        }

        void end() {
            body.putShort(OPT_END).putShort((short) 0);
        }

        byte[] bytes() {
            int len = body.position() + 12;
            ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(type).putInt(len).put(body.array(), 0, body.position()).putInt(len);
            return b.array();
        }
    }
}
