package dev.weir.agent.prefilter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.policy.LabelSelector;

/**
 * Writes a {@link WeirPrefilter} as the JSON document {@link WeirPrefilterReader} reads back: rules of one
 * shape (action, side, protocol, ports) and adjacent in the object become one entry with their prefixes
 * listed, so a long blocklist stays one rule entry. Stateless.
 */
final class WeirPrefilterWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private WeirPrefilterWriter() {
    }

    static String write(WeirPrefilter p) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("apiVersion", WeirPrefilter.API_VERSION).put("kind", WeirPrefilter.KIND);
        doc.putObject("metadata").put("name", p.name());
        ObjectNode spec = doc.putObject("spec");
        if (p.nodeSelector() != null) {
            spec.set("nodeSelector", selector(p.nodeSelector()));
        }
        if (!p.interfaces().isEmpty()) {
            ArrayNode a = spec.putArray("interfaces");
            p.interfaces().forEach(a::add);
        }
        if (p.xdpMode() != null) {
            spec.put("xdpMode", p.xdpMode());
        }
        if (p.mode() != null) {
            spec.put("mode", p.mode().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (p.rateLimit() != null) {
            spec.put("rateLimit", p.rateLimit());
        }
        if (p.burst() != null) {
            spec.put("burst", p.burst());
        }
        if (p.sampleEvery() != null) {
            spec.put("sampleEvery", p.sampleEvery());
        }
        if (p.dryRun() != null) {
            spec.put("dryRun", p.dryRun());
        }
        if (p.force() != null) {
            spec.put("force", p.force());
        }
        if (p.redirect() != null) {
            spec.put("redirect", p.redirect());
        }
        if (!p.synProxy().isEmpty()) {
            ArrayNode ports = spec.putArray("synProxy");
            p.synProxy().forEach(port -> ports.addObject().put("port", port).put("protocol", "TCP"));
        }
        if (!p.rules().isEmpty()) {
            spec.set("rules", rules(p.rules()));
        }
        return doc.toString();
    }

    private static ArrayNode rules(List<PrefilterRule> rules) {
        ArrayNode out = JSON.createArrayNode();
        ObjectNode current = null;
        PrefilterRule.Shape shape = null;
        for (PrefilterRule r : rules) {
            if (current == null || !r.shape().equals(shape) || r.side() == PrefilterRule.Side.NONE) {
                current = entry(r);
                shape = r.shape();
                out.add(current);
            }
            if (r.side() != PrefilterRule.Side.NONE) {
                String field = r.side() == PrefilterRule.Side.SRC ? "sourceCIDRs" : "destinationCIDRs";
                ((ArrayNode) current.get(field)).add(r.prefix().orElseThrow().toString());
            }
        }
        return out;
    }

    private static ObjectNode entry(PrefilterRule r) {
        ObjectNode e = JSON.createObjectNode();
        e.put("action", r.action().name().toLowerCase(java.util.Locale.ROOT));
        if (r.side() != PrefilterRule.Side.NONE) {
            e.putArray(r.side() == PrefilterRule.Side.SRC ? "sourceCIDRs" : "destinationCIDRs");
        }
        if (r.proto() != null) {
            e.put("protocol", WeirPrefilterReader.protocolName(r.proto()));
        }
        if (r.dport() != null) {
            e.put("port", r.dport().first());
            if (r.dport().last() != r.dport().first()) {
                e.put("endPort", r.dport().last());
            }
        }
        if (r.dryRun()) {
            e.put("dryRun", true);
        }
        return e;
    }

    private static ObjectNode selector(LabelSelector s) {
        ObjectNode o = JSON.createObjectNode();
        if (!s.matchLabels().isEmpty()) {
            ObjectNode labels = o.putObject("matchLabels");
            s.matchLabels().forEach(labels::put);
        }
        if (!s.matchExpressions().isEmpty()) {
            ArrayNode exprs = o.putArray("matchExpressions");
            for (LabelSelector.Requirement r : s.matchExpressions()) {
                ObjectNode e = exprs.addObject().put("key", r.key()).put("operator", OPERATORS.get(r.operator()));
                if (!r.values().isEmpty()) {
                    ArrayNode v = e.putArray("values");
                    r.values().forEach(v::add);
                }
            }
        }
        return o;
    }

    private static final Map<LabelSelector.Operator, String> OPERATORS = new LinkedHashMap<>(Map.of(
            LabelSelector.Operator.IN, "In", LabelSelector.Operator.NOT_IN, "NotIn",
            LabelSelector.Operator.EXISTS, "Exists", LabelSelector.Operator.DOES_NOT_EXIST, "DoesNotExist"));
}
