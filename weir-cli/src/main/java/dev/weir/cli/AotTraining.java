package dev.weir.cli;

import java.io.PrintWriter;
import java.io.Writer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiProtocol;
import dev.weir.cli.output.Json;
import picocli.CommandLine;

/**
 * The run the CLI's AOT cache is recorded from ({@code weir_build_aot} in scripts/lib.sh; JDK 25's AOT cache,
 * JEP 483 and 514): the classes a weir command loads, so that {@code bin/weir} finds them loaded and linked. It
 * builds every command and prints each one's help into nothing, and writes and reads the JSON of an apply's
 * request and answer. It stays inside this JVM: no agent, lab, file or kernel is touched. Not a command.
 */
public final class AotTraining {

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
        run(nowhere, "--help");
        run(nowhere, "--version");
        for (String name : Main.COMMANDS.keySet()) {
            run(nowhere, name, "--help");
        }
        ObjectMapper api = ApiProtocol.mapper();
        ObjectNode params = api.createObjectNode().put("delete", false);
        params.putArray("files").addObject().put("source", "a.yaml")
                .put("text", "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n");
        JsonNode request = api.readTree(api.writeValueAsString(params));
        ObjectNode answer = api.createObjectNode().put("revision", 1).put("changed", true);
        answer.putArray("objects").addObject().put("object", "Service x/a").put("source", "a.yaml").put("outcome", "created");
        JsonNode read = api.readTree(api.writeValueAsBytes(answer));
        Json.print(nowhere, read);
        nowhere.println(request.path("files").size());
    }

    private static void run(PrintWriter nowhere, String... args) {
        CommandLine cl = Main.commandLine(args);
        cl.setOut(nowhere);
        cl.setErr(nowhere);
        cl.execute(args);
    }
}
