package dev.weir.agent.runtime;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Starts components in order and stops them in reverse. When a start fails, the components that already
 * started are stopped in reverse before the failure is rethrown. Owns nothing but the order; not
 * thread-safe (start and stop come from one thread, or a shutdown hook after start returned).
 */
public final class Components {

    private final List<Component> components;
    private final Consumer<String> log;
    private final Deque<Component> started = new ArrayDeque<>();

    public Components(List<Component> components, Consumer<String> log) {
        this.components = List.copyOf(components);
        this.log = log;
    }

    /**
     * Starts every component.
     *
     * @throws ComponentStartException naming the component that failed, after stopping the started ones
     */
    public void start() {
        for (Component c : components) {
            try {
                log.accept("starting " + c.name());
                c.start();
                started.push(c);
            } catch (Exception e) {
                log.accept("starting " + c.name() + " failed: " + e.getMessage() + "; stopping what started");
                stop();
                throw new ComponentStartException(c.name(), e);
            }
        }
    }

    /** Stops the started components in reverse order; a failing stop is logged and the others still stop. */
    public void stop() {
        while (!started.isEmpty()) {
            Component c = started.pop();
            try {
                log.accept("stopping " + c.name());
                c.stop();
            } catch (RuntimeException e) {
                log.accept("stopping " + c.name() + " failed: " + e);
            }
        }
    }

    /** A component failed to start; the cause is its exception. */
    public static final class ComponentStartException extends RuntimeException {
        private final String component;

        public ComponentStartException(String component, Throwable cause) {
            super("cannot start " + component + ": " + (cause.getMessage() != null ? cause.getMessage() : cause), cause);
            this.component = component;
        }

        public String component() {
            return component;
        }
    }
}
