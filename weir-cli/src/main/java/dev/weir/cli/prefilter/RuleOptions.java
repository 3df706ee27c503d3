package dev.weir.cli.prefilter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.agent.prefilter.PrefilterRule.Action;
import picocli.CommandLine.Option;

/** What a rule matches, as flags: one rule per prefix given (or one rule without a prefix). */
final class RuleOptions {

    @Option(names = "--action", paramLabel = "deny|allow", defaultValue = "deny",
            description = "What a match does (default: ${DEFAULT-VALUE}).")
    String action;

    @Option(names = "--src", paramLabel = "CIDR", split = ",", description = "Source prefix(es), IPv4 or IPv6; one rule each.")
    List<String> src = new ArrayList<>();

    @Option(names = "--dst", paramLabel = "CIDR", split = ",", description = "Destination prefix(es); one rule each.")
    List<String> dst = new ArrayList<>();

    @Option(names = "--src-file", paramLabel = "FILE",
            description = "Source prefixes, one per line ('#' comments), each a rule.")
    Path srcFile;

    @Option(names = "--proto", paramLabel = "PROTO", description = "tcp, udp, sctp, icmp or icmpv6.")
    String proto;

    @Option(names = "--dport", paramLabel = "PORT[-PORT]", description = "Destination port or range (needs --proto tcp|udp|sctp).")
    String dport;

    @Option(names = "--dry-run", description = {"A deny rule in dry run: what it matches passes and is counted as",
            "would-drop (weir prefilter stats), in its hit counter and in sampled events."})
    boolean dryRun;

    /** The rules these flags describe, validated; ids are assigned later. */
    List<PrefilterRule> rules() {
        Action a = switch (action.toLowerCase()) {
            case "deny", "drop" -> Action.DENY;
            case "allow", "pass" -> Action.ALLOW;
            default -> throw new IllegalArgumentException("--action must be deny or allow, not '" + action + "'");
        };
        Protocol p = proto == null ? null : Protocol.parse(proto);
        PortRange ports = dport == null ? null : PortRange.parse(dport);
        List<String> srcs = new ArrayList<>(src);
        if (srcFile != null) {
            srcs.addAll(readPrefixes(srcFile));
        }
        if (!srcs.isEmpty() && !dst.isEmpty()) {
            throw new IllegalArgumentException("a prefilter rule matches one address side: give --src or --dst, not both");
        }
        List<PrefilterRule> out = new ArrayList<>();
        for (String s : srcs) {
            out.add(new PrefilterRule(0, a, Cidr.parse(s), null, p, ports, dryRun));
        }
        for (String d : dst) {
            out.add(new PrefilterRule(0, a, null, Cidr.parse(d), p, ports, dryRun));
        }
        if (out.isEmpty()) {
            out.add(new PrefilterRule(0, a, null, null, p, ports, dryRun));
        }
        return out;
    }

    boolean empty() {
        return src.isEmpty() && dst.isEmpty() && srcFile == null && proto == null && dport == null;
    }

    private static List<String> readPrefixes(Path file) {
        try {
            List<String> out = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(file)) {
                n++;
                String t = line.replaceAll("#.*", "").strip();
                if (t.isEmpty()) {
                    continue;
                }
                try {
                    Cidr.parse(t);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": " + e.getMessage());
                }
                out.add(t);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
