package dev.weir.agent.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The agent's pid file: written on start (refusing when a live agent already owns it), removed on stop
 * when it still names this process. {@code lab down} reads it to find the agent. Thread-safe.
 */
public final class PidFile implements Component {

    private final Path file;

    public PidFile(Path file) {
        this.file = file;
    }

    @Override
    public String name() {
        return "pid-file(" + file + ")";
    }

    @Override
    public void start() throws IOException {
        Optional<Long> other = read(file);
        if (other.isPresent() && other.get() != ProcessHandle.current().pid()
                && ProcessHandle.of(other.get()).map(ProcessHandle::isAlive).orElse(false)) {
            throw new IOException("an agent is already running for this node (pid " + other.get() + ", " + file + ")");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, ProcessHandle.current().pid() + "\n");
    }

    @Override
    public void stop() {
        try {
            if (read(file).orElse(-1L) == ProcessHandle.current().pid()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // the lab's teardown removes the run directory anyway
        }
    }

    /** The pid a pid file names, if it exists and holds a number. */
    public static Optional<Long> read(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
