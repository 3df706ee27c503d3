package dev.weir.ebpf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The kernel objects of one loaded {@link ObjectSpec}: its programs and maps.
 *
 * <p>Owns them: programs and maps handed out by {@link #program}, {@link #map}, {@link #perCpuMap} and
 * {@link #programArray} are views that stay usable until this object is closed ({@link #close()} on a
 * view does nothing). Closing releases every descriptor; pinned maps and programs, and programs
 * attached through links, live on in the kernel. Thread-safe for lookups; close once.
 */
public final class BpfObject implements AutoCloseable {

    private final ObjectSpec spec;
    private final OpenedObject opened;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final Map<String, Fd> mapFds = new LinkedHashMap<>();
    private final Map<String, MapInfo> mapInfos = new LinkedHashMap<>();
    private boolean closed;

    private BpfObject(ObjectSpec spec, OpenedObject opened) {
        this.spec = spec;
        this.opened = opened;
        try {
            for (var p : opened.programs()) {
                String name = LibBpf.bpfProgramName(p);
                programs.put(name, new BpfProgram(new Fd(LibBpf.bpfProgramFd(p)).dup(), false, name));
            }
            for (var m : opened.maps()) {
                String name = LibBpf.bpfMapName(m);
                Fd fd = new Fd(LibBpf.bpfMapFd(m)).dup();
                mapFds.put(name, fd);
                mapInfos.put(name, Infos.map(fd, name));
            }
        } catch (RuntimeException e) {
            releaseViews();
            throw e;
        }
    }

    /** {@link #load(ObjectSpec, LoadOptions)} with {@link LoadOptions#defaults()}. */
    public static BpfObject load(ObjectSpec spec) {
        return load(spec, LoadOptions.defaults());
    }

    /**
     * Creates the spec's maps and loads its programs into the kernel.
     *
     * @throws BpfVerifierException when the verifier rejects a program (with its log)
     * @throws BpfKernelException   when the kernel refuses a map or program, or a pinned map cannot be
     *                              reused (the message says what differs)
     * @throws BpfSpecException     when the options name maps or constants the object lacks
     */
    public static BpfObject load(ObjectSpec spec, LoadOptions options) {
        OpenedObject opened = OpenedObject.open(spec.name(), spec.elf());
        try {
            new ObjectLoader(opened, spec, options).load();
            return new BpfObject(spec, opened);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    public ObjectSpec spec() {
        return spec;
    }

    /** @throws BpfSpecException naming the programs that exist */
    public BpfProgram program(String name) {
        BpfProgram p = programs.get(name);
        if (p == null) {
            spec.program(name);
            throw new BpfSpecException("program " + name + " was not loaded");
        }
        return p;
    }

    /** Every program, in the object's order. */
    public List<BpfProgram> programs() {
        return List.copyOf(programs.values());
    }

    /**
     * A typed view of map {@code name}.
     *
     * @throws BpfSpecException         naming the maps that exist
     * @throws IllegalArgumentException when a codec's size differs from the map's
     */
    public <K, V> BpfMap<K, V> map(String name, Codec<K> keys, Codec<V> values) {
        return new BpfMap<>(fd(name), false, mapInfos.get(name), keys, values);
    }

    /** A typed view of per-CPU map {@code name}; {@code perCpuValue} encodes one CPU's value. */
    public <K, V> BpfPerCpuMap<K, V> perCpuMap(String name, Codec<K> keys, Codec<V> perCpuValue) {
        return new BpfPerCpuMap<>(fd(name), false, mapInfos.get(name), keys, perCpuValue);
    }

    /** The tail-call table {@code name}. */
    public ProgramArray programArray(String name) {
        return new ProgramArray(map(name, Codec.u32(), Codec.u32()));
    }

    /** The names of all maps, including libbpf's internal ones. */
    public List<String> mapNames() {
        return List.copyOf(mapFds.keySet());
    }

    private Fd fd(String name) {
        Fd fd = mapFds.get(name);
        if (fd == null) {
            throw new BpfSpecException("object " + spec.name() + " has no map '" + name + "' (it has: "
                    + String.join(", ", mapFds.keySet()) + ")");
        }
        return fd;
    }

    private void releaseViews() {
        programs.values().forEach(p -> p.fd().close());
        mapFds.values().forEach(Fd::close);
    }

    /** Releases every descriptor of the object; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseViews();
        opened.close();
    }

    @Override
    public String toString() {
        return "BpfObject[" + spec.name() + ": " + programs.keySet().stream().collect(Collectors.joining(", ")) + "]";
    }
}
