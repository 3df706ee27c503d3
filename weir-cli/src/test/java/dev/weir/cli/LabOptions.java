package dev.weir.cli;

import java.util.ArrayList;
import java.util.List;

/** The arguments of {@code weir lab up} for the lab tests, and the options the etcd variants add. */
final class LabOptions {

    /** A lab whose agents share a real 3-member etcd instead of the file store. */
    static final String[] ETCD = {"--kvstore", "etcd", "--etcd-members", "3"};

    private LabOptions() {
    }

    /** {@code lab up OPTIONS...}. */
    static String[] up(String... options) {
        List<String> args = new ArrayList<>(List.of("lab", "up"));
        args.addAll(List.of(options));
        return args.toArray(String[]::new);
    }

    /** The options followed by {@link #ETCD}. */
    static String[] etcd(String... options) {
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(List.of(ETCD));
        return args.toArray(String[]::new);
    }
}
