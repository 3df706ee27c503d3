package dev.weir.agent.store.etcd;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreException;

/**
 * The desired state's keys and values in etcd, relative to the prefix ({@code weir/}); docs/kvstore.md,
 * "Desired state", lists them. Each component of a key is URL-encoded (Kubernetes names and kinds are left
 * as they are by it); an empty namespace is {@code _}. Stateless.
 */
final class EtcdKeys {

    static final String OBJECTS = "objects/";
    static final String REVISION = "revision";
    static final String ALLOC = "alloc/";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /** The value of an object's key. */
    record ObjectValue(String document, String source) {
    }

    /**
     * The value of {@code revision}: the commit that wrote it last, and the revision key's mod_revision the
     * commit was checked against (how a retried commit recognises its own transaction).
     */
    record RevisionValue(String commit, long after, long atMillis) {
        static final RevisionValue NONE = new RevisionValue("", 0, 0);
    }

    private EtcdKeys() {
    }

    static String object(ObjectKey k) {
        String ns = k.namespace().isEmpty() ? "_" : k.namespace().equals("_") ? "%5F" : encode(k.namespace());
        return OBJECTS + encode(k.kind()) + "/" + ns + "/" + encode(k.name());
    }

    /** The object key of a relative key under {@link #OBJECTS}; null when it is not one weir wrote. */
    static ObjectKey objectKey(String relative) {
        if (!relative.startsWith(OBJECTS)) {
            return null;
        }
        List<String> parts = List.of(relative.substring(OBJECTS.length()).split("/", -1));
        if (parts.size() != 3 || parts.get(0).isEmpty() || parts.get(2).isEmpty()) {
            return null;
        }
        try {
            String ns = parts.get(1).equals("_") ? "" : decode(parts.get(1));
            return new ObjectKey(decode(parts.get(0)), ns, decode(parts.get(2)));
        } catch (IllegalArgumentException e) {
            return null; // not encoded as weir encodes (written by hand)
        }
    }

    static String table(String table) {
        return ALLOC + table + "/";
    }

    static String next(String table) {
        return table(table) + "next";
    }

    static String keys(String table) {
        return table(table) + "keys/";
    }

    static String allocKey(String table, String key) {
        return keys(table) + encode(key);
    }

    /** Where a packed table ({@link PackedNodeTable}) keeps its blocks of numbers. */
    static String blocks(String table) {
        return table(table) + "blocks/";
    }

    static String block(String table, long block) {
        return blocks(table) + block;
    }

    /** The block number of a relative key under {@link #blocks}; -1 when it is not one weir wrote. */
    static long blockNumber(String table, String relative) {
        String s = relative.substring(blocks(table).length());
        if (s.isEmpty() || s.length() > 12 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(s);
    }

    /**
     * Where nodes say they use a key of a table: {@code refs/<table>/<key>/}, one key per node below it, each under
     * that node's lease ({@code EtcdNodeRegistry#publishReferences}). Outside {@code alloc/}, so that the
     * allocation mirrors never see them.
     */
    static String refs(String table, String key) {
        return "refs/" + table + "/" + encode(key) + "/";
    }

    static String ref(String table, String key, String node) {
        return refs(table, key) + encode(node);
    }

    /** The allocation key and the node of a relative key under {@code refs/<table>/}; null when it is not weir's. */
    static String[] refParts(String table, String relative) {
        String prefix = "refs/" + table + "/";
        if (!relative.startsWith(prefix)) {
            return null;
        }
        String rest = relative.substring(prefix.length());
        int slash = rest.indexOf('/');
        try {
            return slash < 0 ? null : new String[] {decode(rest.substring(0, slash)), decode(rest.substring(slash + 1))};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The allocation key of a relative key under {@link #keys}; null when it is not encoded as weir encodes. */
    static String allocKeyName(String table, String relative) {
        try {
            return decode(relative.substring(keys(table).length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static byte[] objectValue(String document, String source) {
        return write(new ObjectValue(document, source));
    }

    static ObjectValue objectValue(byte[] value) {
        return read(value, ObjectValue.class);
    }

    static byte[] revisionValue(RevisionValue v) {
        return write(v);
    }

    static RevisionValue revisionValue(byte[] value) {
        try {
            return read(value, RevisionValue.class);
        } catch (StoreException e) {
            return RevisionValue.NONE; // not written by a commit (e.g. by hand): no commit of ours
        }
    }

    private static byte[] write(Object v) {
        try {
            return JSON.writeValueAsBytes(v);
        } catch (JsonProcessingException e) {
            throw new StoreException("cannot encode " + v + ": " + e.getOriginalMessage(), e);
        }
    }

    private static <T> T read(byte[] value, Class<T> type) {
        try {
            return JSON.readValue(value, type);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot decode a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
