package dev.weir.agent.policy;

import dev.weir.agent.yaml.YamlNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/** Readers shared by the kinds: metadata, label selectors, CIDRs and ipBlocks. Stateless. */
final class CommonReader {

    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?");
    static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec");
    static final Set<String> METADATA = Set.of("name", "namespace", "labels", "annotations");

    private CommonReader() {
    }

    /** metadata.name, checked as a DNS subdomain. */
    static String name(YamlNode doc) {
        YamlNode f = doc.get("metadata").get("name");
        if (f.isNull() || f.text().isEmpty()) {
            throw f.error("missing name");
        }
        if (!DNS_SUBDOMAIN.matcher(f.text()).matches()) {
            throw f.error("'" + f.text() + "' is not a valid name (lower-case letters, digits, '-' and '.')");
        }
        return f.text();
    }

    /** metadata.namespace, or {@code dflt} when absent. */
    static String namespace(YamlNode doc, String dflt) {
        YamlNode f = doc.get("metadata").get("namespace");
        if (f.isNull()) {
            return dflt;
        }
        if (!DNS_LABEL.matcher(f.text()).matches()) {
            throw f.error("'" + f.text() + "' is not a valid namespace name");
        }
        return f.text();
    }

    static void metadata(YamlNode doc) {
        YamlNode m = doc.get("metadata");
        if (m.isNull()) {
            throw m.error("missing metadata (name is required)");
        }
        m.object(METADATA);
        m.get("labels").labels();
        m.get("annotations").labels();
    }

    /** A label selector; null when absent. */
    static LabelSelector selector(YamlNode f) {
        if (f.isNull()) {
            return null;
        }
        f.object(Set.of("matchLabels", "matchExpressions"));
        var labels = f.get("matchLabels").labels();
        labels.forEach((k, v) -> checkLabel(f.get("matchLabels").get(k), k, v));
        List<LabelSelector.Requirement> reqs = new ArrayList<>();
        for (YamlNode e : f.get("matchExpressions").list()) {
            reqs.add(requirement(e));
        }
        return new LabelSelector(labels, reqs);
    }

    private static LabelSelector.Requirement requirement(YamlNode e) {
        e.object(Set.of("key", "operator", "values"));
        String key = e.get("key").text();
        checkKey(e.get("key"), key);
        String opText = e.get("operator").text();
        LabelSelector.Operator op = switch (opText) {
            case "In" -> LabelSelector.Operator.IN;
            case "NotIn" -> LabelSelector.Operator.NOT_IN;
            case "Exists" -> LabelSelector.Operator.EXISTS;
            case "DoesNotExist" -> LabelSelector.Operator.DOES_NOT_EXIST;
            default -> throw e.get("operator").error("unknown operator '" + opText + "' (expected In, NotIn, Exists or DoesNotExist)");
        };
        List<String> values = new ArrayList<>();
        for (YamlNode v : e.get("values").list()) {
            values.add(v.text());
            checkLabel(v, key, v.text());
        }
        boolean needsValues = op == LabelSelector.Operator.IN || op == LabelSelector.Operator.NOT_IN;
        if (needsValues && values.isEmpty()) {
            throw e.get("values").error("operator " + opText + " needs at least one value");
        }
        if (!needsValues && !values.isEmpty()) {
            throw e.get("values").error("operator " + opText + " takes no values");
        }
        return new LabelSelector.Requirement(key, op, values);
    }

    private static void checkKey(YamlNode f, String key) {
        if (key.isEmpty() || key.length() > 317) {
            throw f.error("invalid label key '" + key + "'");
        }
    }

    private static void checkLabel(YamlNode f, String key, String value) {
        checkKey(f, key);
        if (!LABEL_VALUE.matcher(value).matches()) {
            throw f.error("invalid label value '" + value + "' (at most 63 letters, digits, '-', '_', '.')");
        }
    }

    static Cidr cidr(YamlNode f) {
        try {
            return Cidr.parse(f.text());
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    /** An ipBlock/CIDR set: {@code cidr} and {@code except} (each strictly inside the cidr). */
    static IpBlock ipBlock(YamlNode f) {
        f.object(Set.of("cidr", "except"));
        if (f.get("cidr").isNull()) {
            throw f.get("cidr").error("missing cidr");
        }
        Cidr cidr = cidr(f.get("cidr"));
        List<Cidr> except = new ArrayList<>();
        for (YamlNode e : f.get("except").list()) {
            Cidr x = cidr(e);
            if (!cidr.contains(x) || x.length() == cidr.length()) {
                throw e.error("except " + x + " is not inside cidr " + cidr);
            }
            except.add(x);
        }
        return new IpBlock(cidr, except);
    }

    /** A port number 1..65535 from an integer node; strings are named ports, which weir rejects. */
    static int portNumber(YamlNode f, boolean allowNumericString) {
        if (!f.isNull() && f.node().isTextual()) {
            String t = f.node().asText();
            if (allowNumericString && t.matches("\\d{1,5}")) {
                return checkRange(f, Integer.parseInt(t));
            }
            throw f.error("named port '" + t + "' is not supported: weir resolves policy from labels and addresses, not"
                    + " container port declarations; use the port number");
        }
        if (f.isNull() || !f.node().isIntegralNumber()) {
            throw f.error("expected a port number, found " + f.describe());
        }
        return checkRange(f, f.node().asInt());
    }

    private static int checkRange(YamlNode f, int port) {
        if (port < 1 || port > 65535) {
            throw f.error("port " + port + " out of range 1..65535");
        }
        return port;
    }

    /** port/endPort into a range; null when port is absent (endPort then is an error). */
    static PortRange range(YamlNode item, boolean numericStrings) {
        YamlNode port = item.get("port");
        YamlNode end = item.get("endPort");
        if (port.isNull()) {
            if (!end.isNull()) {
                throw end.error("endPort needs port");
            }
            return null;
        }
        int first = portNumber(port, numericStrings);
        if (end.isNull()) {
            return PortRange.single(first);
        }
        int last = portNumber(end, numericStrings);
        if (last < first) {
            throw end.error("endPort " + last + " is less than port " + first);
        }
        return new PortRange(first, last);
    }

    /** TCP, UDP or SCTP as the Kubernetes API spells them (upper case). */
    static Protocol protocol(YamlNode f, Protocol dflt, boolean allowAny) {
        if (f.isNull()) {
            return dflt;
        }
        String t = f.text();
        return switch (t) {
            case "TCP" -> Protocol.TCP;
            case "UDP" -> Protocol.UDP;
            case "SCTP" -> Protocol.SCTP;
            case "ANY" -> {
                if (!allowAny) {
                    throw f.error("unknown protocol 'ANY' (expected TCP, UDP or SCTP)");
                }
                yield null;
            }
            default -> throw f.error("unknown protocol '" + t + "' (expected TCP, UDP or SCTP" + (allowAny ? " or ANY" : "") + ")");
        };
    }
}
