package dev.weir.agent.dns;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per endpoint, the names it resolved to each address: learnt from the DNS responses the endpoint received
 * (A and AAAA answers of a NOERROR response, under the question's name), each kept for its TTL, at least
 * {@link Config#minTtl}, so that the endpoint's later flows to that address name it (Hubble's
 * {@code destination_names}). Bounded: at most {@link Config#addresses} (endpoint, address) pairs, the least
 * recently used go first, and {@link #NAMES_PER_ADDRESS} names per pair. Thread-safe.
 */
public final class DnsNames {

    /** Names kept per (endpoint, address); the one expiring first goes. */
    public static final int NAMES_PER_ADDRESS = 8;

    /** @param addresses (endpoint, address) pairs kept; @param minTtl how long a name is kept at least */
    public record Config(int addresses, Duration minTtl) {
        public Config {
            if (addresses < 1 || minTtl.isNegative()) {
                throw new IllegalArgumentException("dns names: addresses must be positive, minTtl not negative");
            }
        }

        public static Config defaults() {
            return new Config(65536, Duration.ofSeconds(60));
        }
    }

    private record Key(int endpointId, String address) {
    }

    private final Config config;
    private final LinkedHashMap<Key, Map<String, Instant>> entries;

    public DnsNames(Config config) {
        this.config = config;
        this.entries = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Map<String, Instant>> eldest) {
                return size() > config.addresses();
            }
        };
    }

    /** Learns the addresses of a response the endpoint received at {@code at}; anything else is ignored. */
    public synchronized void learn(int endpointId, DnsMessage m, Instant at) {
        if (!m.response() || m.rcode() != 0 || m.query() == null) {
            return;
        }
        String name = bare(m.query());
        for (DnsMessage.Answer a : m.answers()) {
            if ((a.type() == DnsParser.TYPE_A || a.type() == DnsParser.TYPE_AAAA) && a.value() != null) {
                Duration ttl = Duration.ofSeconds(a.ttl());
                Instant until = at.plus(ttl.compareTo(config.minTtl()) < 0 ? config.minTtl() : ttl);
                Map<String, Instant> names = entries.computeIfAbsent(new Key(endpointId, a.value()), k -> new HashMap<>());
                names.merge(name, until, (x, y) -> x.isAfter(y) ? x : y);
                if (names.size() > NAMES_PER_ADDRESS) {
                    names.entrySet().stream().min(Map.Entry.comparingByValue()).ifPresent(e -> names.remove(e.getKey()));
                }
            }
        }
    }

    /** The names the endpoint resolved to the address that are still valid at {@code at}, sorted. */
    public synchronized List<String> names(int endpointId, String address, Instant at) {
        Map<String, Instant> names = entries.get(new Key(endpointId, address));
        if (names == null) {
            return List.of();
        }
        names.values().removeIf(until -> !until.isAfter(at));
        List<String> out = new ArrayList<>(names.keySet());
        out.sort(null);
        return List.copyOf(out);
    }

    /** (endpoint, address) pairs kept. */
    public synchronized int size() {
        return entries.size();
    }

    /** A name without its trailing dot, as {@code destination_names} shows it. */
    static String bare(String name) {
        return name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
