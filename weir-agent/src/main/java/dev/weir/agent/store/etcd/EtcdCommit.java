package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitPlan;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.store.etcd.EtcdKeys.RevisionValue;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;

/**
 * One {@link Store#commit} against etcd: read, plan ({@link CommitPlan}), check, and one transaction that
 * applies only if key {@code revision} is still at the mod_revision read; when another commit came first,
 * read, plan and check again ({@link #MAX_TRIES} times at most, with jittered backoff).
 *
 * <p>A transaction without an answer (a timeout, a member killed) may still be applied, now or later. Every
 * attempt of one commit writes the same commit id into {@code revision} (with the mod_revision it was
 * checked against), and an attempt with an open outcome is remembered with the revision it was checked
 * against, {@code M}. Before planning again, each such attempt is resolved: if {@code revision} now holds
 * this commit's id, that attempt was applied and its plan is the result; if {@code revision} moved past
 * {@code M}, the first version after {@code M} (read back through a watch from {@code M + 1}) tells whether
 * it was this commit's (applied) or another's (then this attempt can never apply); if it is still at
 * {@code M}, the next attempt checks against the same {@code M}, so at most one of them applies. So a retry
 * never applies a commit twice, and a commit that throws was not applied (except as below).
 *
 * <p>While reads fail, a commit without an open attempt throws at once ({@code kvstore unavailable}, nothing
 * sent); one with an open attempt keeps trying to resolve it for three operation timeouts and then throws
 * {@code kvstore unavailable: ... outcome unknown}: only that message leaves the outcome open. Single use;
 * not thread-safe.
 */
final class EtcdCommit {

    /**
     * A commit that lost the race this many times in a row, and for longer than the client's timeout, gives up:
     * on a loaded machine one try (read, plan, check, send) can take longer than the backoff, so a count alone
     * would give up while the writers ahead of it are still making progress.
     */
    static final int MAX_TRIES = 20;

    private record Read(long revision, RevisionValue value, long header, List<StoredObject> objects) {
    }

    /** Sends a commit's transaction and waits for the answer (tests put faults here). */
    @FunctionalInterface
    interface Sender {
        /** @throws StoreException when no answer came: the outcome is open */
        TxnResponse send(java.util.function.Supplier<CompletableFuture<TxnResponse>> transaction);
    }

    private final Etcd etcd;
    private final ObjectCache cache;
    private final List<Change> changes;
    private final Store.CommitCheck check;
    private final Sender sender;
    private final String id = UUID.randomUUID().toString();
    private final ByteSequence revisionKey;
    /** Attempts whose outcome is open: the revision key's mod_revision they were checked against, and their plan. */
    private final Map<Long, CommitPlan> open = new LinkedHashMap<>();
    private long openSince;

    EtcdCommit(Etcd etcd, ObjectCache cache, List<Change> changes, Store.CommitCheck check) {
        this(etcd, cache, changes, check, t -> etcd.call("txn", "objects", "commit", t));
    }

    EtcdCommit(Etcd etcd, ObjectCache cache, List<Change> changes, Store.CommitCheck check, Sender sender) {
        this.sender = sender;
        this.etcd = etcd;
        this.cache = cache;
        this.changes = List.copyOf(changes);
        this.check = check;
        this.revisionKey = etcd.key(EtcdKeys.REVISION);
    }

    CommitResult run() {
        int lost = 0;
        long start = System.nanoTime();
        while (true) {
            Now now = look();
            if (now.mine().isPresent()) {
                return now.mine().get();
            }
            Read read = now.read();
            CommitPlan plan = CommitPlan.of(read.objects(), changes, read.header() + 1);
            if (!plan.changed()) {
                return plan.result(read.revision());
            }
            check.check(plan.before(), plan.after());
            cache.committing(plan.writes());
            Optional<TxnResponse> answer = send(read, plan);
            if (answer.isEmpty()) {
                continue;
            }
            if (answer.get().isSucceeded()) {
                return plan.result(answer.get().getHeader().getRevision());
            }
            cache.notCommitted(plan.writes());
            if (++lost >= MAX_TRIES && System.nanoTime() - start > etcd.config().timeout().toNanos()) {
                throw new StoreException("commit: another commit came first " + lost + " times in a row, for "
                        + etcd.config().timeout().toSeconds() + " s; try again");
            }
            EtcdReads.backoff(lost);
        }
    }

    /** What etcd holds now, and whether an open attempt of this commit turned out applied. */
    private record Now(Read read, Optional<CommitResult> mine) {
    }

    /**
     * Reads and resolves open attempts; while an attempt is open, a failing read is tried again (for three
     * timeouts) instead of failing the commit, which might have been applied.
     */
    private Now look() {
        while (true) {
            try {
                Read read = read();
                return new Now(read, resolve(read));
            } catch (StoreException e) {
                if (open.isEmpty()) {
                    throw e;
                }
                if (System.nanoTime() - openSince > 3 * etcd.config().timeout().toNanos()) {
                    throw new StoreException(Etcd.UNAVAILABLE + ": commit: outcome unknown: a transaction was sent without an"
                            + " answer and etcd could not be read since (" + e.getMessage() + ")", e);
                }
                sleep(RangeMirror.RETRY.toMillis());
            }
        }
    }

    /** The transaction's answer; empty when none came (the attempt is remembered as open). */
    private Optional<TxnResponse> send(Read read, CommitPlan plan) {
        try {
            return Optional.of(sender.send(() -> transaction(read, plan)));
        } catch (StoreException e) {
            if (EtcdReads.refused(e)) {
                throw new StoreException("commit of " + plan.writes().size() + " changes: etcd refused the transaction ("
                        + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()) + "); one commit is one"
                        + " transaction, limited by the members' --max-txn-ops (default 128 operations) and"
                        + " --max-request-bytes (default 1.5 MiB)", e);
            }
            if (open.isEmpty()) {
                openSince = System.nanoTime();
            }
            open.put(read.revision(), plan);
            return Optional.empty();
        }
    }

    /** {@code revision} (linearizable), and the objects at the same etcd revision: the cache's when it is there. */
    private Read read() {
        GetResponse g = etcd.call("get", "objects", "commit: read " + EtcdKeys.REVISION, () -> etcd.client().getKVClient().get(revisionKey));
        long header = g.getHeader().getRevision();
        KeyValue kv = g.getKvs().isEmpty() ? null : g.getKvs().getFirst();
        long revision = kv == null ? 0 : kv.getModRevision();
        RevisionValue value = kv == null ? RevisionValue.NONE : EtcdKeys.revisionValue(kv.getValue().getBytes());
        Store.Snapshot cached = cache.snapshot();
        List<StoredObject> objects = cached.revision() == revision && revision != 0 ? cached.objects()
                : ObjectCache.decodeAll(etcd, EtcdReads.list(etcd, "commit: read objects",
                        List.of(EtcdReads.Range.under(EtcdKeys.OBJECTS)), header).kvs());
        return new Read(revision, value, header, objects);
    }

    private Optional<CommitResult> resolve(Read read) {
        if (open.isEmpty()) {
            return Optional.empty();
        }
        if (id.equals(read.value().commit()) && open.containsKey(read.value().after())) {
            return Optional.of(open.get(read.value().after()).result(read.revision()));
        }
        for (Iterator<Map.Entry<Long, CommitPlan>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, CommitPlan> e = it.next();
            if (e.getKey() == read.revision()) {
                continue; // not applied (yet); the next attempt is checked against the same revision
            }
            KeyValue next = firstVersionAfter(e.getKey());
            if (id.equals(EtcdKeys.revisionValue(next.getValue().getBytes()).commit())) {
                return Optional.of(e.getValue().result(next.getModRevision()));
            }
            it.remove(); // another commit moved the key first: this attempt's check can never pass
        }
        return Optional.empty();
    }

    /** The version of {@code revision} written first after mod_revision {@code m}, from etcd's history. */
    private KeyValue firstVersionAfter(long m) {
        CompletableFuture<KeyValue> first = new CompletableFuture<>();
        Watch.Watcher w = etcd.client().getWatchClient().watch(revisionKey, WatchOption.builder().withRevision(m + 1).build(),
                Watch.listener(r -> {
                    if (!r.getEvents().isEmpty()) {
                        first.complete(r.getEvents().getFirst().getKeyValue());
                    }
                }, first::completeExceptionally));
        try {
            return etcd.call("watch-history", "objects", "commit: read the history of " + EtcdKeys.REVISION, () -> first);
        } finally {
            w.close();
        }
    }

    private CompletableFuture<TxnResponse> transaction(Read read, CommitPlan plan) {
        List<Op> ops = new ArrayList<>();
        for (Change c : plan.writes()) {
            ByteSequence key = etcd.key(EtcdKeys.object(c.key()));
            switch (c) {
                case Change.Put p -> ops.add(Op.put(key, ByteSequence.from(EtcdKeys.objectValue(p.document(), p.source())),
                        PutOption.DEFAULT));
                case Change.Delete d -> ops.add(Op.delete(key, DeleteOption.DEFAULT));
            }
        }
        ops.add(Op.put(revisionKey, ByteSequence.from(EtcdKeys.revisionValue(new RevisionValue(id, read.revision(), System.currentTimeMillis()))),
                PutOption.DEFAULT));
        return etcd.client().getKVClient().txn()
                .If(EtcdReads.modRevisionIs(revisionKey, read.revision()))
                .Then(ops.toArray(Op[]::new))
                .commit();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("commit: interrupted", e);
        }
    }
}
