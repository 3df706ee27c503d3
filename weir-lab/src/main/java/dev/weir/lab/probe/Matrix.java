package dev.weir.lab.probe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import dev.weir.lab.LabException;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PodSpec;
import dev.weir.lab.model.PortSpec;

/**
 * Probes every ordered pair of pods on every port, all at once (one virtual thread per probe), so the
 * whole matrix takes about one probe timeout however much is blocked. Stateless.
 */
public final class Matrix {

    private Matrix() {
    }

    /**
     * Runs the matrix.
     *
     * @param socketOf the agent socket of a pod
     * @throws LabException when an agent does not answer
     */
    public static MatrixResult run(List<PodSpec> pods, Function<PodSpec, Path> socketOf, Family family,
                                   List<PortSpec> ports, Duration timeout) {
        long start = System.nanoTime();
        List<Future<ProbeResult>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (PortSpec port : ports) {
                for (PodSpec from : pods) {
                    for (PodSpec to : pods) {
                        if (!from.equals(to)) {
                            futures.add(pool.submit(() -> Prober.probe(from.ref().toString(), socketOf.apply(from),
                                    to.ref().toString(), to.address(family), port, timeout)));
                        }
                    }
                }
            }
            List<String> ids = pods.stream().map(p -> p.ref().toString()).toList();
            var truth = MatrixResult.emptyTruth(ports.stream().map(PortSpec::toString).toList(), ids);
            for (Future<ProbeResult> f : futures) {
                ProbeResult r = f.get();
                truth.get(r.port().toString()).get(r.from()).put(r.to(), r.allowed());
            }
            return new MatrixResult(family, ids, truth, (System.nanoTime() - start) / 1_000_000);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new LabException(e.getCause().toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while probing the matrix", e);
        }
    }
}
