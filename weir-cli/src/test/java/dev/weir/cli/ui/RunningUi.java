package dev.weir.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.weir.cli.Main;

/**
 * {@code weir ui --listen 127.0.0.1:PORT ...} run in-process on a thread of its own, as a user runs it, on a free
 * loopback port; {@link #close()} interrupts it (the in-process Ctrl-C), checks that it exited 0 and that the
 * port is free again. Tests only.
 */
public final class RunningUi implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Thread thread;
    private final AtomicInteger exit = new AtomicInteger(-1);
    private final int port;

    private RunningUi(int port, String... more) {
        this.port = port;
        String[] args = new String[more.length + 3];
        args[0] = "ui";
        args[1] = "--listen";
        args[2] = "127.0.0.1:" + port;
        System.arraycopy(more, 0, args, 3, more.length);
        thread = Thread.ofPlatform().name("weir-ui-test").start(() -> exit.set(Main.run(args)));
    }

    /** Starts {@code weir ui} with {@code more} arguments and waits until the page answers. */
    public static RunningUi start(String... more) throws Exception {
        RunningUi ui = new RunningUi(freePort(), more);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!ui.thread.isAlive()) {
                throw new AssertionError("weir ui exited " + ui.exit.get() + " before serving");
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(ui.url())).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return ui;
                }
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        ui.close();
        throw new AssertionError("weir ui did not answer at " + ui.url());
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** Interrupts {@code weir ui}: it must exit 0 and free its port. */
    @Override
    public void close() throws Exception {
        thread.interrupt();
        thread.join(Duration.ofSeconds(10));
        assertThat(thread.isAlive()).as("weir ui stopped when interrupted").isFalse();
        assertThat(exit.get()).as("weir ui's exit code").isZero();
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(s.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
