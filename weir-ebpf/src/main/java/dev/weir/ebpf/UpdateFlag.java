package dev.weir.ebpf;

/** How {@link BpfMap#update} treats an existing or absent key ({@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST}). */
public enum UpdateFlag {
    /** Create or replace. */
    ANY(0),
    /** Create only; {@link Errno#EEXIST} when the key exists. */
    NO_EXIST(1),
    /** Replace only; {@link Errno#ENOENT} when the key is absent. */
    EXIST(2);

    private final long code;

    UpdateFlag(long code) {
        this.code = code;
    }

    long code() {
        return code;
    }
}
