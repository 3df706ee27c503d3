package dev.weir.ebpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Applies {@link LoadOptions} to an opened object and loads it: map sizes, {@code .rodata} constants,
 * pin paths (with the compatibility check libbpf only logs), per-program verifier log buffers.
 */
final class ObjectLoader {

    private static final long LOG_BUFFER = 1 << 20;

    private final OpenedObject object;
    private final ObjectSpec spec;
    private final LoadOptions options;

    ObjectLoader(OpenedObject object, ObjectSpec spec, LoadOptions options) {
        this.object = object;
        this.spec = spec;
        this.options = options;
    }

    /** Prepares and loads; the caller closes the object on failure. */
    void load() {
        applyMaxEntries();
        applyConstants();
        reuseOtherPins();
        if (options.reusePinned()) {
            setPinPaths();
        } else {
            refuseExistingPins();
        }
        loadWithLogs();
        if (!options.reusePinned()) {
            pinAfterLoad();
        }
    }

    private MemorySegment map(String name) {
        for (MemorySegment m : object.maps()) {
            if (LibBpf.bpfMapName(m).equals(name)) {
                return m;
            }
        }
        throw new BpfSpecException("object " + spec.name() + " has no map '" + name + "' (it has: "
                + spec.maps().stream().map(MapSpec::name).collect(Collectors.joining(", ")) + ")");
    }

    private void applyMaxEntries() {
        for (Map.Entry<String, Integer> e : options.maxEntries().entrySet()) {
            Native.check(LibBpf.bpfMapSetMaxEntries(map(e.getKey()), e.getValue()), "bpf_map__set_max_entries", e.getKey());
        }
    }

    /** Maps taken from another object's pins: sized as the pin, checked, then reused by libbpf at load. */
    private void reuseOtherPins() {
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, Path> e : options.reused().entrySet()) {
                MemorySegment m = map(e.getKey());
                Path pin = e.getValue();
                if (!Files.exists(pin)) {
                    throw new BpfKernelException("reuse pinned map", e.getKey(), -Errno.ENOENT.code(),
                            "nothing is pinned at " + pin);
                }
                int entries;
                try (Fd fd = Pins.open(pin)) {
                    entries = Infos.map(fd, pin.toString()).maxEntries();
                }
                Native.check(LibBpf.bpfMapSetMaxEntries(m, entries), "bpf_map__set_max_entries", e.getKey());
                PinCompatibility.check(ObjectSpec.mapSpec(m), pin);
                Native.check(LibBpf.bpfMapSetPinPath(m, arena.allocateFrom(pin.toString())),
                        "bpf_map__set_pin_path", e.getKey());
            }
        }
    }

    private void applyConstants() {
        if (options.constants().isEmpty()) {
            return;
        }
        BtfStruct rodata = spec.btf().datasec(".rodata").orElseThrow(() ->
                new BpfSpecException("object " + spec.name() + " has no .rodata section with BTF for constants "
                        + options.constants().keySet()));
        MemorySegment map = object.maps().stream().filter(m -> LibBpf.bpfMapName(m).endsWith(".rodata"))
                .findFirst().orElseThrow(() -> new BpfSpecException("object " + spec.name() + " has no .rodata map"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment data = LibBpf.bpfMapInitialValue(map, size);
            data = data.reinterpret(size.get(ValueLayout.JAVA_LONG, 0));
            for (Map.Entry<String, Long> c : options.constants().entrySet()) {
                BtfMember var = rodata.member(c.getKey()).orElseThrow(() -> new BpfSpecException("object "
                        + spec.name() + " has no constant '" + c.getKey() + "' in .rodata (it has: "
                        + rodata.members().stream().map(BtfMember::name).collect(Collectors.joining(", ")) + ")"));
                write(data, var, c.getValue());
            }
        }
    }

    private static void write(MemorySegment data, BtfMember var, long value) {
        switch (var.size()) {
            case 1 -> data.set(ValueLayout.JAVA_BYTE, var.offset(), (byte) value);
            case 2 -> data.set(ValueLayout.JAVA_SHORT_UNALIGNED, var.offset(), (short) value);
            case 4 -> data.set(ValueLayout.JAVA_INT_UNALIGNED, var.offset(), (int) value);
            case 8 -> data.set(ValueLayout.JAVA_LONG_UNALIGNED, var.offset(), value);
            default -> throw new BpfSpecException("constant " + var.name() + " is " + var.size()
                    + " bytes; only 1, 2, 4 and 8 byte integers can be set");
        }
    }

    private List<MemorySegment> pinnedMaps() {
        List<MemorySegment> out = new ArrayList<>();
        for (MemorySegment m : object.maps()) {
            if (options.pins(ObjectSpec.mapSpec(m))) {
                out.add(m);
            }
        }
        return out;
    }

    private Path pinPath(MemorySegment map) {
        Path dir = options.pinDirectory().orElseThrow();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create pin directory " + dir, e);
        }
        return dir.resolve(LibBpf.bpfMapName(map));
    }

    /** libbpf reuses a compatible pinned map and pins new ones after load; incompatible ones fail here. */
    private void setPinPaths() {
        try (Arena arena = Arena.ofConfined()) {
            for (MemorySegment m : pinnedMaps()) {
                Path path = pinPath(m);
                if (Files.exists(path)) {
                    MapSpec wanted = ObjectSpec.mapSpec(m);
                    PinCompatibility.check(wanted, path);
                    if (PinCompatibility.kernelAdded(wanted.type()) != 0) {
                        reuseFd(m, path);   // libbpf's own check would refuse the flag the kernel added
                        continue;
                    }
                }
                Native.check(LibBpf.bpfMapSetPinPath(m, arena.allocateFrom(path.toString())),
                        "bpf_map__set_pin_path", LibBpf.bpfMapName(m));
            }
        }
    }

    /** Makes the object use the map pinned at {@code pin} (checked already); libbpf dups the descriptor. */
    private static void reuseFd(MemorySegment m, Path pin) {
        try (Fd fd = Pins.open(pin)) {
            Native.check(LibBpf.bpfMapReuseFd(m, fd.get()), "bpf_map__reuse_fd", LibBpf.bpfMapName(m));
        }
    }

    private void refuseExistingPins() {
        for (MemorySegment m : pinnedMaps()) {
            Path path = pinPath(m);
            if (Files.exists(path)) {
                throw new BpfKernelException("bpf_obj_pin", LibBpf.bpfMapName(m), -Errno.EEXIST.code(),
                        "something is already pinned at " + path + " and reusePinned is false");
            }
        }
    }

    private void pinAfterLoad() {
        for (MemorySegment m : pinnedMaps()) {
            try (Fd fd = new Fd(LibBpf.bpfMapFd(m)).dup()) {
                Pins.pin(fd, pinPath(m), LibBpf.bpfMapName(m));
            }
        }
    }

    private void loadWithLogs() {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> programs = object.programs();
            List<MemorySegment> logs = new ArrayList<>();
            for (MemorySegment p : programs) {
                MemorySegment log = arena.allocate(LOG_BUFFER);
                Native.check(LibBpf.bpfProgramSetLogBuf(p, log), "bpf_program__set_log_buf", LibBpf.bpfProgramName(p));
                logs.add(log);
            }
            int rc = LibBpf.bpfObjectLoad(object.obj);
            if (rc >= 0) {
                return;
            }
            for (int i = 0; i < programs.size(); i++) {
                String log = logs.get(i).getString(0);
                if (!log.isBlank()) {
                    throw new BpfVerifierException(LibBpf.bpfProgramName(programs.get(i)), rc, log);
                }
            }
            throw new BpfKernelException("bpf_object__load", spec.name(), rc, "libbpf's log has the details");
        }
    }
}
