package dev.weir.lab.host;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import dev.weir.lab.LabException;

/** Runs a step for every item at once on virtual threads. Stateless. */
public final class Parallel {

    private Parallel() {
    }

    /**
     * Applies the step to every item in parallel and waits for all of them.
     *
     * @throws RuntimeException the first failure (in item order), after every step has finished
     */
    public static <T> void each(List<T> items, Consumer<T> step) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit((Callable<Void>) () -> {
                    step.accept(item);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new LabException(e.getCause().toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
