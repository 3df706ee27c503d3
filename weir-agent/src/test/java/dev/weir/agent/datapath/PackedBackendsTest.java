package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.weir.datapath.lb.LbBackend;

class PackedBackendsTest {

    /** Random puts and removes, held to a HashMap (removal moves probe runs back; the table grows). */
    @Test
    void behavesAsAMapOfBackendEntries() {
        Random random = new Random(11);
        PackedBackends packed = new PackedBackends();
        Map<Integer, LbBackend> expected = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            int id = random.nextInt(5000) * (random.nextBoolean() ? 1 : 429_497); // small and spread-out ids
            if (random.nextInt(3) == 0) {
                assertThat(packed.remove(id)).isEqualTo(expected.remove(id));
            } else {
                byte[] addr = new byte[16];
                random.nextBytes(addr);
                LbBackend b = new LbBackend(addr, random.nextInt(65536), random.nextBoolean() ? 6 : 17, random.nextInt(4));
                assertThat(packed.put(id, b)).isEqualTo(expected.put(id, b));
            }
            int probe = random.nextInt(5000);
            assertThat(packed.get(probe)).isEqualTo(expected.get(probe));
            assertThat(packed.containsKey(probe)).isEqualTo(expected.containsKey(probe));
        }
        assertThat(packed).hasSize(expected.size());
        assertThat(new HashMap<>(packed)).isEqualTo(expected);
        packed.clear();
        assertThat(packed).isEmpty();
    }
}
