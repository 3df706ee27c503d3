package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.weir.agent.store.StoreException;

/** The connection against a real etcd: keys under the prefix, and a bounded "unavailable" when it has no quorum. */
class EtcdTest {

    @Test
    void putsUnderThePrefixAndSaysUnavailableWithoutQuorum() throws Exception {
        try (EtcdFixture f = EtcdFixture.start(3); Etcd etcd = f.connect("weir/", Duration.ofSeconds(2))) {
            etcd.call("put", () -> etcd.client().getKVClient().put(etcd.key("a/b"), Etcd.bytes("1")));
            var r = etcd.call("get", () -> etcd.client().getKVClient().get(Etcd.bytes("weir/a/b")));
            assertThat(r.getKvs()).hasSize(1);
            assertThat(etcd.relative(r.getKvs().getFirst().getKey())).isEqualTo("a/b");

            f.cluster().pause("etcd2");
            f.cluster().pause("etcd3");
            long start = System.nanoTime();
            assertThatThrownBy(() -> etcd.call("put", () -> etcd.client().getKVClient().put(etcd.key("a/c"), Etcd.bytes("2"))))
                    .isInstanceOf(StoreException.class).hasMessageStartingWith(Etcd.UNAVAILABLE + ": put");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            f.cluster().resume("etcd2");
            f.cluster().resume("etcd3");
        }
    }

    @Test
    void endpointsParseOrSayWhichIsWrong() {
        assertThat(Etcd.Config.parse("http://127.0.0.1:1,http://127.0.0.1:2").endpoints()).hasSize(2);
        assertThatThrownBy(() -> Etcd.Config.parse("127.0.0.1:2379")).hasMessageContaining("bad etcd endpoint '127.0.0.1:2379'");
    }
}
