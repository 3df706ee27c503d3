package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command line without a kernel: help, version, and bad input rejected with exit 2 and a reason. */
class CommandLineTest {

    @Test
    void helpListsTheContractCommands() {
        InProcess.Result r = Cli.run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("version", "probe", "lab", "prefilter", "bpf", "net", "uninstall");
    }

    @Test
    void versionNamesWeirJavaAndKernel() {
        InProcess.Result r = Cli.run("version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("weir ", "java 25", "kernel ");
    }

    @Test
    void malformedCidrIsExit2WithTheReason() {
        InProcess.Result r = Cli.run("prefilter", "add", "--src", "10.0.0.0/33");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("invalid CIDR '10.0.0.0/33'", "exceeds 32");
    }

    @Test
    void malformedPortAndProtocolAreExit2() {
        InProcess.Result port = Cli.run("prefilter", "add", "--proto", "udp", "--dport", "70000");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).contains("port out of range 1..65535: 70000");
        InProcess.Result proto = Cli.run("prefilter", "add", "--proto", "gre");
        assertThat(proto.exit()).isEqualTo(2);
        assertThat(proto.err()).contains("unknown protocol 'gre'");
        InProcess.Result noProto = Cli.run("prefilter", "add", "--dport", "53");
        assertThat(noProto.exit()).isEqualTo(2);
        assertThat(noProto.err()).contains("--dport needs --proto tcp, udp or sctp");
    }

    @Test
    void bothSidesInOneRuleIsRefused() {
        InProcess.Result r = Cli.run("prefilter", "add", "--src", "10.0.0.0/8", "--dst", "10.1.0.0/16");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("one address side");
    }

    @Test
    void unknownNamespaceAndModeAreExit2() {
        InProcess.Result ns = Cli.run("prefilter", "attach", "eth0", "--netns", "weir-no-such-ns");
        assertThat(ns.exit()).isEqualTo(2);
        assertThat(ns.err()).contains("network namespace 'weir-no-such-ns' does not exist");
        InProcess.Result mode = Cli.run("prefilter", "attach", "lo", "--mode", "turbo");
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode must be native, generic or auto");
    }

    @Test
    void labUpChecksItsOptionsBeforeTouchingAnything() {
        InProcess.Result kind = Cli.run("lab", "up", "--kvstore", "zookeeper");
        assertThat(kind.exit()).as(kind.toString()).isEqualTo(2);
        assertThat(kind.err()).contains("unknown kvstore 'zookeeper' (file or etcd)").doesNotContain("lab:");
        InProcess.Result members = Cli.run("lab", "up", "--kvstore", "etcd", "--etcd-members", "6");
        assertThat(members.exit()).as(members.toString()).isEqualTo(2);
        assertThat(members.err()).contains("--etcd-members must be 1 to 5, not 6").doesNotContain("lab:");
        InProcess.Result fileMembers = Cli.run("lab", "up", "--etcd-members", "3");
        assertThat(fileMembers.exit()).as(fileMembers.toString()).isEqualTo(2);
        assertThat(fileMembers.err()).contains("--etcd-members is for --kvstore etcd");
        InProcess.Result fileTtl = Cli.run("lab", "up", "--kvstore-lease-ttl", "10");
        assertThat(fileTtl.exit()).as(fileTtl.toString()).isEqualTo(2);
        assertThat(fileTtl.err()).contains("--kvstore-lease-ttl is for --kvstore etcd").doesNotContain("lab:");
        InProcess.Result shortTtl = Cli.run("lab", "up", "--kvstore", "etcd", "--kvstore-lease-ttl", "1");
        assertThat(shortTtl.exit()).as(shortTtl.toString()).isEqualTo(2);
        assertThat(shortTtl.err()).contains("--kvstore-lease-ttl must be at least 2 s, not 1 s").doesNotContain("lab:");
        InProcess.Result size = Cli.run("lab", "up", "--map-size", "lb_svc=10");
        assertThat(size.exit()).as(size.toString()).isEqualTo(2);
        assertThat(size.err()).contains("bad map size 'lb_svc=10': expected MAP=ENTRIES, MAP one of [pol, ipcache, ct, np_ct, np_frag]");
                InProcess.Result nodes = Cli.run("lab", "up", "--nodes", "9");
        assertThat(nodes.exit()).as(nodes.toString()).isEqualTo(2);
        assertThat(nodes.err()).contains("--nodes must be 1 to 8, not 9").doesNotContain("lab:");
    }

    @Test
    void labUpHelpNamesTheKvstoreOptions() {
        InProcess.Result r = Cli.run("lab", "up", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out().replaceAll("\\s+", " ")).contains("--kvstore=file|etcd", "--etcd-members=N",
                "/dev/shm/weir-lab-etcd/<member>", "client ports 23790, 23792", "how many members, 1 to 5 (default: 3)",
                "Number of nodes, 1 to 8", "--kvstore-lease-ttl=SECONDS");
    }

    @Test
    void unknownOptionIsAUsageError() {
        InProcess.Result r = Cli.run("prefilter", "add", "--source", "10.0.0.0/8");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--source'");
    }
}
