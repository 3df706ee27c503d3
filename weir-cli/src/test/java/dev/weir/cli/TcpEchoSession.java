package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import dev.weir.lab.Lab;

/**
 * A {@code tcpecho session} (weir-datapath/src/test/c/tcpecho.c, built into {@code target/tcpecho}): one TCP
 * connection from a lab namespace, driven line by line, so a test can send over the same connection before and
 * after it changes something.
 */
record TcpEchoSession(Process process, Writer in, BufferedReader out) implements AutoCloseable {

    static final Path TCPECHO = Path.of("target", "tcpecho");

    /** Connects from the lab namespace {@code from} (e.g. {@code x/a}, {@code ext}) to {@code address:port}. */
    static TcpEchoSession open(Lab lab, String from, String address, int port) throws IOException {
        Process p = lab.command(from, List.of(TCPECHO.toAbsolutePath().toString(), "session", address,
                Integer.toString(port), "3000")).redirectErrorStream(true).start();
        TcpEchoSession s = new TcpEchoSession(p, new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8),
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        assertThat(s.out.readLine()).startsWith("connected ");
        return s;
    }

    /** Sends n bytes and awaits their echo: {@code ok N}, or {@code timeout} when none came within 3 s. */
    String send(int n) throws IOException {
        in.write(n + "\n");
        in.flush();
        return out.readLine();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
