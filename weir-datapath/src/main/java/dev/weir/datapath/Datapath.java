package dev.weir.datapath;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The compiled BPF objects embedded in this jar ({@code bpf/*.c}, built by clang during the Maven
 * build into {@code dev/weir/datapath/bpf/NAME.o}).
 *
 * <p>Stateless; every call reads the resource afresh and returns a new array the caller owns.
 */
public final class Datapath {

    /** Classpath folder holding the objects. */
    public static final String RESOURCE_DIR = "dev/weir/datapath/bpf/";

    private Datapath() {
    }

    /**
     * The ELF bytes of object {@code name} (without {@code .o}), e.g. {@code "xdp_prefilter"}.
     *
     * @throws IllegalArgumentException when the jar holds no such object
     * @throws UncheckedIOException when the resource cannot be read
     */
    public static byte[] object(String name) {
        String path = RESOURCE_DIR + name + ".o";
        ClassLoader loader = Datapath.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no BPF object " + name + " (resource " + path + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }
}
