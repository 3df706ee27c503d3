package dev.weir.agent.store.etcd;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;

/**
 * One connection to an etcd cluster (jetcd's {@link Client}, over every member's client URL), the key prefix
 * weir's keys live under ({@code weir/}, docs/kvstore.md), and the time one operation may take. Every call
 * through {@link #call} either answers within {@link Config#timeout} or throws a {@link StoreException} that
 * says the kvstore is unavailable, so that no caller hangs while etcd has no quorum.
 *
 * <p>Lifetime: {@link #connect} opens the client (lazily: no member needs to answer yet); {@link #close}
 * closes it. Shared by the store, the node registry and the watchers of one process. Thread-safe.
 */
public final class Etcd implements AutoCloseable {

    /** What a message says when etcd does not answer; {@code weir apply} and tests look for it. */
    public static final String UNAVAILABLE = "kvstore unavailable";

    /**
     * @param endpoints the members' client URLs ({@code http://127.0.0.1:23790})
     * @param prefix    the prefix of every weir key, ending in {@code /}
     * @param timeout   how long one operation may take before the kvstore counts as unavailable
     */
    public record Config(List<URI> endpoints, String prefix, Duration timeout) {
        public Config {
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("no etcd endpoints");
            }
            prefix = prefix == null ? "weir/" : prefix;
            if (!prefix.endsWith("/")) {
                throw new IllegalArgumentException("the key prefix must end in '/': " + prefix);
            }
            timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
        }

        /**
         * From {@code --kvstore-endpoints}: comma-separated {@code http://host:port} URLs.
         *
         * @throws IllegalArgumentException naming the URL that is not one
         */
        public static Config parse(String endpoints) {
            List<URI> uris = new ArrayList<>();
            for (String e : endpoints.split(",")) {
                String s = e.strip();
                if (s.isEmpty()) {
                    continue;
                }
                URI u;
                try {
                    u = URI.create(s);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException("bad etcd endpoint '" + s + "': " + ex.getMessage());
                }
                if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() <= 0) {
                    throw new IllegalArgumentException("bad etcd endpoint '" + s + "': expected http://HOST:PORT");
                }
                uris.add(u);
            }
            return new Config(uris, null, null);
        }
    }

    private final Config config;
    private final Client client;

    private Etcd(Config config, Client client) {
        this.config = config;
        this.client = client;
    }

    /**
     * The largest answer the client takes (gRPC's default is 4 MiB). One watch response carries a whole
     * transaction's events, so it must hold the largest commit the members accept (the lab's allow 64 MiB
     * requests: 10,000 Services with their EndpointSlices are one 9 MB commit); below that the watch fails on
     * such a revision and resumes into the same failure forever.
     */
    static final int MAX_MESSAGE_BYTES = 256 << 20;

    /** Opens a client to the members; nothing is sent until the first call. */
    public static Etcd connect(Config config) {
        Client c = Client.builder()
                .endpoints(config.endpoints().toArray(URI[]::new))
                .connectTimeout(config.timeout())
                .keepaliveTime(Duration.ofSeconds(5))
                .keepaliveTimeout(Duration.ofSeconds(3))
                // etcd 3.4 drops clients that ping idle connections ("too_many_pings"); watches keep it busy
                .keepaliveWithoutCalls(false)
                .retryMaxDuration(config.timeout())
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
        return new Etcd(config, c);
    }

    public Config config() {
        return config;
    }

    public Client client() {
        return client;
    }

    /** The full key of {@code relative} ({@code objects/...} becomes {@code weir/objects/...}). */
    public ByteSequence key(String relative) {
        return bytes(config.prefix() + relative);
    }

    /** A full key without the prefix; the key as it is when it has none. */
    public String relative(ByteSequence key) {
        String k = string(key);
        return k.startsWith(config.prefix()) ? k.substring(config.prefix().length()) : k;
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    public static String string(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    /**
     * What this connection did, for metrics: each operation's time and outcome, and the watch events received.
     * Called on the caller's or a watch thread; must be quick and thread-safe.
     */
    public interface Observer {
        Observer NONE = new Observer() {
            @Override
            public void operation(String action, String scope, long nanos, String outcome) {
            }

            @Override
            public void events(String scope, String action, int n) {
            }
        };

        /** @param outcome {@code success}, {@code timeout} or {@code failure} */
        void operation(String action, String scope, long nanos, String outcome);

        /** {@code n} watch events of kind {@code action} ({@code put}, {@code delete}) for keys under {@code scope}. */
        void events(String scope, String action, int n);
    }

    private volatile Observer observer = Observer.NONE;

    /** Reports every operation and watch event from now on to {@code o}. */
    public void observe(Observer o) {
        observer = o == null ? Observer.NONE : o;
    }

    public Observer observer() {
        return observer;
    }

    /** The scope of a relative key for metrics: its first segment ({@code objects}, {@code nodes}, {@code alloc}). */
    public static String scope(String relative) {
        int slash = relative.indexOf('/');
        return slash < 0 ? relative : relative.substring(0, slash);
    }

    /**
     * Runs one operation and waits for its answer, at most {@link Config#timeout}, and reports its time to the
     * {@link Observer}.
     *
     * @param action the kind of request ({@code get}, {@code list}, {@code put}, {@code txn}, {@code lease-grant})
     * @param scope  the keys it touches ({@code objects}, {@code nodes}, {@code alloc}...)
     * @param what   what the operation does, for the message ({@code commit}, {@code read node records})
     * @throws StoreException "kvstore unavailable: WHAT: ..." when etcd does not answer in time or fails
     */
    public <T> T call(String action, String scope, String what, Supplier<CompletableFuture<T>> op) {
        long t0 = System.nanoTime();
        String outcome = "failure";
        try {
            T t = await(what, op);
            outcome = "success";
            return t;
        } catch (StoreException e) {
            outcome = e.getCause() instanceof TimeoutException ? "timeout" : "failure";
            throw e;
        } finally {
            observer.operation(action, scope, System.nanoTime() - t0, outcome);
        }
    }

    /** {@link #call(String, String, String, Supplier)} for an operation of no particular action or scope ({@code other}). */
    public <T> T call(String what, Supplier<CompletableFuture<T>> op) {
        return call("other", "other", what, op);
    }

    private <T> T await(String what, Supplier<CompletableFuture<T>> op) {
        CompletableFuture<T> f = op.get();
        try {
            return f.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new StoreException(UNAVAILABLE + ": " + what + ": no answer from " + endpointsText() + " within "
                    + config.timeout().toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException(UNAVAILABLE + ": " + what + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new StoreException(what + ": interrupted", e);
        }
    }

    private String endpointsText() {
        return String.join(",", config.endpoints().stream().map(Objects::toString).toList());
    }

    @Override
    public void close() {
        client.close();
    }
}
