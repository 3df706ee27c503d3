package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.Test;

/** healthCheckNodePort: which ports a node serves with which counts, and the answers kube-proxy gives. */
class HealthCheckTest {

    static final String YAML = """
            apiVersion: v1
            kind: Service
            metadata: {name: lb, namespace: x}
            spec:
              type: LoadBalancer
              clusterIP: 10.96.0.1
              externalTrafficPolicy: Local
              healthCheckNodePort: %d
              ports:
              - {name: a, port: 80, nodePort: 30080}
              - {name: b, port: 81, nodePort: 30081}
            status: {loadBalancer: {ingress: [{ip: 203.0.113.5}]}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: lb-1, namespace: x, labels: {kubernetes.io/service-name: lb}}
            addressType: IPv4
            ports: [{name: a, port: 80}, {name: b, port: 81}]
            endpoints:
            - {addresses: [10.244.1.10], nodeName: node1}
            - {addresses: [10.244.1.30], nodeName: node1}
            - {addresses: [10.244.1.40], nodeName: node1, conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.244.1.20], nodeName: node2, conditions: {ready: false, serving: true, terminating: true}}
            """;

    static Map<Integer, HealthCheck> checks(int port, String node) {
        ServiceObjects o = Lab.parse(YAML.formatted(port));
        return HealthCheck.of(new ServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator()).resolve(o.services(), o.slices(), Lab.NODES, node));
    }

    @Test
    void countsTheReadyEndpointsOnTheNodeOnce() {
        // two ports share the endpoints; a serving terminating one is not ready (the load balancer drains the node)
        assertThat(checks(32000, "node1")).containsExactly(Map.entry(32000, new HealthCheck(32000, "x/lb", 2)));
        assertThat(checks(32000, "node2")).containsExactly(Map.entry(32000, new HealthCheck(32000, "x/lb", 0)));
        assertThat(new HealthCheck(1, "x/lb", 2).json())
                .isEqualTo("{\"service\":{\"namespace\":\"x\",\"name\":\"lb\"},\"localEndpoints\":2,\"serviceProxyHealthy\":true}");
    }

    @Test
    void answers200WithEndpoints503WithoutAndClosesGonePorts() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        List<String> log = new ArrayList<>();
        HealthCheckServer.Binder loopback = p -> HttpServer.create(new InetSocketAddress("127.0.0.1", p), 4);
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + port + "/healthz");
        try (HealthCheckServer server = new HealthCheckServer(log::add)) {
            server.update(Map.of(port, new HealthCheck(port, "x/lb", 2)), loopback);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"localEndpoints\":2", "\"name\":\"lb\"", "\"serviceProxyHealthy\":true");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");

            server.update(Map.of(port, new HealthCheck(port, "x/lb", 0)), loopback);
            r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("\"localEndpoints\":0");

            server.update(Map.of(), loopback);
            assertThat(server.ports()).isEmpty();
            try (ServerSocket again = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                assertThat(again.getLocalPort()).as("the port is free again").isEqualTo(port);
            }
        }
    }

    @Test
    void aPortInUseIsLoggedOnceAndTriedAgain() throws Exception {
        List<String> log = new ArrayList<>();
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
             HealthCheckServer server = new HealthCheckServer(log::add)) {
            int port = taken.getLocalPort();
            HealthCheckServer.Binder loopback = p -> HttpServer.create(new InetSocketAddress("127.0.0.1", p), 4);
            server.update(Map.of(port, new HealthCheck(port, "x/lb", 1)), loopback);
            server.update(Map.of(port, new HealthCheck(port, "x/lb", 1)), loopback);
            assertThat(server.ports()).isEmpty();
            assertThat(log).filteredOn(l -> l.contains("cannot serve")).hasSize(1);
            taken.close();
            server.update(Map.of(port, new HealthCheck(port, "x/lb", 1)), loopback);
            assertThat(server.ports()).containsExactly(port);
        }
    }
}
