package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Intent in, load-balancer state out: {@code examples/services} plus {@code golden/services-extra.yaml}
 * over the lab's two nodes must resolve to exactly {@code golden/services-lab.txt} (node1, then node2;
 * backend y/b in maintenance). To accept a deliberate change, run with {@code -Dweir.golden.update=true}
 * and review the diff.
 */
class ServiceGoldenTest {

    private static final Path DIR = Path.of("src/test/resources/golden");

    @Test
    void resolvesTheLabServicesToTheGoldenDump() throws IOException {
        ServiceObjects o = new ServiceParser(Lab.CONFIG).parse(List.of(Path.of("../examples/services"), DIR.resolve("services-extra.yaml")));
        BackendOverrides overrides = new BackendOverrides(Map.of("10.244.2.20", BackendState.MAINTENANCE));
        StringBuilder got = new StringBuilder();
        for (String node : List.of("node1", "node2")) {
            LbState s = new ServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator())
                    .resolve(o.services(), o.slices(), Lab.NODES, node, overrides);
            got.append(LbStateDump.dump(s)).append('\n');
        }
        Path golden = DIR.resolve("services-lab.txt");
        if (Boolean.getBoolean("weir.golden.update")) {
            Files.writeString(golden, got);
        }
        assertThat(golden).as("golden file (create it with -Dweir.golden.update=true)").exists();
        assertThat(got.toString()).isEqualTo(Files.readString(golden));
    }
}
