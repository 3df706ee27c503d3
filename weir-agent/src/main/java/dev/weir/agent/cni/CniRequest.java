package dev.weir.agent.cni;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One CNI command as the runtime gave it to the plugin: the {@code CNI_*} environment and the network
 * configuration from stdin, parsed and checked as the CNI spec (1.0) and its conventions define them.
 * Immutable.
 *
 * <p>What weir reads from the configuration: {@code cniVersion}, {@code name}, {@code type}, {@code mtu}
 * (the pod interface's MTU), {@code ipam} (a delegated IPAM plugin such as {@code host-local}; without it the
 * agent allocates), {@code args.cni.labels} (the pod's labels, a list of {@code {key, value}}),
 * {@code args.cni.ips} and {@code runtimeConfig.ips} (requested addresses), {@code runtimeConfig.cgroupPath}
 * (the pod's cgroup, where weir's socket hooks attach) and {@code prevResult} (CHECK). The pod's namespace and
 * name come from {@code K8S_POD_NAMESPACE} and {@code K8S_POD_NAME} in {@code CNI_ARGS}.
 *
 * @param command     ADD, DEL or CHECK
 * @param raw         the configuration as given (handed unchanged to a delegated IPAM plugin)
 * @param environment the {@code CNI_*} variables (handed to a delegated IPAM plugin)
 */
public record CniRequest(String command, String containerId, String netns, String ifName, String cniPath,
                         String podNamespace, String podName, String cniVersion, String network, String type,
                         Integer mtu, JsonNode ipam, Map<String, String> labels, List<String> requestedIps,
                         String cgroupPath, JsonNode prevResult, byte[] raw, Map<String, String> environment) {

    /** The spec versions weir's results follow; the relay's VERSION answer lists the same. */
    public static final List<String> VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0");
    private static final Set<String> COMMANDS = Set.of("ADD", "DEL", "CHECK");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Parses and checks a command.
     *
     * @throws CniException with the spec's code: 4 for a bad environment, 6 for configuration that is not JSON,
     *     7 for bad configuration, 1 for an unknown version
     */
    public static CniRequest parse(Map<String, String> env, byte[] stdin) {
        String command = env.get("CNI_COMMAND");
        if (command == null || !COMMANDS.contains(command)) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_COMMAND must be ADD, DEL or CHECK (VERSION is "
                    + "answered by the plugin itself)", "CNI_COMMAND=" + command);
        }
        String containerId = required(env, "CNI_CONTAINERID");
        if (!containerId.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]*")) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_CONTAINERID must be alphanumeric with '_', '.'"
                    + " and '-'", containerId);
        }
        String ifName = required(env, "CNI_IFNAME");
        if (ifName.length() > 15 || !ifName.matches("[A-Za-z0-9_.\\-]+") || ifName.equals(".") || ifName.equals("..")) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_IFNAME is not an interface name", ifName);
        }
        String netns = env.get("CNI_NETNS");
        if (!command.equals("DEL") && (netns == null || netns.isEmpty())) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_NETNS is required for " + command, "");
        }
        Map<String, String> args = args(env.getOrDefault("CNI_ARGS", ""));
        JsonNode conf;
        try {
            conf = MAPPER.readTree(stdin);
        } catch (IOException e) {
            throw new CniException(CniException.DECODING_FAILURE, "the network configuration is not JSON", e.getMessage());
        }
        if (conf == null || !conf.isObject()) {
            throw new CniException(CniException.DECODING_FAILURE, "the network configuration is not a JSON object", "");
        }
        String version = text(conf, "cniVersion");
        if (version == null) {
            throw new CniException(CniException.INVALID_CONFIG, "the network configuration has no cniVersion", "");
        }
        if (!VERSIONS.contains(version)) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "weir-cni does not speak CNI " + version,
                    "supported: " + String.join(", ", VERSIONS));
        }
        if (command.equals("CHECK") && compare(version, "0.4.0") < 0) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "CHECK needs CNI 0.4.0 or later, not " + version, "");
        }
        Integer mtu = null;
        if (conf.has("mtu")) {
            if (!conf.get("mtu").canConvertToInt() || conf.get("mtu").asInt() < 1280 || conf.get("mtu").asInt() > 65535) {
                throw new CniException(CniException.INVALID_CONFIG, "mtu must be a number from 1280 to 65535", conf.get("mtu").toString());
            }
            mtu = conf.get("mtu").asInt();
        }
        JsonNode ipam = conf.path("ipam");
        if (ipam.isObject() && ipam.size() > 0 && text(ipam, "type") == null) {
            throw new CniException(CniException.INVALID_CONFIG, "ipam needs a type (the IPAM plugin to delegate to)", ipam.toString());
        }
        return new CniRequest(command, containerId, netns, ifName, env.getOrDefault("CNI_PATH", ""),
                args.get("K8S_POD_NAMESPACE"), args.get("K8S_POD_NAME"), version, text(conf, "name"), text(conf, "type"),
                mtu, ipam.isObject() && ipam.size() > 0 ? ipam : null, labels(conf.path("args").path("cni").path("labels")),
                ips(conf), cgroupPath(conf), conf.get("prevResult"), stdin.clone(), cniEnvironment(env));
    }

    /** The pod's {@code namespace/name}, or the container id when the runtime named no pod. */
    public String podKey() {
        return podNamespace + "/" + podName;
    }

    /** Whether the runtime named the pod ({@code K8S_POD_NAMESPACE} and {@code K8S_POD_NAME}). */
    public boolean namesPod() {
        return podNamespace != null && podName != null;
    }

    private static String required(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isEmpty()) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, name + " is required", "");
        }
        return v;
    }

    /** {@code CNI_ARGS}: {@code K=V;K=V}. */
    static Map<String, String> args(String text) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String pair : text.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_ARGS must be KEY=VALUE pairs separated by ';'", pair);
            }
            args.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return args;
    }

    private static Map<String, String> labels(JsonNode list) {
        Map<String, String> labels = new TreeMap<>();
        if (list.isMissingNode() || list.isNull()) {
            return labels;
        }
        if (!list.isArray()) {
            throw new CniException(CniException.INVALID_CONFIG, "args.cni.labels must be a list of {key, value}", list.toString());
        }
        for (JsonNode l : list) {
            String key = text(l, "key");
            String value = text(l, "value");
            if (key == null || value == null) {
                throw new CniException(CniException.INVALID_CONFIG, "a label in args.cni.labels needs key and value", l.toString());
            }
            labels.put(key, value);
        }
        return labels;
    }

    /** {@code args.cni.ips} and {@code runtimeConfig.ips}: addresses, with or without a prefix length. */
    private static List<String> ips(JsonNode conf) {
        List<String> ips = new ArrayList<>();
        for (JsonNode list : List.of(conf.path("args").path("cni").path("ips"), conf.path("runtimeConfig").path("ips"))) {
            if (list.isMissingNode() || list.isNull()) {
                continue;
            }
            if (!list.isArray()) {
                throw new CniException(CniException.INVALID_CONFIG, "ips must be a list of addresses", list.toString());
            }
            for (JsonNode ip : list) {
                String text = ip.asText();
                String address = text.contains("/") ? text.substring(0, text.indexOf('/')) : text;
                if (!address.matches("[0-9a-fA-F:.]+")) {
                    throw new CniException(CniException.INVALID_CONFIG, "not an IP address in ips", text);
                }
                try {
                    ips.add(dev.weir.agent.service.IpAddress.parse(address).toString());
                } catch (IllegalArgumentException e) {
                    throw new CniException(CniException.INVALID_CONFIG, "not an IP address in ips", text);
                }
            }
        }
        return ips;
    }

    private static String cgroupPath(JsonNode conf) {
        String path = text(conf.path("runtimeConfig"), "cgroupPath");
        if (path != null && (!path.startsWith("/") || path.contains(".."))) {
            throw new CniException(CniException.INVALID_CONFIG, "runtimeConfig.cgroupPath must be an absolute path", path);
        }
        return path;
    }

    private static Map<String, String> cniEnvironment(Map<String, String> env) {
        Map<String, String> cni = new TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("CNI_")) {
                cni.put(k, v);
            }
        });
        return cni;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
    }

    /** Compares dotted versions numerically. */
    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int d = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }
}
