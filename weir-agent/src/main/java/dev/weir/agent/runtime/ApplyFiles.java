package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.store.ObjectKey;

/**
 * The files of an {@code apply}-shaped request ({@code {"files": [{"source": "a.yaml", "text": "..."}]}}),
 * every document parsed and validated by the {@link StateCompiler}: what {@code apply} commits and
 * {@code policy.whatif} evaluates, validated alike. Immutable.
 *
 * @param objects every object, in file order
 * @param sources the file each object came from
 */
record ApplyFiles(List<StateCompiler.ParsedObject> objects, Map<ObjectKey, String> sources) {

    ApplyFiles {
        objects = List.copyOf(objects);
        sources = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    }

    /** Tells the compiler that no computation will take these objects' parses ({@link StateCompiler#forget}). */
    void forget(StateCompiler<?> compiler, java.util.function.Predicate<ObjectKey> which) {
        objects.stream().filter(o -> which.test(o.key())).forEach(o -> compiler.forget(sources.get(o.key()), o));
    }

    /**
     * Parses the request's files.
     *
     * @throws ApiException {@link ApiException#INVALID} naming the file, object and field of the first invalid
     *                      document, an object given twice, or no object at all
     */
    static ApplyFiles parse(StateCompiler<?> compiler, JsonNode params) {
        Map<ObjectKey, String> sources = new LinkedHashMap<>();
        List<StateCompiler.ParsedObject> objects = new ArrayList<>();
        for (JsonNode f : params.path("files")) {
            String source = f.path("source").asText("");
            List<StateCompiler.ParsedObject> parsed;
            try {
                parsed = compiler.parse(source, f.path("text").asText(""));
            } catch (PolicyInputException e) {
                throw new ApiException(ApiException.INVALID, e.getMessage(), e);
            }
            for (StateCompiler.ParsedObject o : parsed) {
                String earlier = sources.putIfAbsent(o.key(), source);
                if (earlier != null) {
                    throw new ApiException(ApiException.INVALID, source + ": " + o.key() + " is also in " + earlier);
                }
                objects.add(o);
            }
        }
        if (objects.isEmpty()) {
            throw new ApiException(ApiException.INVALID, "no objects in the given files");
        }
        return new ApplyFiles(objects, sources);
    }
}
