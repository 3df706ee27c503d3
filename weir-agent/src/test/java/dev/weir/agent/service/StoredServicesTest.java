package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoredObject;

class StoredServicesTest {

    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: y}
            spec:
              type: NodePort
              ipFamilyPolicy: PreferDualStack
              clusterIPs: [172.30.0.20, "fd00:99::14"]
              ports:
              - {name: http, port: 80, targetPort: web, nodePort: 31080}
            """;

    private static final String SLICE = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-1
              namespace: y
              labels: {kubernetes.io/service-name: web}
            addressType: IPv4
            ports:
            - {name: http, protocol: TCP, port: 8080}
            endpoints:
            - {addresses: [10.244.2.10], targetRef: {kind: Pod, namespace: y, name: a}}
            - {addresses: [10.244.2.20], conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.244.2.30], conditions: {ready: false}}
            """;

    private static StoredObject stored(String kind, String ns, String name, String doc, long revision) {
        return new StoredObject(new ObjectKey(kind, ns, name), doc, "test.yaml", revision);
    }

    @Test
    void aServiceIsShownAsStoredWithItsSlicesEndpointsAndItsNewestRevision() {
        StoredServices.Listing l = StoredServices.of(List.of(
                stored("Service", "y", "web", SERVICE, 7),
                stored("EndpointSlice", "y", "web-1", SLICE, 9),
                stored("NetworkPolicy", "y", "deny", "not even YAML a service reader would take: [", 3)));
        assertThat(l.rows()).singleElement().satisfies(r -> {
            assertThat(r.service()).isEqualTo("y/web");
            assertThat(r.type()).isEqualTo("NODE_PORT");
            assertThat(r.frontends()).as("addresses outside the default service range: no range check here")
                    .containsExactly("172.30.0.20:80/TCP", "fd00:99::14:80/TCP", "<node>:31080/TCP");
            assertThat(r.backends()).containsExactly("10.244.2.10:8080/TCP ready (Pod y/a)",
                    "10.244.2.20:8080/TCP terminating", "10.244.2.30:8080/TCP not-ready");
            assertThat(r.revision()).as("the slice's, newer than the Service's").isEqualTo(9);
        });
        assertThat(l.pending()).isEmpty();
        assertThat(l.warnings()).as("other kinds are not read").isEmpty();
    }

    @Test
    void aSliceWithoutItsServiceIsPendingAndAnObjectThatDoesNotParseIsAWarning() {
        StoredServices.Listing l = StoredServices.of(List.of(
                stored("EndpointSlice", "y", "web-1", SLICE, 9),
                stored("Service", "y", "broken", SERVICE.replace("port: 80,", "port: eighty,"), 4)));
        assertThat(l.rows()).isEmpty();
        assertThat(l.pending()).containsExactly("y/web-1");
        assertThat(l.warnings()).singleElement().asString().startsWith("Service y/broken: ").contains("port");
    }
}
