package dev.weir.ebpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An object file read into an immutable description of its programs, maps and BTF, without touching
 * the kernel: reading is deterministic, every kernel-dependent decision happens in
 * {@link BpfObject#load}. Holds the ELF bytes (on the heap) and nothing native; safe to share.
 *
 * @see BpfObject#load(ObjectSpec, LoadOptions)
 */
public final class ObjectSpec {

    private final String name;
    private final byte[] elf;
    private final List<ProgramSpec> programs;
    private final List<MapSpec> maps;
    private final Btf btf;

    private ObjectSpec(String name, byte[] elf, List<ProgramSpec> programs, List<MapSpec> maps, Btf btf) {
        this.name = name;
        this.elf = elf;
        this.programs = List.copyOf(programs);
        this.maps = List.copyOf(maps);
        this.btf = btf;
    }

    /**
     * Reads an object file.
     *
     * @throws BpfSpecException when the file cannot be read or is not a BPF object libbpf accepts
     */
    public static ObjectSpec read(Path file) {
        try {
            return read(objectName(file.getFileName().toString()), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new BpfSpecException("cannot read BPF object " + file + ": " + e, e);
        }
    }

    /**
     * Reads an object from a class-path resource, e.g. {@code resource(MyDatapath.class, "/bpf/x.o")}.
     *
     * @throws BpfSpecException when the resource is missing or not a BPF object
     */
    public static ObjectSpec resource(Class<?> anchor, String resourcePath) {
        try (InputStream in = anchor.getResourceAsStream(resourcePath)) {
            if (in == null) {
                throw new BpfSpecException("no resource " + resourcePath + " next to " + anchor.getName());
            }
            return read(objectName(Path.of(resourcePath).getFileName().toString()), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads an object from its ELF bytes; {@code name} names it in errors and prefixes internal maps.
     *
     * @throws BpfSpecException when libbpf does not accept the bytes
     */
    public static ObjectSpec read(String name, byte[] elf) {
        byte[] copy = elf.clone();
        try (OpenedObject o = OpenedObject.open(name, copy)) {
            List<ProgramSpec> programs = o.programs().stream().map(ObjectSpec::programSpec).toList();
            List<MapSpec> maps = o.maps().stream().map(ObjectSpec::mapSpec).toList();
            return new ObjectSpec(name, copy, programs, maps, Btf.read(LibBpf.bpfObjectBtf(o.obj)));
        }
    }

    static ProgramSpec programSpec(MemorySegment p) {
        return new ProgramSpec(LibBpf.bpfProgramName(p), LibBpf.bpfProgramSectionName(p),
                ProgramType.of(LibBpf.bpfProgramType(p)).orElse(ProgramType.UNSPEC));
    }

    static MapSpec mapSpec(MemorySegment m) {
        return new MapSpec(LibBpf.bpfMapName(m), MapType.of(LibBpf.bpfMapType(m)).orElse(MapType.UNSPEC),
                LibBpf.bpfMapKeySize(m), LibBpf.bpfMapValueSize(m), LibBpf.bpfMapMaxEntries(m),
                LibBpf.bpfMapFlags(m));
    }

    private static String objectName(String fileName) {
        return fileName.endsWith(".o") ? fileName.substring(0, fileName.length() - 2) : fileName;
    }

    /** The object's name (file name without {@code .o}, or as given). */
    public String name() {
        return name;
    }

    public List<ProgramSpec> programs() {
        return programs;
    }

    public List<MapSpec> maps() {
        return maps;
    }

    public Btf btf() {
        return btf;
    }

    /** @throws BpfSpecException naming the programs that exist, when there is none of that name */
    public ProgramSpec program(String programName) {
        return programs.stream().filter(p -> p.name().equals(programName)).findFirst().orElseThrow(() ->
                new BpfSpecException("object " + name + " has no program '" + programName + "' (it has: "
                        + programs.stream().map(ProgramSpec::name).collect(Collectors.joining(", ")) + ")"));
    }

    /** @throws BpfSpecException naming the maps that exist, when there is none of that name */
    public MapSpec map(String mapName) {
        return maps.stream().filter(m -> m.name().equals(mapName)).findFirst().orElseThrow(() ->
                new BpfSpecException("object " + name + " has no map '" + mapName + "' (it has: "
                        + maps.stream().map(MapSpec::name).collect(Collectors.joining(", ")) + ")"));
    }

    byte[] elf() {
        return elf;
    }

    @Override
    public String toString() {
        return "ObjectSpec[" + name + ", " + programs.size() + " programs, " + maps.size() + " maps]";
    }
}
