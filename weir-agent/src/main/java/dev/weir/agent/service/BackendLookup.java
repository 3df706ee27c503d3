package dev.weir.agent.service;

import java.util.List;

/** Where a resolution finds the backends of one port of one Service in one family, in address order. */
interface BackendLookup {
    List<BackendIndex.Candidate> backends(Service s, ServicePort p, IpFamily family);
}
