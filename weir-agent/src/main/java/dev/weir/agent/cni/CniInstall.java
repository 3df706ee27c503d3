package dev.weir.agent.cni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Installs weir-cni as the CNI conventions expect: the plugin {@code <bin-dir>/weir-cni} (a two-line script that
 * runs the relay {@code <bin-dir>/weir-cni-relay} with the node agent's CNI socket) and the network configuration
 * list {@code <conf-dir>/05-weir.conflist}. Files are replaced atomically, so a runtime never runs half a plugin.
 * Stateless.
 */
public final class CniInstall {

    public static final String PLUGIN = "weir-cni";
    public static final String RELAY = "weir-cni-relay";
    public static final String CONFLIST = "05-weir.conflist";
    public static final String NETWORK = "weir";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** What was written, for the operator. */
    public record Installed(List<Path> files) {
    }

    private CniInstall() {
    }

    /**
     * Writes the plugin and its relay to {@code binDir}, and the conflist to {@code confDir} when not null.
     *
     * @param socket the node agent's CNI socket ({@code /run/weir/<node>/cni.sock})
     * @param mtu    the pods' MTU for the conflist, or null for the kernel's default
     * @throws IOException when a file cannot be written
     */
    public static Installed install(Path binDir, Path confDir, Path socket, Integer mtu) throws IOException {
        if (socket.toString().contains("'") || socket.toString().length() > 100) {
            throw new IllegalArgumentException("the agent socket path must be shorter than 100 characters, without quotes: " + socket);
        }
        List<Path> files = new ArrayList<>();
        Files.createDirectories(binDir);
        Path relay = binDir.resolve(RELAY);
        try (InputStream in = CniInstall.class.getResourceAsStream(RELAY)) {
            if (in == null) {
                throw new IOException("the relay is missing from weir's jar (the build compiles weir-cni/weir-cni.c)");
            }
            write(relay, in.readAllBytes(), true);
        }
        files.add(relay);
        Path plugin = binDir.resolve(PLUGIN);
        write(plugin, ("#!/bin/sh\n# weir-cni, written by weir install-cni: the node's weir agent does the work\nexec '"
                + relay.toAbsolutePath() + "' '" + socket + "'\n").getBytes(StandardCharsets.UTF_8), true);
        files.add(plugin);
        if (confDir != null) {
            Files.createDirectories(confDir);
            Path conflist = confDir.resolve(CONFLIST);
            write(conflist, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(conflist(mtu)), false);
            files.add(conflist);
        }
        return new Installed(files);
    }

    /** The network configuration list: one plugin, weir-cni. */
    public static ObjectNode conflist(Integer mtu) {
        ObjectNode list = MAPPER.createObjectNode();
        list.put("cniVersion", "1.0.0");
        list.put("name", NETWORK);
        ObjectNode plugin = list.putArray("plugins").addObject();
        plugin.put("type", PLUGIN);
        if (mtu != null) {
            plugin.put("mtu", mtu);
        }
        return list;
    }

    /** Removes what {@link #install} wrote (and nothing else); returns what it removed. */
    public static List<Path> uninstall(Path binDir, Path confDir) throws IOException {
        List<Path> removed = new ArrayList<>();
        for (Path p : List.of(binDir.resolve(PLUGIN), binDir.resolve(RELAY), confDir.resolve(CONFLIST))) {
            if (Files.deleteIfExists(p)) {
                removed.add(p);
            }
        }
        return removed;
    }

    private static void write(Path target, byte[] content, boolean executable) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
