package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.LabelSelector;
import dev.weir.agent.yaml.ValidationException;
import dev.weir.agent.yaml.YamlDocuments;
import dev.weir.agent.yaml.YamlNode;

/**
 * Reads {@code weir.dev/v1 WeirPrefilter} documents strictly, as the policy and service readers do: unknown
 * fields, wrong types and bad values are {@link ValidationException}s naming the file, the object and the
 * field path ({@code spec.rules[1].sourceCIDRs[0]}). The rule model is the prefilter's own
 * ({@link PrefilterRule}: one address side, a protocol, a destination port range). Stateless.
 */
public final class WeirPrefilterReader {

    private static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> METADATA = Set.of("name", "namespace", "labels", "annotations");
    private static final Set<String> SPEC = Set.of("nodeSelector", "interfaces", "xdpMode", "mode", "rateLimit", "burst",
            "sampleEvery", "dryRun", "rules", "force", "synProxy", "redirect");
    private static final Set<String> SYN_PROXY = Set.of("port", "protocol");
    private static final Set<String> RULE = Set.of("action", "sourceCIDRs", "destinationCIDRs", "protocol", "port", "endPort",
            "dryRun");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    /** What the kernel takes as an interface name: 1 to 15 bytes, no '/', no white space, not "." or "..". */
    private static final Pattern IFACE = Pattern.compile("(?!\\.{1,2}$)[^/\\s:]{1,15}");
    private static final long U32 = 0xffff_ffffL;

    private WeirPrefilterReader() {
    }

    /** Every document of a text (YAML or JSON); each must be a WeirPrefilter. */
    public static List<WeirPrefilter> parse(String text, String source) {
        return YamlDocuments.read(text, source, WeirPrefilterReader::read);
    }

    /** One document, already a tree ({@code index}: its 1-based place in the file, for messages). */
    public static WeirPrefilter read(JsonNode node, String source, int index) {
        YamlNode.Doc doc = new YamlNode.Doc(source, "document " + index);
        YamlNode root = new YamlNode(node, "", doc);
        root.object(TOP);
        String apiVersion = root.get("apiVersion").text();
        String kind = root.get("kind").text();
        if (!kind.equals(WeirPrefilter.KIND) || !apiVersion.equals(WeirPrefilter.API_VERSION)) {
            throw root.get("kind").error("expected " + WeirPrefilter.API_VERSION + " " + WeirPrefilter.KIND + ", found "
                    + apiVersion + " " + kind);
        }
        String name = metadata(root.get("metadata"));
        doc.object = WeirPrefilter.KIND + " " + name;
        YamlNode spec = root.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(SPEC);
        LabelSelector nodes = LabelSelector.read(spec.get("nodeSelector"));
        Long rate = u32(spec.get("rateLimit"));
        Long burst = u32(spec.get("burst"));
        if (burst != null && rate == null) {
            throw spec.get("burst").error("burst needs rateLimit in the same object");
        }
        return new WeirPrefilter(name, source, nodes, interfaces(spec.get("interfaces")),
                choice(spec.get("xdpMode"), List.of("native", "generic", "auto")), mode(spec.get("mode")), rate, burst,
                u32(spec.get("sampleEvery")), rules(spec.get("rules")), spec.get("dryRun").boolOrNull(),
                spec.get("force").boolOrNull(), synProxy(spec.get("synProxy")), spec.get("redirect").boolOrNull());
    }

    /** spec.synProxy: {@code [{port: 80, protocol: TCP}]}, TCP only (SYN cookies are TCP's), each port once. */
    private static List<Integer> synProxy(YamlNode f) {
        List<Integer> out = new ArrayList<>();
        for (YamlNode e : f.list()) {
            e.object(SYN_PROXY);
            YamlNode proto = e.get("protocol");
            if (!proto.isNull() && !proto.text().equals("TCP")) {
                throw proto.error("the SYN proxy is for TCP (SYN cookies), not " + proto.text());
            }
            YamlNode port = e.get("port");
            if (port.isNull()) {
                throw e.error("missing port");
            }
            int p = port.integer(1, 65535);
            if (out.contains(p)) {
                throw port.error("port " + p + " is listed twice");
            }
            out.add(p);
        }
        return out;
    }

    private static String metadata(YamlNode m) {
        if (m.isNull()) {
            throw m.error("missing metadata (name is required)");
        }
        m.object(METADATA);
        if (!m.get("namespace").isNull()) {
            throw m.get("namespace").error("a " + WeirPrefilter.KIND + " is cluster-scoped: it has no namespace");
        }
        m.get("labels").labels();
        m.get("annotations").stringMap();
        YamlNode n = m.get("name");
        if (n.isNull() || n.text().isEmpty()) {
            throw n.error("missing name");
        }
        if (!NAME.matcher(n.text()).matches()) {
            throw n.error("'" + n.text() + "' is not a valid name (lower-case letters, digits, '-' and '.')");
        }
        return n.text();
    }

    private static List<String> interfaces(YamlNode f) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (YamlNode i : f.list()) {
            String name = i.text();
            if (!IFACE.matcher(name).matches()) {
                throw i.error("'" + name + "' is not an interface name (1 to 15 characters, no '/', ':' or spaces)");
            }
            if (!out.add(name)) {
                throw i.error("interface " + name + " is listed twice");
            }
        }
        return List.copyOf(out);
    }

    private static String choice(YamlNode f, List<String> allowed) {
        if (f.isNull()) {
            return null;
        }
        String t = f.text();
        if (!allowed.contains(t)) {
            throw f.error("unknown value '" + t + "' (expected " + String.join(", ", allowed) + ")");
        }
        return t;
    }

    private static PrefilterSettings.Mode mode(YamlNode f) {
        String m = choice(f, List.of("denylist", "allowlist"));
        return m == null ? null : m.equals("allowlist") ? PrefilterSettings.Mode.ALLOWLIST : PrefilterSettings.Mode.DENYLIST;
    }

    private static Long u32(YamlNode f) {
        if (f.isNull()) {
            return null;
        }
        if (!f.node().isIntegralNumber() || !f.node().canConvertToLong() || f.node().asLong() < 0 || f.node().asLong() > U32) {
            throw f.error("expected an integer 0.." + U32 + ", found " + f.describe());
        }
        return f.node().asLong();
    }

    private static List<PrefilterRule> rules(YamlNode f) {
        List<PrefilterRule> out = new ArrayList<>();
        Map<PrefilterRule, String> seen = new HashMap<>();
        for (YamlNode r : f.list()) {
            for (Located l : rule(r)) {
                String earlier = seen.putIfAbsent(l.rule(), l.where().path());
                if (earlier != null) {
                    throw l.where().error("rule '" + l.rule().describe() + "' is already given at " + earlier);
                }
                out.add(l.rule());
            }
        }
        return out;
    }

    /** A rule and the field it came from (its prefix, or the rule). */
    private record Located(PrefilterRule rule, YamlNode where) {
    }

    /** One entry of spec.rules: one rule per prefix of sourceCIDRs or destinationCIDRs, or one without a prefix. */
    private static List<Located> rule(YamlNode r) {
        r.object(RULE);
        YamlNode actionField = r.get("action");
        if (actionField.isNull()) {
            throw actionField.error("missing action (deny or allow)");
        }
        PrefilterRule.Action action = choice(actionField, List.of("deny", "allow")).equals("deny")
                ? PrefilterRule.Action.DENY : PrefilterRule.Action.ALLOW;
        YamlNode src = r.get("sourceCIDRs");
        YamlNode dst = r.get("destinationCIDRs");
        if (!src.isNull() && !dst.isNull()) {
            throw dst.error("a prefilter rule matches one address side: give sourceCIDRs or destinationCIDRs, not both");
        }
        Protocol proto = protocol(r.get("protocol"));
        PortRange ports = ports(r, proto);
        boolean dryRun = r.get("dryRun").bool(false);
        if (dryRun && action != PrefilterRule.Action.DENY) {
            throw r.get("dryRun").error("dryRun is for deny rules (an allow rule drops nothing itself); to try an"
                    + " allowlist, set spec.dryRun");
        }
        List<Located> out = new ArrayList<>();
        boolean source = !src.isNull();
        YamlNode cidrs = source ? src : dst;
        if (!cidrs.isNull() && cidrs.list().isEmpty()) {
            throw cidrs.error("an empty list matches nothing: leave it out to match every address");
        }
        for (YamlNode c : cidrs.list()) {
            Cidr cidr = cidr(c);
            out.add(new Located(new PrefilterRule(0, action, source ? cidr : null, source ? null : cidr, proto, ports, dryRun), c));
        }
        if (out.isEmpty()) {
            if (proto == null) {
                throw r.error("say what the rule matches: sourceCIDRs, destinationCIDRs or protocol");
            }
            out.add(new Located(new PrefilterRule(0, action, null, null, proto, ports, dryRun), r));
        }
        return out;
    }

    private static Cidr cidr(YamlNode f) {
        try {
            return Cidr.parse(f.text());
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    /** TCP, UDP, SCTP (as Kubernetes spells them), ICMP or ICMPv6; null when absent. */
    private static Protocol protocol(YamlNode f) {
        if (f.isNull()) {
            return null;
        }
        return switch (f.text()) {
            case "TCP" -> Protocol.TCP;
            case "UDP" -> Protocol.UDP;
            case "SCTP" -> Protocol.SCTP;
            case "ICMP" -> Protocol.ICMP;
            case "ICMPv6" -> Protocol.ICMPV6;
            default -> throw f.error("unknown protocol '" + f.text() + "' (expected TCP, UDP, SCTP, ICMP or ICMPv6)");
        };
    }

    /** port and endPort (as in a NetworkPolicy's ports) into a destination port range; null when absent. */
    private static PortRange ports(YamlNode r, Protocol proto) {
        YamlNode port = r.get("port");
        YamlNode end = r.get("endPort");
        if (port.isNull()) {
            if (!end.isNull()) {
                throw end.error("endPort needs port");
            }
            return null;
        }
        if (proto == null || !proto.hasPorts()) {
            throw port.error("port needs protocol TCP, UDP or SCTP" + (proto == null ? "" : " (" + proto + " has no ports)"));
        }
        int first = port.integer(1, 65535);
        int last = end.isNull() ? first : end.integer(1, 65535);
        if (last < first) {
            throw end.error("endPort " + last + " is less than port " + first);
        }
        return new PortRange(first, last);
    }

    /** The protocol as a document spells it. */
    static String protocolName(Protocol p) {
        return p == Protocol.ICMPV6 ? "ICMPv6" : p.name();
    }
}
