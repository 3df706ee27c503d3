package dev.weir.bench.services;

import java.util.Optional;
import java.util.Set;

/**
 * One way of serving the benchmark's ClusterIPs, measured side by side with the others: kube-proxy-style
 * iptables today, weir's TC and socket-level translation once they exist. The harness calls, per round
 * and service count: {@link #install}, then measures {@link #target} (and the plain pod IP with the
 * mode's state in place), then {@link #remove}. Not thread-safe; one instance per run.
 */
public interface Mode {

    /** Where the measured connections go and which replies prove they went through the service. */
    record Target(String address, int port, Set<String> backends) {
        public Target {
            backends = Set.copyOf(backends);
        }
    }

    /** Column heading, e.g. {@code iptables}, {@code weir TC}. */
    String name();

    /** Empty when the mode can run here; otherwise why not (shown in its column instead of figures). */
    Optional<String> unavailable();

    /**
     * Creates {@code services} ClusterIP services (the last one is the measured target) and whatever
     * the mode needs to serve them.
     *
     * @return seconds the installation took (the mode's own apply step), for the report
     */
    double install(int services) throws Exception;

    /** The last service created by the latest {@link #install}. */
    Target target();

    /** Removes everything {@link #install} created; safe to call when nothing is installed. */
    void remove() throws Exception;
}
