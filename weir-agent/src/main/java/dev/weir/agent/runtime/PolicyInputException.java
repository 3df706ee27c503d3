package dev.weir.agent.runtime;

/**
 * A policy document is invalid. The message names the file, the object ({@code kind namespace/name}) and
 * the field path ({@code spec.ingress[0].from[1].ipBlock.except[0]}), each when known.
 */
public final class PolicyInputException extends RuntimeException {

    private final String file;
    private final String object;
    private final String field;
    private final String problem;

    public PolicyInputException(String file, String object, String field, String problem) {
        super(format(file, object, field, problem));
        this.file = file;
        this.object = object;
        this.field = field;
        this.problem = problem;
    }

    public String file() {
        return file;
    }

    public String object() {
        return object;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    private static String format(String file, String object, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null && !file.isEmpty()) {
            sb.append(file).append(": ");
        }
        if (object != null && !object.isEmpty()) {
            sb.append(object).append(": ");
        }
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(problem).toString();
    }
}
