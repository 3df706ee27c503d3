package dev.weir.cli.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.UserError;
import dev.weir.testkit.Requirements;

/** The pcapng writer and reader: block layout, padding, interfaces, comments, nanosecond times; tcpdump reads it. */
class PcapngTest {

    static final Instant T0 = Instant.parse("2026-12-06T10:00:00.123456789Z");

    @TempDir
    Path tmp;

    /** An Ethernet/IPv4/UDP frame 10.0.0.1:1234 -> 10.0.0.2:80 with {@code payload} bytes of 'x'. */
    static byte[] udpFrame(int payload) {
        ByteBuffer b = ByteBuffer.allocate(42 + payload).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (28 + payload)).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 1234).putShort((short) 80).putShort((short) (8 + payload)).putShort((short) 0);
        byte[] x = new byte[payload];
        Arrays.fill(x, (byte) 'x');
        b.put(x);
        return b.array();
    }

    Path write(Path file) throws IOException {
        try (Pcapng w = new Pcapng(Files.newOutputStream(file), "weir capture")) {
            w.packet("node1/if7", T0, 45, Arrays.copyOf(udpFrame(3), 42), "node=node1 hook=tc/weir_to_ep verdict=DROPPED reason=DROP_POLICY(142)");
            w.packet("node2/if3", T0.plusNanos(1), 45, udpFrame(3), "odd");
            w.packet("node1/if7", T0.plusSeconds(1), 45, udpFrame(3), "");
            assertThat(w.size()).isEqualTo(Files.size(file));
        }
        return file;
    }

    @Test
    void packetsComeBackWithInterfaceTimeLengthsAndComment() throws IOException {
        List<Pcapng.Packet> packets = Pcapng.read(write(tmp.resolve("a.pcapng")));
        assertThat(packets).hasSize(3);
        Pcapng.Packet p = packets.get(0);
        assertThat(p.iface()).isEqualTo("node1/if7");
        assertThat(p.time()).isEqualTo(T0);
        assertThat(p.originalLength()).isEqualTo(45);
        assertThat(p.data()).isEqualTo(Arrays.copyOf(udpFrame(3), 42));
        assertThat(p.comment()).isEqualTo("node=node1 hook=tc/weir_to_ep verdict=DROPPED reason=DROP_POLICY(142)");
        assertThat(packets.get(1).iface()).isEqualTo("node2/if3");
        assertThat(packets.get(1).time()).isEqualTo(T0.plusNanos(1));
        assertThat(packets.get(1).data()).hasSize(45);
        assertThat(packets.get(2).iface()).isEqualTo("node1/if7");
        assertThat(packets.get(2).comment()).isEmpty();
    }

    @Test
    void blocksAreWholeWordsWithTheirLengthAtBothEnds() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(write(tmp.resolve("b.pcapng")))).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(Pcapng.SHB);
        assertThat(b.getInt(8)).isEqualTo(Pcapng.BYTE_ORDER_MAGIC);
        int types = 0;
        StringBuilder seen = new StringBuilder();
        for (int at = 0; at < b.limit(); ) {
            int len = b.getInt(at + 4);
            assertThat(len % 4).isZero();
            assertThat(b.getInt(at + len - 4)).as("trailing length of block at %d", at).isEqualTo(len);
            seen.append(b.getInt(at)).append(' ');
            at += len;
            types++;
        }
        assertThat(types).isEqualTo(6);
        assertThat(seen.toString().strip()).isEqualTo(Pcapng.SHB + " 1 6 1 6 6");
    }

    @Test
    void sizeOfIsWhatAPacketWrites() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Pcapng w = new Pcapng(bytes, "weir capture")) {
            long before = w.size();
            long predicted = w.sizeOf("node1/if7", 43, "a comment");
            w.packet("node1/if7", T0, 43, udpFrame(1), "a comment");
            assertThat(w.size() - before).isEqualTo(predicted);
            predicted = w.sizeOf("node1/if7", 45, "");
            w.packet("node1/if7", T0, 45, udpFrame(3), "");
            assertThat(bytes.size()).isEqualTo(w.size());
            assertThat(predicted).isEqualTo(12 + 20 + 48 + 4 + 4);
        }
    }

    @Test
    void aFileThatIsNotPcapngOrCutShortIsRefused() throws IOException {
        Path junk = Files.writeString(tmp.resolve("junk"), "not a capture, not at all");
        assertThatThrownBy(() -> Pcapng.read(junk)).hasMessageContaining("not a little-endian pcapng file");
        byte[] whole = Files.readAllBytes(write(tmp.resolve("c.pcapng")));
        Path cut = Files.write(tmp.resolve("cut.pcapng"), Arrays.copyOf(whole, whole.length - 5));
        assertThatThrownBy(() -> Pcapng.read(cut)).hasMessageContaining("cut short");
    }

    @Test
    void readListsEachPacketWithItsCommentAndAddresses() throws IOException {
        StringWriter s = new StringWriter();
        CaptureCommand.list(write(tmp.resolve("d.pcapng")), new PrintWriter(s));
        assertThat(s.toString().lines()).hasSize(3).first().asString()
                .contains("node1/if7 node=node1 hook=tc/weir_to_ep verdict=DROPPED reason=DROP_POLICY(142) UDP 10.0.0.1:1234 -> 10.0.0.2:80 caplen 42 len 45");
        assertThatThrownBy(() -> CaptureCommand.list(tmp.resolve("missing"), new PrintWriter(s))).isInstanceOf(UserError.class);
    }

    @Test
    void tcpdumpReadsTheFile() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/tcpdump")) || Files.isExecutable(Path.of("/usr/sbin/tcpdump")),
                "tcpdump is not installed (scripts/setup.sh installs it)");
        Path file = write(tmp.resolve("e.pcapng"));
        Process p = new ProcessBuilder("tcpdump", "-nn", "-tt", "-r", file.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(out.lines()).hasSize(3).allSatisfy(l -> assertThat(l).contains("IP 10.0.0.1.1234 > 10.0.0.2.80: UDP, length 3"));
        assertThat(out.lines().findFirst().orElseThrow()).startsWith("1796551200.123456");
    }

    @Test
    void limitsParse() {
        assertThat(CaptureCommand.size("64M")).isEqualTo(64L << 20);
        assertThat(CaptureCommand.size("4096")).isEqualTo(4096);
        assertThat(CaptureCommand.duration("500ms").toMillis()).isEqualTo(500);
        assertThat(CaptureCommand.duration("2m").toSeconds()).isEqualTo(120);
        assertThatThrownBy(() -> CaptureCommand.size("12")).hasMessageContaining("at least 1K");
        assertThatThrownBy(() -> CaptureCommand.size("lots")).hasMessageContaining("--max-bytes lots");
        assertThatThrownBy(() -> CaptureCommand.duration("0s")).hasMessageContaining("more than 0");
        assertThatThrownBy(() -> CaptureCommand.duration("soon")).hasMessageContaining("--duration soon");
    }
}
