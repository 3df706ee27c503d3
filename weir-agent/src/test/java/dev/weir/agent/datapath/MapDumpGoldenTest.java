package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.conformance.ConformanceCase;
import dev.weir.agent.conformance.ConformanceCases;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.testkit.Requirements;

/**
 * Intent in, map dump out: a conformance case's policies resolved over the netpol model and written by the
 * agent's map writer into fresh {@code tc_endpoint} objects (one per node, one apply), and what
 * {@code ep_by_ifindex}, {@code ipcache} and {@code pol} then hold, read back from the kernel, must be
 * exactly {@code golden-maps/CASE.txt}. To accept a deliberate change, run with
 * {@code -Dweir.golden.update=true} and review the diff.
 */
class MapDumpGoldenTest {

    private static final Path DIR = Path.of("src/test/resources/golden-maps");

    @ParameterizedTest
    @ValueSource(strings = {"33-ipblock-pod-ips", "46-deny-propagation-range", "51-pod-scoped-mode"})
    void theWriterProducesTheGoldenMaps(String name) throws IOException {
        Requirements.root();
        ConformanceCase c = ConformanceCases.load().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        PolicyResult r = new PolicyEngine().resolve(NetpolCluster.snapshot(new PolicyParser().parse(c.policies())),
                new InMemoryIdentityAllocator());
        List<NodeDatapath> nodes = new ArrayList<>();
        try {
            for (Node n : r.snapshot().nodes()) {
                NodeDatapath dp = new NodeDatapath(n);
                nodes.add(dp);
                dp.apply(r);
            }
            String got = "# " + c.name() + ": " + c.description() + "\n" + MapDump.render(r, nodes);
            Path golden = DIR.resolve(name + ".txt");
            if (Boolean.getBoolean("weir.golden.update")) {
                Files.createDirectories(DIR);
                Files.writeString(golden, got);
            }
            assertThat(golden).as("golden file (create it with -Dweir.golden.update=true)").exists();
            assertThat(got).isEqualTo(Files.readString(golden));
        } finally {
            nodes.forEach(NodeDatapath::close);
        }
    }
}
