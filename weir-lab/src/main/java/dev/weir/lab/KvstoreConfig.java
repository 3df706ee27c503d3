package dev.weir.lab;

import java.util.Objects;

/**
 * The kvstore {@code lab up} gives the lab's weir agents: {@code file} (a directory the agents of this
 * machine share; the lab only records it) or {@code etcd} (a cluster of real etcd members the lab starts
 * on loopback before the agents, see {@link LabEtcd}). Immutable.
 *
 * @param kind    {@code file} or {@code etcd}
 * @param dir     file: the store directory, recorded in the lab's state (may be null); null for etcd
 * @param members etcd: how many members, 1 to {@value #MAX_MEMBERS}; 0 for file
 * @throws IllegalArgumentException for another kind or a member count out of range
 */
public record KvstoreConfig(String kind, String dir, int members) {

    public static final String FILE = "file";
    public static final String ETCD = "etcd";
    public static final int MAX_MEMBERS = 5;
    public static final int DEFAULT_MEMBERS = 3;

    public KvstoreConfig {
        Objects.requireNonNull(kind, "kind");
        if (kind.equals(ETCD)) {
            if (members < 1 || members > MAX_MEMBERS) {
                throw new IllegalArgumentException("--etcd-members must be 1 to " + MAX_MEMBERS + ", not " + members);
            }
            if (dir != null) {
                throw new IllegalArgumentException("an etcd kvstore has no store directory");
            }
        } else if (kind.equals(FILE)) {
            if (members != 0) {
                throw new IllegalArgumentException("--etcd-members is for --kvstore etcd");
            }
        } else {
            throw new IllegalArgumentException("unknown kvstore '" + kind + "' (file or etcd)");
        }
    }

    /** The file store in {@code dir} (recorded only; null when the lab has no weir agents). */
    public static KvstoreConfig file(String dir) {
        return new KvstoreConfig(FILE, dir, 0);
    }

    /** An etcd cluster of {@code members} members. */
    public static KvstoreConfig etcd(int members) {
        return new KvstoreConfig(ETCD, null, members);
    }

    /**
     * From {@code lab up}'s options: {@code kind} (null = file) and {@code members} (null = 3 with etcd).
     *
     * @param dir the file store's directory
     */
    public static KvstoreConfig of(String kind, Integer members, String dir) {
        String k = kind == null ? FILE : kind;
        if (k.equals(ETCD)) {
            return etcd(members == null ? DEFAULT_MEMBERS : members);
        }
        KvstoreConfig file = new KvstoreConfig(k, dir, 0);
        if (members != null) {
            throw new IllegalArgumentException("--etcd-members is for --kvstore etcd");
        }
        return file;
    }

    public boolean etcd() {
        return kind.equals(ETCD);
    }
}
