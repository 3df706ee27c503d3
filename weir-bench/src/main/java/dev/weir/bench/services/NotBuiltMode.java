package dev.weir.bench.services;

import java.util.Optional;

/**
 * A column for a mode that does not exist yet (weir's TC and socket-level service translation): shown
 * as "n/a (not built yet)". Replace it by a real {@link Mode} in {@link ServicesBenchCommand#modes}.
 */
record NotBuiltMode(String name) implements Mode {

    @Override
    public Optional<String> unavailable() {
        return Optional.of("not built yet");
    }

    @Override
    public double install(int services) {
        throw new UnsupportedOperationException(name + " is not built yet");
    }

    @Override
    public Target target() {
        throw new UnsupportedOperationException(name + " is not built yet");
    }

    @Override
    public void remove() {
        // nothing was installed
    }
}
