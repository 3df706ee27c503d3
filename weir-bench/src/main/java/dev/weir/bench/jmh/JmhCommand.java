package dev.weir.bench.jmh;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code weir-bench jmh [JMH options]}: JMH's own command line over the benchmarks in this jar
 * ({@link PolicyEngineBench}, {@link ServiceChangeBench}, {@link ServiceInstallBench}); with no options, all of them with their annotated
 * settings.
 * {@code jmh -h} shows JMH's options (e.g. {@code -p policies=1000}, {@code -f 2}, {@code -rf json}).
 */
@Command(name = "jmh", description = {"JMH benchmarks of the control plane (policy: parse, PolicyEngine.resolve, one policy changed, pol entries;",
        "services: one EndpointSlice change at 10,000 services, check and compile; an install of 10,000 services from empty, step by step).",
        "Every argument goes to JMH's own command line (try: jmh -h). No root needed."})
public final class JmhCommand implements Callable<Integer> {

    @Parameters(paramLabel = "JMH-ARGS", description = "JMH options and benchmark regexps")
    List<String> args = List.of();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
