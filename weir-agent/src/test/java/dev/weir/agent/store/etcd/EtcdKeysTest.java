package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.weir.agent.store.ObjectKey;

/** The desired state's key layout (docs/kvstore.md), without etcd. */
class EtcdKeysTest {

    @Test
    void objectKeysAreReadableAndComeBack() {
        ObjectKey p = new ObjectKey("NetworkPolicy", "x", "deny-all");
        ObjectKey mode = new ObjectKey("PolicyMode", "", "default");
        ObjectKey odd = new ObjectKey("Kind", "_", "a/b c");
        assertThat(EtcdKeys.object(p)).isEqualTo("objects/NetworkPolicy/x/deny-all");
        assertThat(EtcdKeys.object(mode)).isEqualTo("objects/PolicyMode/_/default");
        assertThat(EtcdKeys.object(odd)).isEqualTo("objects/Kind/%5F/a%2Fb+c");
        for (ObjectKey k : new ObjectKey[] {p, mode, odd}) {
            assertThat(EtcdKeys.objectKey(EtcdKeys.object(k))).isEqualTo(k);
        }
    }

    @Test
    void keysWeirDidNotWriteAreNotObjects() {
        assertThat(EtcdKeys.objectKey("objects/Kind/x")).isNull();
        assertThat(EtcdKeys.objectKey("objects/Kind/x/a/b")).isNull();
        assertThat(EtcdKeys.objectKey("objects/Kind/x/%zz")).isNull();
        assertThat(EtcdKeys.objectKey("objects//x/a")).isNull();
        assertThat(EtcdKeys.objectKey("nodes/n1")).isNull();
    }

    @Test
    void allocationKeysKeepAnyLabelSet() {
        String identity = "k8s:io.kubernetes.pod.namespace=x\nk8s:pod=a";
        String key = EtcdKeys.allocKey("identities", identity);
        assertThat(key).startsWith("alloc/identities/keys/").doesNotContain("\n");
        assertThat(EtcdKeys.allocKeyName("identities", key)).isEqualTo(identity);
        assertThat(EtcdKeys.next("lb-service-node1")).isEqualTo("alloc/lb-service-node1/next");
        assertThat(EtcdKeys.allocKeyName("t", "alloc/t/keys/%zz")).isNull();
    }

    @Test
    void theRevisionValueNamesTheCommit() {
        EtcdKeys.RevisionValue v = new EtcdKeys.RevisionValue("c0ffee", 41, 1_765_000_000_000L);
        assertThat(new String(EtcdKeys.revisionValue(v))).isEqualTo("{\"commit\":\"c0ffee\",\"after\":41,\"atMillis\":1765000000000}");
        assertThat(EtcdKeys.revisionValue(EtcdKeys.revisionValue(v))).isEqualTo(v);
        assertThat(EtcdKeys.revisionValue("by hand".getBytes())).isEqualTo(EtcdKeys.RevisionValue.NONE);
        assertThat(new String(EtcdKeys.objectValue("kind: X", "x.yaml"))).isEqualTo("{\"document\":\"kind: X\",\"source\":\"x.yaml\"}");
    }
}
