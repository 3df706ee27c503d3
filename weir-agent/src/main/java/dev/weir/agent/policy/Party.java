package dev.weir.agent.policy;

/** One end of a connection under evaluation: an endpoint (by id) or a bare IP address. Immutable. */
public sealed interface Party {

    /** An endpoint of the snapshot. */
    record Pod(int endpointId) implements Party {
    }

    /** An address; when it is an endpoint's address the evaluators treat it as that endpoint. */
    record Address(String ip) implements Party {
    }

    static Party endpoint(int id) {
        return new Pod(id);
    }

    static Party ip(String ip) {
        return new Address(ip);
    }
}
