package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class NumberedKeysTest {

    @Test
    void packsOnlyTheCanonicalIpv4Form() {
        for (String k : List.of("10.0.0.1:80/TCP", "0.0.0.0:0/UDP", "255.255.255.255:65535/SCTP", "192.168.1.20:8080/TCP")) {
            assertThat(NumberedKeys.pack(k)).as(k).isNotZero();
            assertThat(NumberedKeys.unpack(NumberedKeys.pack(k))).isEqualTo(k);
        }
        for (String k : List.of("010.0.0.1:80/TCP", "10.0.0.1:080/TCP", "256.0.0.1:80/TCP", "10.0.0.1:65536/TCP",
                "10.0.0:80/TCP", "10.0.0.1.2:80/TCP", "10.0.0.1:80/tcp", "10.0.0.1:80/TCPX", "10.0.0.1:80", "[fd00::1]:80/TCP",
                "default/web/http/IPV4/cluster", "1.2.3.4:/TCP", "1.2.3.4:5/", "", "1000.0.0.1:80/TCP", "1.2.3.4:123456/TCP")) {
            assertThat(NumberedKeys.pack(k)).as(k).isZero();
        }
    }

    /** Random puts and removes of packed and unpacked keys, held to a HashMap (removal moves probe runs back). */
    @Test
    void behavesAsAMap() {
        Random random = new Random(7);
        NumberedKeys keys = new NumberedKeys();
        Map<String, Integer> expected = new HashMap<>();
        List<String> pool = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            pool.add(random.nextInt(4) == 0 ? "svc-" + i : "10." + random.nextInt(3) + "." + random.nextInt(256) + "." + random.nextInt(256)
                    + ":" + random.nextInt(3) * 80 + "/" + (random.nextBoolean() ? "TCP" : "UDP"));
        }
        for (int step = 0; step < 200_000; step++) {
            String k = pool.get(random.nextInt(pool.size()));
            if (random.nextInt(3) == 0) {
                Integer was = expected.remove(k);
                assertThat(keys.remove(k)).isEqualTo(was == null ? 0 : was);
            } else {
                int id = step + 1;
                expected.put(k, id);
                keys.put(k, id);
            }
            String probe = pool.get(random.nextInt(pool.size()));
            assertThat(keys.get(probe)).isEqualTo(expected.getOrDefault(probe, 0));
        }
        assertThat(keys.size()).isEqualTo(expected.size());
        Map<String, Integer> listed = new HashMap<>();
        keys.forEach(listed::put);
        assertThat(listed).isEqualTo(expected);
    }
}
