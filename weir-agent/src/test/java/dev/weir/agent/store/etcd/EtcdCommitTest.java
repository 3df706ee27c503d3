package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import io.etcd.jetcd.KeyValue;

/**
 * A commit whose transaction got no answer, against a real (one-member) etcd: the answer is lost on purpose
 * after the transaction was applied, or the transaction is dropped before it is sent, with and without
 * another commit coming in between. The commit must report what etcd did, never apply twice, and never
 * report a failure for a change it made.
 */
class EtcdCommitTest {

    private static final ObjectKey A = new ObjectKey("NetworkPolicy", "x", "a");
    private static final ObjectKey B = new ObjectKey("NetworkPolicy", "x", "b");
    private static final ObjectKey C = new ObjectKey("NetworkPolicy", "x", "c");
    @org.junit.jupiter.api.extension.RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(1);
    private EtcdTestSupport t;
    private Etcd etcd;
    private EtcdStore other;


    @BeforeEach
    void connect() {
        t = new EtcdTestSupport(CLUSTER.get(), "commit");
        etcd = t.client(Duration.ofSeconds(1));
        other = t.store(t.client(Duration.ofSeconds(5)));
        other.commit(List.of(new Change.Put(A, "{a}", "")));
    }

    @AfterEach
    void close() throws Exception {
        t.close();
    }

    private CommitResult commit(List<Change> changes, EtcdCommit.Sender sender) {
        return commit(changes, new ArrayList<>(), sender);
    }

    private CommitResult commit(List<Change> changes, List<List<StoredObject>> checked, EtcdCommit.Sender sender) {
        return new EtcdCommit(etcd, new ObjectCache(etcd), changes, (before, after) -> checked.add(before), sender).run();
    }

    private KeyValue revisionKey() {
        return etcd.call("get", () -> etcd.client().getKVClient().get(etcd.key(EtcdKeys.REVISION))).getKvs().getFirst();
    }

    private static StoreException noAnswer() {
        return new StoreException(Etcd.UNAVAILABLE + ": commit: no answer (the test dropped it)");
    }

    @Test
    void anAppliedTransactionWhoseAnswerIsLostIsReportedOnceNotRepeated() {
        AtomicInteger sent = new AtomicInteger();
        CommitResult r = commit(List.of(new Change.Put(B, "{b}", ""), new Change.Delete(A)), txn -> {
            sent.incrementAndGet();
            etcd.call("commit", txn);
            throw noAnswer();
        });
        assertThat(r.outcomes()).containsEntry(B, "created").containsEntry(A, "deleted");
        assertThat(sent).as("recognised as applied, not sent again (a delete sent again would say 'not found')").hasValue(1);
        assertThat(r.revision()).isEqualTo(revisionKey().getModRevision());
        assertThat(revisionKey().getVersion()).as("two commits: A's and this one").isEqualTo(2);
    }

    @Test
    void anAppliedTransactionWhoseAnswerIsLostIsFoundInHistoryAfterAnotherCommit() {
        long[] applied = new long[1];
        CommitResult r = commit(List.of(new Change.Delete(A)), txn -> {
            applied[0] = etcd.call("commit", txn).getHeader().getRevision();
            other.commit(List.of(new Change.Put(C, "{c}", "")));
            throw noAnswer();
        });
        assertThat(r.outcomes()).containsEntry(A, "deleted");
        assertThat(r.revision()).as("the revision of this commit, not the later one").isEqualTo(applied[0]);
        assertThat(revisionKey().getModRevision()).isGreaterThan(applied[0]);
        assertThat(revisionKey().getVersion()).isEqualTo(3);
        assertThat(t.store(etcd).list()).extracting(StoredObject::key).containsExactly(C);
    }

    @Test
    void aTransactionThatWasNeverSentIsSentAgainOnce() {
        AtomicInteger sent = new AtomicInteger();
        CommitResult r = commit(List.of(new Change.Delete(A)), txn -> {
            if (sent.incrementAndGet() == 1) {
                throw noAnswer();
            }
            return etcd.call("commit", txn);
        });
        assertThat(r.outcomes()).containsEntry(A, "deleted");
        assertThat(sent).hasValue(2);
        assertThat(revisionKey().getVersion()).isEqualTo(2);
        assertThat(r.revision()).isEqualTo(revisionKey().getModRevision());
    }

    @Test
    void aTransactionNeverSentWhileAnotherCommitCameIsPlannedAndCheckedAgain() {
        AtomicInteger sent = new AtomicInteger();
        List<List<StoredObject>> checked = new ArrayList<>();
        CommitResult r = commit(List.of(new Change.Put(B, "{mine}", "")), checked, txn -> {
            if (sent.incrementAndGet() == 1) {
                other.commit(List.of(new Change.Put(B, "{theirs}", "")));
                throw noAnswer();
            }
            return etcd.call("commit", txn);
        });
        assertThat(r.outcomes()).containsEntry(B, "configured");
        assertThat(checked).hasSize(2);
        assertThat(checked.get(1)).extracting(StoredObject::document).containsExactly("{a}", "{theirs}");
        assertThat(t.store(etcd).get(B).orElseThrow().document()).isEqualTo("{mine}");
        assertThat(revisionKey().getVersion()).isEqualTo(3);
    }

    @Test
    void whenEtcdIsGoneAfterAnUnansweredTransactionTheOutcomeIsSaidToBeUnknown() throws Exception {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> commit(List.of(new Change.Put(B, "{b}", "")), txn -> {
            etcd.call("commit", txn);
            CLUSTER.get().cluster().kill("etcd1");
            throw noAnswer();
        })).isInstanceOf(StoreException.class).hasMessageStartingWith(Etcd.UNAVAILABLE + ": commit: outcome unknown");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("three timeouts, and a little").isLessThan(Duration.ofSeconds(8));
        CLUSTER.get().cluster().restart("etcd1", Duration.ofSeconds(30));
        assertThat(t.store(t.client(Duration.ofSeconds(5))).get(B)).as("it was applied: hence 'unknown', not 'failed'").isPresent();
    }
}
