package dev.weir.ebpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The descriptor and pin of one kernel {@code bpf_link}, shared by the link classes. */
final class LinkHandle {

    private final Fd fd;
    private final int id;
    private volatile Path pin;

    LinkHandle(Fd fd, int id, Path pin) {
        this.fd = fd;
        this.id = id;
        this.pin = pin;
    }

    static LinkHandle create(int rc, String operation, String object) {
        Fd fd = Fd.check(rc, operation, object);
        try {
            return new LinkHandle(fd, Infos.link(fd, object).id(), null);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    int id() {
        return id;
    }

    LinkInfo info() {
        return Infos.link(fd, "link " + id);
    }

    void pin(Path path) {
        Pins.pin(fd, path, "link " + id);
        pin = path;
    }

    void unpin() {
        Path p = pin;
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
            pin = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove pin " + p, e);
        }
    }

    void close() {
        fd.close();
    }
}
