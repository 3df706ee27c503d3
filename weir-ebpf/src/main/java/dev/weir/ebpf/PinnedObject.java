package dev.weir.ebpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What is pinned at a bpffs path: the object's kind and kernel id, read from the fd's
 * {@code /proc/self/fdinfo} entry (which names {@code map_id}, {@code prog_id} or {@code link_id}).
 *
 * @param kind "map", "prog" or "link"
 * @param id   the kernel id
 */
public record PinnedObject(String kind, int id) {

    /**
     * Inspects a pin; empty when the path holds no BPF object or cannot be opened.
     */
    public static Optional<PinnedObject> inspect(Path pin) {
        Fd fd;
        try {
            fd = Pins.open(pin);
        } catch (BpfKernelException e) {
            return Optional.empty();
        }
        try (fd) {
            String info = Files.readString(Path.of("/proc/self/fdinfo/" + fd.get()));
            for (String line : info.split("\n")) {
                for (String kind : new String[] {"link", "map", "prog"}) {
                    if (line.startsWith(kind + "_id:")) {
                        return Optional.of(new PinnedObject(kind, Integer.parseInt(line.substring(kind.length() + 4).strip())));
                    }
                }
            }
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
