package dev.weir.agent.store.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.weir.lab.etcd.EtcdCluster;

/**
 * What the etcd store tests of one class share: clients and stores under the test's own key prefix, closed
 * after the test, and a cluster healed after it (paused members resumed, killed members restarted).
 */
final class EtcdTestSupport implements AutoCloseable {

    private static final AtomicInteger TESTS = new AtomicInteger();

    private final EtcdFixture fixture;
    private final String prefix;
    private final List<AutoCloseable> opened = Collections.synchronizedList(new ArrayList<>());
    final List<String> log = Collections.synchronizedList(new ArrayList<>());

    EtcdTestSupport(EtcdFixture fixture, String name) {
        this.fixture = fixture;
        this.prefix = name + TESTS.incrementAndGet() + "/";
    }

    String prefix() {
        return prefix;
    }

    /** A client to every member. */
    Etcd client(Duration timeout) {
        return keep(fixture.connect(prefix, timeout));
    }

    /** A client to one member only. */
    Etcd client(String member, Duration timeout) {
        URI u = URI.create(fixture.cluster().member(member).clientUrl());
        return keep(Etcd.connect(new Etcd.Config(List.of(u), prefix, timeout)));
    }

    EtcdStore store(Etcd etcd) {
        EtcdStore s = new EtcdStore(etcd, log::add);
        s.start();
        return keep(s);
    }

    /** The member that leads now, by asking each running member. */
    String leader(Etcd etcd) {
        for (EtcdCluster.Member m : fixture.cluster().members()) {
            if (m.pid() == 0) {
                continue;
            }
            try {
                var st = etcd.call("status", () -> etcd.client().getMaintenanceClient().statusMember(m.clientUrl()));
                if (st.getLeader() == st.getHeader().getMemberId()) {
                    return m.name();
                }
            } catch (RuntimeException e) {
                // not answering: not the leader we can kill
            }
        }
        throw new IllegalStateException("no member leads");
    }

    private <T extends AutoCloseable> T keep(T c) {
        opened.add(c);
        return c;
    }

    @Override
    public void close() throws Exception {
        List<AutoCloseable> all = new ArrayList<>(opened);
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            c.close();
        }
        for (EtcdCluster.Member m : fixture.cluster().members()) {
            if (m.pid() == 0) {
                fixture.cluster().restart(m.name(), Duration.ofSeconds(30));
            } else {
                fixture.cluster().resume(m.name());
            }
        }
    }
}
