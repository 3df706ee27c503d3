package dev.weir.lab.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Command lines come whole from /proc, also past the 4 KiB that ProcessHandle.Info reads. */
class ProcessesTest {

    @Test
    void longCommandLinesAreReadWhole() throws Exception {
        String classPath = "/x/".repeat(2000);
        Process p = new ProcessBuilder("bash", "-c", "sleep 30; true", "zero", classPath, "", "--node", "node1").start();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (Processes.arguments(p.pid()).map(List::size).orElse(0) < 7 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(Processes.arguments(p.pid())).hasValueSatisfying(a -> assertThat(a)
                    .containsExactly("bash", "-c", "sleep 30; true", "zero", classPath, "", "--node", "node1"));
            assertThat(Processes.commandLine(p.pid())).endsWith(classPath + "  --node node1").startsWith("bash -c ");
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertThat(Processes.arguments(p.pid())).isEmpty();
        assertThat(Processes.commandLine(p.pid())).isEmpty();
    }
}
