package dev.weir.agent.policy;

import dev.weir.agent.yaml.YamlNode;

import java.util.Set;

/** Reads weir's PolicyMode, strictly. */
final class PolicyModeReader {

    private PolicyModeReader() {
    }

    static PolicyMode read(YamlNode doc, String name, String namespace) {
        YamlNode spec = doc.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(Set.of("enforcement", "audit", "podSelector"));
        String e = spec.get("enforcement").textOr("default");
        PolicyMode.Enforcement enforcement = switch (e) {
            case "default" -> PolicyMode.Enforcement.DEFAULT;
            case "always" -> PolicyMode.Enforcement.ALWAYS;
            case "never" -> PolicyMode.Enforcement.NEVER;
            default -> throw spec.get("enforcement").error("unknown enforcement '" + e + "' (expected default, always or never)");
        };
        LabelSelector pods = CommonReader.selector(spec.get("podSelector"));
        if (pods != null && namespace == null) {
            throw spec.get("podSelector").error("podSelector needs metadata.namespace (a pod selector applies within one namespace)");
        }
        return new PolicyMode(namespace, name, doc.doc().file, pods, enforcement, spec.get("audit").bool(false));
    }
}
