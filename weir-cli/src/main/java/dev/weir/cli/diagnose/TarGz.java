package dev.weir.cli.diagnose;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a gzip-compressed POSIX ustar archive of regular files, entry by entry (what {@code tar tzf} and
 * {@code tar xzf} read). Owns the stream it wraps; not thread-safe.
 */
final class TarGz implements AutoCloseable {

    private static final int BLOCK = 512;

    private final GZIPOutputStream out;
    private final long mtime;

    /** @param mtimeSeconds every entry's modification time (seconds since the epoch) */
    TarGz(OutputStream target, long mtimeSeconds) throws IOException {
        this.out = new GZIPOutputStream(target);
        this.mtime = mtimeSeconds;
    }

    /**
     * Adds a file (mode 0644).
     *
     * @throws IllegalArgumentException when the name does not fit ustar's 100 + 155 bytes
     */
    void add(String name, byte[] content) throws IOException {
        out.write(header(name, content.length));
        out.write(content);
        int pad = (BLOCK - content.length % BLOCK) % BLOCK;
        out.write(new byte[pad]);
    }

    void add(String name, String content) throws IOException {
        add(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] header(String name, long size) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        String prefix = "";
        String rest = name;
        if (n.length > 100) {
            int slash = name.lastIndexOf('/', 155);
            if (slash <= 0 || name.substring(slash + 1).getBytes(StandardCharsets.UTF_8).length > 100) {
                throw new IllegalArgumentException("name too long for a tar entry: " + name);
            }
            prefix = name.substring(0, slash);
            rest = name.substring(slash + 1);
        }
        put(h, 0, rest);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", mtime));
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        put(h, 265, "root");
        put(h, 297, "root");
        put(h, 345, prefix);
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, at, b.length);
    }

    /** Two zero blocks end the archive; then the gzip trailer. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.close();
    }
}
