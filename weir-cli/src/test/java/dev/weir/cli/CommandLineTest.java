package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command line without a kernel: help, version, and bad input rejected with exit 2 and a reason. */
class CommandLineTest {

    @Test
    void helpListsTheContractCommands() {
        Cli.Result r = Cli.run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("version", "probe", "lab", "prefilter", "bpf", "net", "uninstall");
    }

    @Test
    void versionNamesWeirJavaAndKernel() {
        Cli.Result r = Cli.run("version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("weir ", "java 25", "kernel ");
    }

    @Test
    void malformedCidrIsExit2WithTheReason() {
        Cli.Result r = Cli.run("prefilter", "add", "--src", "10.0.0.0/33");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("invalid CIDR '10.0.0.0/33'", "exceeds 32");
    }

    @Test
    void malformedPortAndProtocolAreExit2() {
        Cli.Result port = Cli.run("prefilter", "add", "--proto", "udp", "--dport", "70000");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).contains("port out of range 1..65535: 70000");
        Cli.Result proto = Cli.run("prefilter", "add", "--proto", "gre");
        assertThat(proto.exit()).isEqualTo(2);
        assertThat(proto.err()).contains("unknown protocol 'gre'");
        Cli.Result noProto = Cli.run("prefilter", "add", "--dport", "53");
        assertThat(noProto.exit()).isEqualTo(2);
        assertThat(noProto.err()).contains("--dport needs --proto tcp, udp or sctp");
    }

    @Test
    void bothSidesInOneRuleIsRefused() {
        Cli.Result r = Cli.run("prefilter", "add", "--src", "10.0.0.0/8", "--dst", "10.1.0.0/16");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("one address side");
    }

    @Test
    void unknownNamespaceAndModeAreExit2() {
        Cli.Result ns = Cli.run("prefilter", "attach", "eth0", "--netns", "weir-no-such-ns");
        assertThat(ns.exit()).isEqualTo(2);
        assertThat(ns.err()).contains("network namespace 'weir-no-such-ns' does not exist");
        Cli.Result mode = Cli.run("prefilter", "attach", "lo", "--mode", "turbo");
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode must be native, generic or auto");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli.Result r = Cli.run("prefilter", "add", "--source", "10.0.0.0/8");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--source'");
    }
}
