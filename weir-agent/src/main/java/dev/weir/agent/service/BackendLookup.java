package dev.weir.agent.service;

import java.util.List;

/** Where a resolution finds the backends of one port of one Service in one family, in address order. */
interface BackendLookup {
    /** The backends, each with its state merged over every Service listing it (what {@code lb_backend} holds). */
    List<BackendIndex.Candidate> backends(Service s, ServicePort p, IpFamily family);

    /**
     * The state the Service's own slices give the backend (the most available of its own listings, the override
     * applied): what decides whether the Service selects it, whatever other Services say of the same backend.
     */
    BackendState ownState(Service s, BackendIndex.Candidate c);
}
