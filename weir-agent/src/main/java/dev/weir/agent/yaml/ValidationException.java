package dev.weir.agent.yaml;

/**
 * A document is invalid (a policy, a Service, an EndpointSlice), alone or together with the other objects
 * of the apply: names the file, the object ({@code kind namespace/name}, or the document's index when it
 * has no name yet) and the field path ({@code spec.ports[1].nodePort}). Nothing of the apply that raised it
 * has taken effect.
 */
public final class ValidationException extends RuntimeException {

    private final String file;
    private final String object;
    private final String path;
    private final String problem;

    public ValidationException(String file, String object, String path, String problem) {
        super(format(file, object, path, problem));
        this.file = file;
        this.object = object;
        this.path = path;
        this.problem = problem;
    }

    private static String format(String file, String object, String path, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file).append(": ");
        }
        if (object != null) {
            sb.append(object).append(": ");
        }
        if (path != null && !path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.append(problem).toString();
    }

    public String file() {
        return file;
    }

    public String object() {
        return object;
    }

    public String path() {
        return path;
    }

    public String problem() {
        return problem;
    }
}
