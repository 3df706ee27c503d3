package dev.weir.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.cli.output.Json;

/**
 * etcd as an operator sees it, through each member's HTTP gateway ({@code POST /v3/...}, JSON, keys and values
 * base64, 64-bit numbers as strings): which member leads, what a key holds, compaction. Independent of weir's
 * own client, so the tests check etcd's truth, not weir's copy of it. Stateless.
 */
final class EtcdHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** What {@code /v3/maintenance/status} says: the answering member's id and the leader it knows (0: none). */
    record Status(String memberId, String leader) {
    }

    /** One key as etcd holds it. */
    record Kv(String key, String value, long modRevision, long version) {
    }

    private EtcdHttp() {
    }

    /** The member's status, or empty when it does not answer within a few seconds (paused, killed, no quorum). */
    static Optional<Status> status(String clientUrl) {
        return post(clientUrl, "/v3/maintenance/status", Json.mapper().createObjectNode())
                .map(j -> new Status(j.path("header").path("member_id").asText(), j.path("leader").asText("0")));
    }

    /** The keys under {@code prefix} (linearizable: needs a quorum), sorted. */
    static List<Kv> prefix(String clientUrl, String prefix) {
        ObjectNode req = Json.mapper().createObjectNode();
        req.put("key", b64(prefix));
        req.put("range_end", b64(prefixEnd(prefix)));
        return range(clientUrl, req);
    }

    /** The key, if it exists (linearizable). */
    static Optional<Kv> get(String clientUrl, String key) {
        ObjectNode req = Json.mapper().createObjectNode();
        req.put("key", b64(key));
        return range(clientUrl, req).stream().findFirst();
    }

    /** etcd's current revision (the header of a linearizable read). */
    static long revision(String clientUrl) {
        ObjectNode req = Json.mapper().createObjectNode();
        req.put("key", b64("weir/revision"));
        return call(clientUrl, "/v3/kv/range", req).path("header").path("revision").asLong();
    }

    /** Compacts etcd's history up to {@code revision}: watches from before it fail with "compacted". */
    static void compact(String clientUrl, long revision) {
        ObjectNode req = Json.mapper().createObjectNode();
        req.put("revision", Long.toString(revision));
        req.put("physical", true);
        call(clientUrl, "/v3/kv/compaction", req);
    }

    private static List<Kv> range(String clientUrl, ObjectNode req) {
        List<Kv> out = new ArrayList<>();
        for (JsonNode kv : call(clientUrl, "/v3/kv/range", req).path("kvs")) {
            out.add(new Kv(unb64(kv.path("key").asText()), unb64(kv.path("value").asText("")),
                    kv.path("mod_revision").asLong(), kv.path("version").asLong()));
        }
        return out;
    }

    private static JsonNode call(String clientUrl, String path, ObjectNode body) {
        return post(clientUrl, path, body).orElseThrow(() -> new AssertionError(clientUrl + path + " does not answer"));
    }

    private static Optional<JsonNode> post(String clientUrl, String path, ObjectNode body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(clientUrl + path)).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(Json.mapper().readTree(r.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String prefixEnd(String prefix) {
        char last = prefix.charAt(prefix.length() - 1);
        return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }
}
