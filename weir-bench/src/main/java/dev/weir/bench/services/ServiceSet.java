package dev.weir.bench.services;

import java.util.List;
import java.util.Map;

/**
 * What every mode serves: N services {@code bench/svc-<i>} on TCP {@code port}, ClusterIPs from
 * 10.96.0.10 on, {@code perService} endpoints each, taken in turn from real lab pods; {@code names} maps
 * each endpoint address to the pod name its server replies with. Immutable.
 */
record ServiceSet(int port, int perService, List<KubeProxyRules.Endpoint> backends, Map<String, String> podNames) {

    ServiceSet {
        backends = List.copyOf(backends);
        podNames = Map.copyOf(podNames);
    }

    KubeProxyRules rules(int services) {
        return KubeProxyRules.of(services, port, perService, backends);
    }

    /** The last service of an installed set, and the replies that prove a connection went through it. */
    Mode.Target lastOf(KubeProxyRules installed) {
        KubeProxyRules.Service last = installed.services().getLast();
        return new Mode.Target(last.clusterIp(), last.port(), java.util.Set.copyOf(names()));
    }

    /** The replies a connection to any service may get: the names of the endpoints in use. */
    List<String> names() {
        return backends.stream().limit(perService).map(e -> podNames.get(e.ip())).distinct().toList();
    }
}
