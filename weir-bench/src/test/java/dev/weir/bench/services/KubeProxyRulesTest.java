package dev.weir.bench.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class KubeProxyRulesTest {

    private static final List<KubeProxyRules.Endpoint> PODS = List.of(
            new KubeProxyRules.Endpoint("10.244.1.20", 80), new KubeProxyRules.Endpoint("10.244.2.20", 80));

    @Test
    void chainNamesAreKubeProxys() {
        // kube-proxy's own test fixture (pkg/proxy/iptables): ns1/svc1:p80 with endpoint 10.180.0.1:80
        assertThat("KUBE-SVC-" + KubeProxyRules.hash("ns1/svc1:p80" + "tcp")).isEqualTo("KUBE-SVC-XPGD46QRK7WJZT7O");
        assertThat("KUBE-SEP-" + KubeProxyRules.hash("ns1/svc1:p80" + "tcp" + "10.180.0.1:80"))
                .isEqualTo("KUBE-SEP-SXIVWICOYRO3J4NJ");
    }

    @Test
    void oneServiceRuleEachAndTheNodePortsJumpLast() {
        KubeProxyRules r = KubeProxyRules.of(3, 80, 2, PODS);
        List<String> services = lines(r.restoreInput(true), "-A KUBE-SERVICES ");
        assertThat(services).hasSize(4);
        assertThat(services.get(2)).contains("-d 10.96.0.12/32 -p tcp").contains("--dport 80")
                .endsWith("-j " + r.services().get(2).svcChain());
        assertThat(services.getLast()).contains("--dst-type LOCAL -j KUBE-NODEPORTS");
        assertThat(r.chainCount()).isEqualTo(4 + 3 + 6);
    }

    @Test
    void endpointsArePickedWithKubeProxysProbabilities() {
        KubeProxyRules r = KubeProxyRules.of(1, 80, 3, PODS);
        KubeProxyRules.Service s = r.services().getFirst();
        List<String> svc = lines(r.restoreInput(false), "-A " + s.svcChain() + " ");
        assertThat(svc).hasSize(4);
        assertThat(svc.get(0)).contains("! -s 10.244.0.0/16").endsWith("-j KUBE-MARK-MASQ");
        assertThat(svc.get(1)).contains("--probability 0.3333333333");
        assertThat(svc.get(2)).contains("--probability 0.5000000000");
        assertThat(svc.get(3)).doesNotContain("statistic");
        String sep = s.sepChain(PODS.get(1));
        assertThat(lines(r.restoreInput(false), "-A " + sep + " ")).containsExactly(
                "-A " + sep + " -s 10.244.2.20/32 -m comment --comment \"bench/svc-0:http\" -j KUBE-MARK-MASQ",
                "-A " + sep + " -p tcp -m comment --comment \"bench/svc-0:http\" -m tcp -j DNAT --to-destination 10.244.2.20:80");
    }

    @Test
    void hooksAndMasqueradeOnlyWhenAsked() {
        String with = KubeProxyRules.of(1, 80, 2, PODS).restoreInput(true);
        assertThat(with).startsWith("*nat\n").endsWith("COMMIT\n")
                .contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n")
                .contains("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n")
                .contains("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n")
                .contains("-j MASQUERADE --random-fully\n");
        assertThat(KubeProxyRules.of(1, 80, 2, PODS).restoreInput(false)).doesNotContain("-A PREROUTING");
    }

    @Test
    void partialSyncRewritesOneServiceAndDeletesTheOldEndpointChain() {
        KubeProxyRules before = KubeProxyRules.distinct(5, 80, 10);
        KubeProxyRules.Endpoint moved = new KubeProxyRules.Endpoint("10.200.0.1", 80);
        KubeProxyRules after = before.withEndpoint(4, 0, moved);
        String oldSep = before.services().get(4).sepChain(before.services().get(4).endpoints().getFirst());
        String in = after.partialRestoreInput(before, 4);
        assertThat(in).contains(":" + after.services().get(4).svcChain() + " - [0:0]")
                .contains(":" + oldSep + " - [0:0]\n").endsWith("-X " + oldSep + "\nCOMMIT\n")
                .contains("--to-destination 10.200.0.1:80").doesNotContain(after.services().get(3).svcChain());
    }

    @Test
    void addressesStayInTheirRanges() {
        assertThat(KubeProxyRules.clusterIp(0)).isEqualTo("10.96.0.10");
        assertThat(KubeProxyRules.clusterIp(29_999)).isEqualTo("10.96.117.57");
        assertThat(KubeProxyRules.syntheticPod(0)).isEqualTo("10.128.0.0");
        assertThat(KubeProxyRules.syntheticPod(100_000)).isEqualTo("10.129.134.160");
    }

    @Test
    void clientResultLineIsParsed() {
        CrrRun.Result r = CrrRun.parse("ok=100 errors=2 ns=2000000000 replies=x/b:60,y/b:40 firstError=timeout:Connection_timed_out");
        assertThat(r.rate()).isEqualTo(50.0);
        assertThat(r.replies()).containsEntry("x/b", 60L).containsEntry("y/b", 40L);
        assertThat(r.errors()).isEqualTo(2);
        assertThat(CrrRun.parse("ok=0 errors=0 ns=1000000000 replies=").replies()).isEmpty();
        CrrRun.Result spaced = CrrRun.parse("ok=5 errors=1 ns=1000000000 replies=x/b:5 firstError=connect:Connection reset by peer");
        assertThat(spaced.firstError()).as("strerror text has spaces").isEqualTo("connect:Connection reset by peer");
        assertThat(spaced.replies()).containsEntry("x/b", 5L);
    }

    private static List<String> lines(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).toList();
    }
}
