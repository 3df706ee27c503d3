package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.grpc.Status;

/**
 * Reads and small helpers shared by the store's parts: a consistent listing of key ranges (paged, every
 * page at one etcd revision), compares, the limit on operations in one transaction, and which failures
 * prove a transaction was not applied. Stateless.
 */
final class EtcdReads {

    /**
     * Operations one transaction may hold: etcd 3.4's default {@code --max-txn-ops} is 128 (it limits the
     * compares, the success and the failure operations each).
     */
    static final int MAX_TXN_OPS = 128;

    /** Keys per page of a listing. */
    static final int PAGE = 1000;

    /** A key range relative to the prefix: one key when {@code prefix} is false, else every key under it. */
    record Range(String key, boolean prefix) {
        static Range key(String key) {
            return new Range(key, false);
        }

        static Range under(String prefix) {
            return new Range(prefix, true);
        }

        boolean contains(String relative) {
            return prefix ? relative.startsWith(key) : relative.equals(key);
        }
    }

    /** Every key of some ranges, read at one etcd revision. */
    record Listing(long revision, List<KeyValue> kvs) {
    }

    private EtcdReads() {
    }

    /**
     * Lists {@code ranges} at one revision (the first page's, or {@code revision} when it is not 0).
     *
     * @throws StoreException kvstore unavailable (also when the revision was compacted between pages)
     */
    static Listing list(Etcd etcd, String what, List<Range> ranges, long revision) {
        List<KeyValue> out = new ArrayList<>();
        long rev = revision;
        for (Range r : ranges) {
            ByteSequence from = etcd.key(r.key());
            ByteSequence end = r.prefix() ? OptionsUtil.prefixEndOf(from) : null;
            while (true) {
                GetOption.Builder o = GetOption.builder().withRevision(rev);
                if (end != null) {
                    o.withRange(end).withLimit(PAGE);
                }
                ByteSequence start = from;
                GetResponse g = etcd.call("list", Etcd.scope(r.key()), what, () -> etcd.client().getKVClient().get(start, o.build()));
                rev = rev == 0 ? g.getHeader().getRevision() : rev;
                out.addAll(g.getKvs());
                if (end == null || !g.isMore() || g.getKvs().isEmpty()) {
                    break;
                }
                from = g.getKvs().getLast().getKey().concat(ByteSequence.from(new byte[] {0}));
            }
        }
        return new Listing(rev, out);
    }

    static Cmp modRevisionIs(ByteSequence key, long modRevision) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision));
    }

    /**
     * True when etcd refused the request outright (too many operations, too large, invalid), so it was
     * certainly not applied; any other failure (no answer, connection lost) leaves the outcome open.
     */
    static boolean refused(StoreException e) {
        Throwable c = e.getCause();
        while (c != null) {
            if (c instanceof io.etcd.jetcd.common.exception.EtcdException ee) {
                return definite(ee.getErrorCode().name(), ee.getMessage());
            }
            Status s = Status.fromThrowable(c);
            if (s.getCode() != Status.Code.UNKNOWN) {
                return definite(s.getCode().name(), s.getDescription());
            }
            if (c.getCause() == c) {
                break;
            }
            c = c.getCause();
        }
        String m = e.getMessage() == null ? "" : e.getMessage();
        return m.contains("too many operations") || m.contains("request is too large");
    }

    private static boolean definite(String code, String message) {
        return switch (code) {
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "PERMISSION_DENIED", "UNAUTHENTICATED",
                 "RESOURCE_EXHAUSTED" -> true;
            default -> message != null && (message.contains("too many operations") || message.contains("request is too large"));
        };
    }

    /** Sleeps a little, more after each try, with jitter so that racing writers spread out. */
    static void backoff(int attempt) {
        long ms = ThreadLocalRandom.current().nextLong(1, 2 + Math.min(50, 3L * attempt));
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while retrying", e);
        }
    }
}
