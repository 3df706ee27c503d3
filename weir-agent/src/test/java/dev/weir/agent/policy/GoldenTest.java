package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.agent.identity.InMemoryIdentityAllocator;

/**
 * Intent in, entries out: {@code golden/NAME.yaml} over the netpol model must resolve to exactly
 * {@code golden/NAME.txt}. To accept a deliberate change, run with {@code -Dweir.golden.update=true}
 * and review the diff.
 */
class GoldenTest {

    private static final Path DIR = Path.of("src/test/resources/golden");

    @ParameterizedTest
    @ValueSource(strings = {"k8s-ports-ipblock", "deny-propagation", "modes-egress"})
    void resolvesToTheGoldenDump(String name) throws IOException {
        var policies = new PolicyParser().parse(DIR.resolve(name + ".yaml"));
        PolicyResult r = new PolicyEngine().resolve(NetpolCluster.snapshot(policies), new InMemoryIdentityAllocator());
        String got = PolicyDump.dump(r).replace(DIR.toString(), "golden");
        Path golden = DIR.resolve(name + ".txt");
        if (Boolean.getBoolean("weir.golden.update")) {
            Files.writeString(golden, got);
        }
        assertThat(golden).as("golden file (create it with -Dweir.golden.update=true)").exists();
        assertThat(got).isEqualTo(Files.readString(golden));
    }
}
