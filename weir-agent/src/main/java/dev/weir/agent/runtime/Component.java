package dev.weir.agent.runtime;

/**
 * A part of the agent with a lifetime: {@link #start} acquires what it needs (threads, sockets, files),
 * {@link #stop} releases it. The agent starts components in order and stops them in reverse
 * ({@link Components}). Implementations need not be restartable.
 */
public interface Component {

    /** A short name for logs and errors, e.g. {@code api-server}. */
    String name();

    /**
     * Starts the component. On failure it releases whatever it acquired before throwing.
     *
     * @throws Exception any failure; the agent then stops what already started, in reverse
     */
    void start() throws Exception;

    /** Stops the component; idempotent, never throws for an ordinary shutdown. */
    void stop();
}
