package dev.weir.agent.store.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreContract;

/** The store contract against a real 3-member etcd; each test under its own key prefix. */
class EtcdStoreContractTest extends StoreContract {

    private static final AtomicInteger TESTS = new AtomicInteger();
    @org.junit.jupiter.api.extension.RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);

    private final List<AutoCloseable> opened = Collections.synchronizedList(new ArrayList<>());
    private Etcd etcd;


    @BeforeEach
    void connect() {
        etcd = CLUSTER.get().connect("contract" + TESTS.incrementAndGet() + "/", Duration.ofSeconds(5));
        opened.add(etcd);
    }

    @AfterEach
    void closeAll() throws Exception {
        List<AutoCloseable> all = new ArrayList<>(opened);
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            c.close();
        }
    }

    @Override
    protected Store open() {
        EtcdStore s = EtcdStore.open(etcd);
        opened.add(s);
        return s;
    }
}
