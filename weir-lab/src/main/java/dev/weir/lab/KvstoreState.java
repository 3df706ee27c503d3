package dev.weir.lab;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The lab's kvstore, as {@code kvstore} in lab.json and {@code weir lab status -o json} (a stable
 * contract, see weir-lab/README.md): {@code {"kind": "file", "dir": …}} or
 * {@code {"kind": "etcd", "endpoints": "http://127.0.0.1:23790,…", "members": [{…}, …]}}. Immutable.
 *
 * @param kind      {@code file} or {@code etcd}
 * @param dir       file: the store directory the lab's weir agents share (absent when not recorded)
 * @param endpoints etcd: every member's client URL, comma-separated, as {@code weir agent --kvstore-endpoints}
 *                  takes them
 * @param members   etcd: the members in order ({@code etcd1} …)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KvstoreState(String kind, String dir, String endpoints, List<Member> members) {

    public KvstoreState {
        members = members == null ? null : List.copyOf(members);
    }

    /**
     * One etcd member.
     *
     * @param name      {@code etcd1} …
     * @param clientUrl {@code http://127.0.0.1:23790}
     * @param peerUrl   {@code http://127.0.0.1:23791}
     * @param pid       the etcd process
     * @param dataDir   its data directory, on tmpfs ({@code /dev/shm/weir-lab-etcd/etcd1})
     * @param log       its log ({@code /run/weir/lab/logs/etcd1.log})
     * @param alive     whether the process was running when this was read
     * @param healthy   whether it answered {@code /health} with {@code true} when this was read
     */
    public record Member(String name, String clientUrl, String peerUrl, long pid, String dataDir, String log,
                         boolean alive, boolean healthy) {
    }

    public static KvstoreState file(String dir) {
        return new KvstoreState(KvstoreConfig.FILE, dir, null, null);
    }

    public static KvstoreState etcd(List<Member> members) {
        return new KvstoreState(KvstoreConfig.ETCD, null,
                String.join(",", members.stream().map(Member::clientUrl).toList()), members);
    }

    public boolean etcd() {
        return KvstoreConfig.ETCD.equals(kind);
    }
}
