package dev.weir.agent.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The agent's log: timestamped lines appended to a file (and echoed to a stream, e.g. stderr when run in
 * a terminal). Owns the file from construction to {@link #close}. Thread-safe.
 */
public final class AgentLog implements Consumer<String>, AutoCloseable {

    private final PrintStream file;
    private final PrintStream echo;

    /** @param echo also written there; null for none */
    public AgentLog(Path path, PrintStream echo) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        this.file = new PrintStream(Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                true, StandardCharsets.UTF_8);
        this.echo = echo;
    }

    @Override
    public synchronized void accept(String message) {
        String line = Instant.now() + " " + message;
        file.println(line);
        if (echo != null) {
            echo.println(line);
        }
    }

    @Override
    public synchronized void close() {
        file.close();
    }
}
