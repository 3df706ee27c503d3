package dev.weir.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns exceptions from commands into a one-line message on stderr and an exit code: 2 for bad input
 * ({@link IllegalArgumentException}, {@link UserError}), 1 for anything else. Set WEIR_DEBUG=1 for the
 * stack trace.
 */
final class Errors implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        cl.getErr().println("weir: " + message);
        if (System.getenv("WEIR_DEBUG") != null) {
            e.printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        return (e instanceof IllegalArgumentException || e instanceof UserError) ? 2 : 1;
    }
}
