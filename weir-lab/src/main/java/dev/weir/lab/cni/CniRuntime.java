package dev.weir.lab.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.lab.LabException;

/**
 * Drives a CNI plugin the way a container runtime (libcni) does: the plugin found by its {@code type} in the
 * CNI path, the {@code CNI_*} environment, and on stdin the plugin's entry of a network configuration list with
 * the list's {@code cniVersion} and {@code name} injected, plus the conventions' {@code args.cni} (labels,
 * addresses) and {@code runtimeConfig} (the pod's cgroup). The lab creates its pods through it. Stateless.
 */
public final class CniRuntime {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 60;

    /** One pod as the runtime describes it to the plugin. */
    public record Pod(String containerId, Path netns, String ifName, String namespace, String name,
                      Map<String, String> labels, List<String> ips, Path cgroup) {
    }

    /** What ADD answered: the result document, the host-side interface and the pod's addresses. */
    public record Added(JsonNode result, String hostInterface, List<String> addresses) {
    }

    /** What the plugin printed and its exit code. */
    public record Outcome(int exit, String stdout, String stderr) {
    }

    private final Path conflist;
    private final List<Path> cniPath;

    /**
     * @param conflist the node's network configuration list (its first plugin is called)
     * @param cniPath  where plugins are looked up, in order (the node's {@code /opt/cni/bin}, then Debian's)
     */
    public CniRuntime(Path conflist, List<Path> cniPath) {
        this.conflist = conflist;
        this.cniPath = List.copyOf(cniPath);
    }

    /**
     * ADD.
     *
     * @throws LabException with the plugin's error (code and message) when it fails
     */
    public Added add(Pod pod) {
        Outcome o = run("ADD", pod);
        if (o.exit() != 0) {
            throw new LabException("CNI ADD of " + pod.namespace() + "/" + pod.name() + " failed: " + o.stdout() + o.stderr());
        }
        try {
            JsonNode result = MAPPER.readTree(o.stdout());
            List<String> addresses = new ArrayList<>();
            result.path("ips").forEach(ip -> addresses.add(ip.path("address").asText().replaceFirst("/.*", "")));
            String host = null;
            for (JsonNode i : result.path("interfaces")) {
                if (!i.has("sandbox")) {
                    host = i.path("name").asText();
                    break;
                }
            }
            return new Added(result, host, addresses);
        } catch (IOException e) {
            throw new LabException("CNI ADD of " + pod.namespace() + "/" + pod.name() + " printed no result: " + o.stdout(), e);
        }
    }

    /**
     * DEL.
     *
     * @throws LabException with the plugin's error when it fails
     */
    public void del(Pod pod) {
        Outcome o = run("DEL", pod);
        if (o.exit() != 0) {
            throw new LabException("CNI DEL of " + pod.namespace() + "/" + pod.name() + " failed: " + o.stdout() + o.stderr());
        }
    }

    /** Runs a command (ADD, DEL, CHECK) and returns what the plugin did, whatever it was. */
    public Outcome run(String command, Pod pod) {
        ObjectNode list = readConflist();
        ObjectNode conf = ((ObjectNode) list.path("plugins").get(0)).deepCopy();
        conf.put("cniVersion", list.path("cniVersion").asText());
        conf.put("name", list.path("name").asText());
        ObjectNode cni = conf.putObject("args").putObject("cni");
        ArrayNode labels = cni.putArray("labels");
        pod.labels().forEach((k, v) -> labels.addObject().put("key", k).put("value", v));
        ArrayNode ips = cni.putArray("ips");
        pod.ips().forEach(ips::add);
        if (pod.cgroup() != null) {
            conf.putObject("runtimeConfig").put("cgroupPath", pod.cgroup().toString());
        }
        Path plugin = plugin(conf.path("type").asText());
        Map<String, String> env = new TreeMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", pod.containerId());
        env.put("CNI_NETNS", pod.netns().toString());
        env.put("CNI_IFNAME", pod.ifName());
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + pod.namespace() + ";K8S_POD_NAME=" + pod.name()
                + ";K8S_POD_INFRA_CONTAINER_ID=" + pod.containerId());
        env.put("CNI_PATH", String.join(":", cniPath.stream().map(Path::toString).toList()));
        try {
            ProcessBuilder pb = new ProcessBuilder(plugin.toString());
            pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().write(MAPPER.writeValueAsBytes(conf));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException("the CNI plugin " + plugin + " did not finish " + command + " in " + TIMEOUT_SECONDS + " s");
            }
            return new Outcome(p.exitValue(), out, err);
        } catch (IOException e) {
            throw new LabException("cannot run the CNI plugin " + plugin + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running the CNI plugin " + plugin, e);
        }
    }

    private ObjectNode readConflist() {
        try {
            JsonNode list = MAPPER.readTree(conflist.toFile());
            if (!list.isObject() || !list.path("plugins").isArray() || list.path("plugins").isEmpty()) {
                throw new LabException(conflist + " is not a network configuration list with plugins");
            }
            return (ObjectNode) list;
        } catch (IOException e) {
            throw new LabException("cannot read " + conflist + ": " + e.getMessage(), e);
        }
    }

    private Path plugin(String type) {
        for (Path dir : cniPath) {
            Path p = dir.resolve(type);
            if (java.nio.file.Files.isExecutable(p)) {
                return p;
            }
        }
        throw new LabException("no CNI plugin " + type + " in " + cniPath);
    }
}
