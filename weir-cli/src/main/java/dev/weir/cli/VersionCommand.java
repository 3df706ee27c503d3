package dev.weir.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code weir version}: weir's version, the JVM and the kernel it runs on. */
@Command(name = "version", mixinStandardHelpOptions = true,
        description = "Print weir's version, the Java runtime and the kernel.")
public final class VersionCommand implements Runnable {

    @Override
    public void run() {
        for (String line : new Provider().getVersion()) {
            System.out.println(line);
        }
    }

    public static String weirVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                    "weir " + weirVersion(),
                    "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
                    "kernel " + kernel() + " " + System.getProperty("os.arch"),
            };
        }
    }
}
