package dev.weir.agent.cni;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.net.Cidr;

/**
 * Pod addresses. With an {@code ipam} section in the network configuration, the IPAM plugin it names (Debian's
 * {@code host-local}, say) is run as the CNI spec delegates: found in {@code CNI_PATH}, given the same
 * environment and configuration, its result's addresses taken. Without one, the agent allocates: the addresses
 * the runtime asks for ({@code args.cni.ips}, {@code runtimeConfig.ips}), else the lowest free address of each
 * of this node's pod CIDRs ({@code weir agent --pod-cidr}). The attachments are the allocation record, so
 * nothing else needs keeping. Stateless apart from the pod CIDRs.
 */
public final class Ipam {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 20;

    private final List<Cidr> podCidrs;

    public Ipam(List<Cidr> podCidrs) {
        this.podCidrs = List.copyOf(podCidrs);
    }

    /**
     * Addresses for an ADD (at most one per family), none of them in {@code inUse}.
     *
     * @throws CniException 7 when an asked-for address is taken or outside the pod CIDRs, or nothing can be
     *     allocated; 5 when a delegated plugin fails (its own error is passed on)
     */
    public List<String> allocate(CniRequest r, Set<String> inUse) {
        if (r.ipam() != null) {
            return delegate(r, "ADD");
        }
        List<String> out = new ArrayList<>();
        if (!r.requestedIps().isEmpty()) {
            for (String ip : r.requestedIps()) {
                if (out.stream().anyMatch(o -> o.contains(":") == ip.contains(":"))) {
                    throw new CniException(CniException.INVALID_CONFIG, "ips asks for two addresses of one family", ip);
                }
                if (inUse.contains(ip)) {
                    throw new CniException(CniException.INVALID_CONFIG, ip + " is in use by another pod on this node", ip);
                }
                if (!podCidrs.isEmpty() && podCidrs.stream().noneMatch(c -> c.containsAddress(Cidr.parseAddress(ip, "ips")))) {
                    throw new CniException(CniException.INVALID_CONFIG, ip + " is outside this node's pod CIDRs " + podCidrs, ip);
                }
                out.add(ip);
            }
            return out;
        }
        if (podCidrs.isEmpty()) {
            throw new CniException(CniException.INVALID_CONFIG, "no address for the pod: give an ipam section, ask for "
                    + "addresses (args.cni.ips), or start the agent with --pod-cidr", "");
        }
        for (Cidr c : podCidrs) {
            out.add(lowestFree(c, inUse));
        }
        return out;
    }

    /** Gives a delegated plugin's addresses back (DEL); the agent's own need nothing. */
    public void release(CniRequest r) {
        if (r.ipam() != null) {
            delegate(r, "DEL");
        }
    }

    /** Runs the delegated plugin's CHECK. */
    public void check(CniRequest r) {
        if (r.ipam() != null) {
            delegate(r, "CHECK");
        }
    }

    static String lowestFree(Cidr c, Set<String> inUse) {
        byte[] base = c.address();
        int bits = base.length * 8;
        BigInteger first = new BigInteger(1, base);
        BigInteger size = BigInteger.ONE.shiftLeft(bits - c.length());
        // skip the network address, and in IPv4 the broadcast address
        BigInteger last = first.add(size).subtract(base.length == 4 ? BigInteger.TWO : BigInteger.ONE);
        for (BigInteger a = first.add(BigInteger.ONE); a.compareTo(last) <= 0; a = a.add(BigInteger.ONE)) {
            String text = text(a, base.length);
            if (!inUse.contains(text)) {
                return text;
            }
        }
        throw new CniException(CniException.INVALID_CONFIG, "the pod CIDR " + c + " is full", "");
    }

    private static String text(BigInteger a, int length) {
        byte[] raw = a.toByteArray();
        byte[] b = new byte[length];
        System.arraycopy(raw, Math.max(0, raw.length - length), b, Math.max(0, length - raw.length), Math.min(length, raw.length));
        return new dev.weir.agent.service.IpAddress(b).toString();
    }

    /** Runs the IPAM plugin as the spec says: same environment but the command, the configuration on stdin. */
    private static List<String> delegate(CniRequest r, String command) {
        String type = r.ipam().path("type").asText();
        if (type.contains("/")) {
            throw new CniException(CniException.INVALID_CONFIG, "ipam.type must be a plugin name, not a path", type);
        }
        Path plugin = null;
        for (String dir : r.cniPath().split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, type))) {
                plugin = Path.of(dir, type);
                break;
            }
        }
        if (plugin == null) {
            throw new CniException(CniException.INVALID_CONFIG, "no IPAM plugin " + type + " in CNI_PATH", r.cniPath());
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(plugin.toString());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("CNI_"));
            env.putAll(r.environment());
            env.put("CNI_COMMAND", command);
            Process p = pb.start();
            p.getOutputStream().write(r.raw());
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CniException(CniException.IO_FAILURE, "the IPAM plugin " + type + " did not answer " + command, "");
            }
            JsonNode result = out.length == 0 ? MAPPER.createObjectNode() : MAPPER.readTree(out);
            if (p.exitValue() != 0) {
                throw new CniException(result.path("code").asInt(CniException.IO_FAILURE), "the IPAM plugin " + type + " failed "
                        + command + ": " + result.path("msg").asText(new String(err, StandardCharsets.UTF_8).strip()),
                        result.path("details").asText(""));
            }
            List<String> ips = new ArrayList<>();
            for (JsonNode ip : result.path("ips")) {
                String a = ip.path("address").asText();
                ips.add(dev.weir.agent.service.IpAddress.parse(a.contains("/") ? a.substring(0, a.indexOf('/')) : a).toString());
            }
            if (command.equals("ADD") && ips.isEmpty()) {
                throw new CniException(CniException.IO_FAILURE, "the IPAM plugin " + type + " gave no address", new String(out, StandardCharsets.UTF_8));
            }
            return ips;
        } catch (IOException e) {
            throw new CniException(CniException.IO_FAILURE, "cannot run the IPAM plugin " + plugin, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CniException(CniException.TRY_AGAIN_LATER, "interrupted while running the IPAM plugin " + type, "");
        }
    }
}
