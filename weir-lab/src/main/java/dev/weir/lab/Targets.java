package dev.weir.lab;

import java.nio.file.Path;

import dev.weir.lab.agent.Addresses;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PodSpec;

/**
 * Turns the words of {@code lab probe} and {@code lab exec} into things of the lab: {@code ns/pod},
 * {@code ext}, a node (as a source: the node's own processes, with weir), or (as a target only) an IP address. Errors name the word and list what exists.
 * Stateless.
 */
final class Targets {

    static final String EXT = "ext";

    private Targets() {
    }

    /** Who can run a probe or a command. */
    record Source(String id, String key, String netns) {
    }

    static Source source(LabModel model, String word) {
        if (word.equals(EXT)) {
            return new Source(EXT, LabPaths.EXT, model.ext().netns());
        }
        var node = model.node(word);
        if (node.isPresent()) {
            return new Source(word, LabPaths.nodeKey(word), node.get().netns());
        }
        if (!PodRef.looksLike(word)) {
            throw new IllegalArgumentException("'" + word + "' is not NS/POD, a node or ext (pods: " + model.podList() + ")");
        }
        PodSpec pod = pod(model, PodRef.parse(word));
        return new Source(pod.ref().toString(), pod.ref().key(), pod.netns());
    }

    static PodSpec pod(LabModel model, PodRef ref) {
        return model.pod(ref).orElseThrow(() -> new IllegalArgumentException(
                "no pod " + ref + " in the lab (pods: " + model.podList() + ")"));
    }

    /** The address to probe: the pod's or ext's of the family (IPv4 when null), or the literal itself. */
    static String address(LabModel model, String word, Family family) {
        Family f = family == null ? Family.IPV4 : family;
        if (word.equals(EXT)) {
            return model.ext().address(f);
        }
        if (PodRef.looksLike(word)) {
            return pod(model, PodRef.parse(word)).address(f);
        }
        String literal;
        try {
            literal = Addresses.canonical(word);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + word + "' is not NS/POD, ext or an IP address (pods: "
                    + model.podList() + ")");
        }
        if (family != null && Family.ofAddress(literal) != family) {
            throw new IllegalArgumentException("address " + word + " is not IPv" + family.number());
        }
        return literal;
    }

    static Path socket(LabPaths paths, Source s) {
        return paths.socket(s.key());
    }
}
