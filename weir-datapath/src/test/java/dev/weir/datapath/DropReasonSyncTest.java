package dev.weir.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** DropReason and bpf/lib/drop_reasons.h name the same codes. */
class DropReasonSyncTest {

    static final Path HEADER = Path.of("..", "bpf", "lib", "drop_reasons.h");
    private static final Pattern ENTRY = Pattern.compile("^\\s*REASON_([A-Z0-9_]+)\\s*=\\s*(\\d+)\\s*,", Pattern.MULTILINE);

    static Map<String, Integer> headerCodes() throws IOException {
        Map<String, Integer> codes = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(Files.readString(HEADER));
        while (m.find()) {
            codes.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return codes;
    }

    @Test
    void enumMatchesHeader() throws IOException {
        Map<String, Integer> header = headerCodes();
        Map<String, Integer> java = Arrays.stream(DropReason.values())
                .collect(Collectors.toMap(Enum::name, DropReason::code, (a, b) -> a, LinkedHashMap::new));
        assertThat(header).hasSizeGreaterThan(15);
        assertThat(java).containsExactlyEntriesOf(header);
    }

    @Test
    void headerKeepsTheBoundaries() throws IOException {
        assertThat(Files.readString(HEADER))
                .containsPattern("#define REASON_FIRST_DROP\\s+" + DropReason.FIRST_DROP)
                .containsPattern("#define REASON_MAX\\s+" + DropReason.MAX);
    }

    @Test
    void classification() {
        for (DropReason r : DropReason.values()) {
            assertThat(r.isDrop()).as(r.name()).isEqualTo(r.name().startsWith("DROP_"));
            assertThat(r.isVerdict()).as(r.name()).isEqualTo(!r.name().startsWith("EVENTS_"));
            assertThat(DropReason.of(r.code())).isSameAs(r);
            assertThat(r.description()).isNotBlank();
        }
        assertThat(DropReason.EVENTS_LOST.code()).isEqualTo(250);
        assertThat(DropReason.EVENTS_SENT.code()).isEqualTo(251);
    }

    @Test
    void unknownCodes() {
        assertThat(DropReason.find(200)).isEmpty();
        assertThat(DropReason.find(-1)).isEmpty();
        assertThat(DropReason.find(1000)).isEmpty();
        assertThat(DropReason.describe(200)).isEqualTo("Unknown reason 200");
        assertThatThrownBy(() -> DropReason.of(200)).isInstanceOf(IllegalArgumentException.class);
    }
}
