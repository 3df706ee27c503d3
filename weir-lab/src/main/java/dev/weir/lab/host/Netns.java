package dev.weir.lab.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import dev.weir.lab.model.LabNames;

/** Named network namespaces under /run/netns, created and deleted with {@code ip netns}. Stateless. */
public final class Netns {

    private static final Path DIR = Path.of("/run/netns");

    private Netns() {
    }

    public static Path file(String name) {
        return DIR.resolve(name);
    }

    /** Every namespace whose name the lab uses ({@link LabNames#isLabNetns}), sorted. */
    public static List<String> labNamespaces() {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(LabNames::isLabNetns).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Creates the namespaces in one {@code ip -batch}. */
    public static void add(List<String> names) {
        Shell.ipBatch(null, names.stream().map(n -> "netns add " + n).toList());
    }

    /** Deletes the namespaces that exist, ignoring the others. */
    public static void delete(List<String> names) {
        if (!names.isEmpty()) {
            Shell.ipBatchForce(names.stream().map(n -> "netns del " + n).toList());
        }
    }

    /** The pids of processes in the namespace ({@code ip netns pids}). */
    public static List<Long> pids(String name) {
        Shell.Result r = Shell.exec(List.of("ip", "netns", "pids", name), null);
        return Arrays.stream(r.stdout().split("\\s+")).filter(s -> !s.isBlank()).map(Long::parseLong).toList();
    }

    /** Sets sysctls inside the namespace with {@code nsenter --net=… sysctl -q -w k=v …}. */
    public static void sysctl(String name, List<String> settings) {
        String[] command = Stream.concat(
                Stream.of("nsenter", "--net=" + file(name), "sysctl", "-q", "-w"), settings.stream())
                .toArray(String[]::new);
        Shell.run(command);
    }
}
