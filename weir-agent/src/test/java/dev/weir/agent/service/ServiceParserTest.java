package dev.weir.agent.service;

import dev.weir.agent.yaml.ValidationException;

import static dev.weir.agent.service.Lab.parse;
import static dev.weir.agent.service.Lab.service;
import static dev.weir.agent.service.Lab.svc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

class ServiceParserTest {

    @Test
    void appliesTheApiServersDefaults() {
        Service s = Lab.service("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  clusterIP: 10.96.0.1\n  ports:\n  - port: 80\n");
        assertThat(s.namespace()).isEqualTo("default");
        assertThat(s.type()).isEqualTo(Service.Type.CLUSTER_IP);
        assertThat(s.ipFamilies()).containsExactly(IpFamily.IPV4);
        assertThat(s.ipFamilyPolicy()).isEqualTo(Service.IpFamilyPolicy.SINGLE_STACK);
        assertThat(s.ports()).containsExactly(new ServicePort(0, "", Protocol.TCP, 80, ServicePort.TargetPort.of(80), 0));
        assertThat(s.affinityTimeoutSeconds()).isZero();
        assertThat(s.externalPolicy()).isEqualTo(Service.TrafficPolicy.CLUSTER);
        assertThat(s.internalPolicy()).isEqualTo(Service.TrafficPolicy.CLUSTER);
        assertThat(s.algorithm()).isEqualTo(Service.Algorithm.RANDOM);
        assertThat(s.maglevTableSize()).isZero();
        Service a = service(svc("  clusterIP: 10.96.0.1\n  sessionAffinity: ClientIP\n  ports: [{port: 80}]\n"));
        assertThat(a.affinityTimeoutSeconds()).isEqualTo(10800);
        Service m = service("apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {weir.dev/lb-algorithm: maglev}}\n"
                + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n");
        assertThat(m.maglevTableSize()).isEqualTo(16381);
    }

    @Test
    void readsEveryLabExample() {
        ServiceObjects o = new ServiceParser(Lab.CONFIG).parse(Path.of("../examples/services"));
        assertThat(o.services()).extracting(Service::key).containsExactly("x/web", "y/web", "z/web");
        assertThat(o.slices()).hasSize(5);
        Service x = o.services().get(0);
        assertThat(x.clusterIps()).extracting(IpAddress::toString).containsExactly("10.96.0.10", "fd00:10:96::a");
        assertThat(x.ipFamilies()).containsExactly(IpFamily.IPV4, IpFamily.IPV6);
        assertThat(x.ports()).extracting(ServicePort::protocol).containsExactly(Protocol.TCP, Protocol.UDP);
        Service y = o.services().get(1);
        assertThat(y.ports().getFirst().targetPort()).isEqualTo(ServicePort.TargetPort.named("web"));
        assertThat(y.ports().getFirst().nodePort()).isEqualTo(30080);
        Service z = o.services().get(2);
        assertThat(z.loadBalancerIps()).extracting(IpAddress::toString).containsExactly("203.0.113.5");
        assertThat(z.externalPolicy()).isEqualTo(Service.TrafficPolicy.LOCAL);
        assertThat(z.affinityTimeoutSeconds()).isEqualTo(600);
        assertThat(z.sourceRanges()).containsExactly(Cidr.parse("192.168.100.0/24"));
    }

    @Test
    void readsHeadlessAndLoadBalancerIpsFromSpecAndStatus() {
        Service h = service(svc("  clusterIP: None\n"));
        assertThat(h.headless()).isTrue();
        assertThat(h.clusterIps()).isEmpty();
        assertThat(h.ports()).isEmpty();
        Service lb = service(svc("  type: LoadBalancer\n  clusterIP: 10.96.0.1\n  loadBalancerIP: 203.0.113.6\n"
                + "  allocateLoadBalancerNodePorts: false\n  ports: [{port: 80}]\nstatus: {loadBalancer: {ingress: [{ip: 203.0.113.5},"
                + " {ip: 203.0.113.6, ipMode: VIP}]}}\n"));
        assertThat(lb.loadBalancerIps()).extracting(IpAddress::toString).containsExactly("203.0.113.5", "203.0.113.6");
        assertThat(lb.ports().getFirst().nodePort()).isZero();
    }

    @Test
    void readsSliceConditionsWithTheirDefaults() {
        EndpointSlice es = parse(Lab.slice("s-1", "s", "", 80, """
                - {addresses: [10.244.1.10]}
                - {addresses: [10.244.1.20], conditions: {ready: false}}
                - {addresses: [10.244.1.30], conditions: {ready: false, serving: true, terminating: true}, nodeName: node2,
                   targetRef: {kind: Pod, namespace: x, name: c, uid: u1}}
                """)).slices().getFirst();
        assertThat(es.serviceKey()).isEqualTo("x/s");
        var e = es.endpoints();
        assertThat(e.get(0)).extracting("ready", "serving", "terminating").containsExactly(true, true, false);
        assertThat(e.get(1)).extracting("ready", "serving", "terminating").containsExactly(false, false, false);
        assertThat(e.get(2)).extracting("ready", "serving", "terminating", "nodeName", "targetRef")
                .containsExactly(false, true, true, "node2", "Pod x/c");
        assertThat(es.ports()).containsExactly(new EndpointSlice.Port("", 80, Protocol.TCP));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], bogus: 1}                    | spec.bogus                    | unknown field
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80, protocol: SCTP}]}              | spec.ports[0].protocol        | SCTP services are not supported
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80, protocol: tcp}]}               | spec.ports[0].protocol        | unknown protocol 'tcp'
            spec: {clusterIP: 10.96.0.1, ports: [{port: 70000}]}                           | spec.ports[0].port            | out of range 1..65535
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: Web_1}]}           | spec.ports[0].targetPort      | not a valid named port
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: '8080'}]}          | spec.ports[0].targetPort      | not a valid named port
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}, {port: 81}]}                  | spec.ports[0].name            | every port of a multi-port service needs a name
            spec: {clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: a, port: 81}]} | spec.ports[1].name           | duplicate port name 'a'
            spec: {clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: b, port: 80}]} | spec.ports[1].port           | duplicate port 80/TCP
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30000}]}             | spec.ports[0].nodePort        | only valid for types NodePort and LoadBalancer
            spec: {type: NodePort, clusterIP: 10.96.0.1, ports: [{port: 80}]}              | spec.ports[0].nodePort        | weir does not allocate NodePorts
            spec: {ports: [{port: 80}]}                                                     | spec.clusterIP                | weir does not allocate ClusterIPs
            spec: {clusterIP: 10.96.0.1}                                                    | spec.ports                    | at least one port
            spec: {clusterIP: 10.96.0.300, ports: [{port: 80}]}                             | spec.clusterIP                | octet 300 > 255
            spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.2], ports: [{port: 80}]}      | spec.clusterIPs               | must equal clusterIP
            spec: {clusterIPs: [10.96.0.1, 10.96.0.2], ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]} | spec.clusterIPs | one per family
            spec: {clusterIPs: [10.96.0.1, 'fd00:10:96::1'], ports: [{port: 80}]}          | spec.ipFamilyPolicy           | two families need PreferDualStack or RequireDualStack
            spec: {clusterIPs: [10.96.0.1, 'fd00:10:96::1'], ipFamilyPolicy: SingleStack, ports: [{port: 80}]} | spec.ipFamilyPolicy | SingleStack allows one IP family
            spec: {clusterIP: 10.96.0.1, ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]} | spec.ipFamilyPolicy       | RequireDualStack needs a clusterIP of each family
            spec: {clusterIP: 10.96.0.1, ipFamilies: [IPv6], ports: [{port: 80}]}           | spec.ipFamilies[0]            | does not match clusterIPs[0]
            spec: {clusterIP: 10.96.0.1, ipFamilies: [IPv5], ports: [{port: 80}]}           | spec.ipFamilies[0]            | unknown IP family
            spec: {type: NodePort, clusterIP: None, ports: [{port: 80, nodePort: 30000}]}   | spec.clusterIP                | only valid for type ClusterIP
            spec: {clusterIP: None, externalIPs: [203.0.113.1]}                             | spec.externalIPs              | a headless service gets no frontends
            spec: {type: ExternalName, externalName: example.com}                           | spec.type                     | ExternalName is not supported
            spec: {type: Balancer, clusterIP: 10.96.0.1}                                    | spec.type                     | unknown type 'Balancer'
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], externalTrafficPolicy: Local} | spec.externalTrafficPolicy    | only valid for a service reachable from outside
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], internalTrafficPolicy: Node}  | spec.internalTrafficPolicy    | unknown traffic policy 'Node'
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], loadBalancerSourceRanges: [10.0.0.0/8]} | spec.loadBalancerSourceRanges | only valid for type LoadBalancer
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], loadBalancerIP: 203.0.113.1}  | spec.loadBalancerIP           | only valid for type LoadBalancer
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinity: Cookie}      | spec.sessionAffinity          | unknown sessionAffinity
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinityConfig: {clientIP: {timeoutSeconds: 5}}} | spec.sessionAffinityConfig | only valid with sessionAffinity ClientIP
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}} | spec.sessionAffinityConfig.clientIP.timeoutSeconds | out of range 1..86400
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], externalIPs: [203.0.113.0/28]} | spec.externalIPs[0]          | a prefix is not an address
            spec: {type: LoadBalancer, clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30000}]}, status: {loadBalancer: {ingress: [{hostname: lb.example}]}} | status.loadBalancer.ingress[0].hostname | hostname ingress is not supported
            spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}, status: {loadBalancer: {ingress: [{ip: 203.0.113.1}]}} | status.loadBalancer.ingress | type other than LoadBalancer
            """)
    void rejectsWithFileObjectAndPath(String doc, String path, String problem) {
        String yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\n" + doc.replace("}, status:", "}\nstatus:") + "\n";
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("t.yaml: Service x/s: " + path + ": ")
                .hasMessageContaining(problem);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            weir.dev/lb-algorithm: ring                                       | unknown algorithm 'ring'
            weir.dev/maglev-table-size: '251'                                 | needs weir.dev/lb-algorithm: maglev
            {weir.dev/lb-algorithm: maglev, weir.dev/maglev-table-size: '1000'} | 1000 is not a prime
            {weir.dev/lb-algorithm: maglev, weir.dev/maglev-table-size: '262139'} | 262139 is not a prime in 3..131071
            weir.dev/lb-algoritm: maglev                                      | unknown weir annotation
            """)
    void checksWeirAnnotations(String annotations, String problem) {
        String a = annotations.startsWith("{") ? annotations : "{" + annotations + "}";
        assertThatThrownBy(() -> parse("apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: " + a + "}\n"
                + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("metadata.annotations.weir.dev/")
                .hasMessageContaining(problem);
        assertThat(service("apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {weir.dev/lb-algorithm: maglev,"
                + " weir.dev/maglev-table-size: '251', other.io/x: y}}\nspec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n")
                .maglevTableSize()).isEqualTo(251);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            addressType: FQDN                                                           | addressType                 | FQDN is not supported
            addressType: IPv4\\nendpoints: [{addresses: ['fd00::1']}]                   | endpoints[0].addresses[0]   | not of the slice's addressType IPv4
            addressType: IPv4\\nendpoints: [{addresses: []}]                            | endpoints[0].addresses      | 1 to 100 addresses
            addressType: IPv4\\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: 'yes'}}] | endpoints[0].conditions.ready | expected true or false
            addressType: IPv4\\nendpoints: [{addresses: [10.0.0.1], weight: 2}]         | endpoints[0].weight         | unknown field
            addressType: IPv4\\nports: [{name: http}]                                   | ports[0].port               | means 'all ports'
            addressType: IPv4\\nports: [{name: a, port: 80}, {name: a, port: 81}]        | ports[1].name               | duplicate port name 'a'
            """)
    void rejectsBadSlices(String body, String path, String problem) {
        String yaml = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e, namespace: x, labels:"
                + " {kubernetes.io/service-name: s}}\n" + body.replace("\\n", "\n") + "\n";
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("t.yaml: EndpointSlice x/e: " + path + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void rejectsSlicesWithoutServiceLabelAndOtherKinds() {
        assertThatThrownBy(() -> parse("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\n"))
                .hasMessage("t.yaml: EndpointSlice default/e: metadata.labels.kubernetes.io/service-name: missing: weir binds a slice"
                        + " to its Service by this label");
        assertThatThrownBy(() -> parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {}\n"))
                .hasMessageContaining("kind: unsupported kind 'NetworkPolicy'");
    }

    @Test
    void isAllOrNothingAcrossDocumentsAndRejectsDuplicates() {
        String good = svc("  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n");
        assertThatThrownBy(() -> parse(good + "---\n" + svc("  clusterIP: 10.96.0.2\n  ports: [{port: 80}]\n")))
                .hasMessage("t.yaml: Service x/s: metadata.name: duplicate object in one apply (also in t.yaml)");
        assertThatThrownBy(() -> parse(good + "---\n" + "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec: {bogus: 1}\n"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("Service default/t: spec.bogus");
        assertThatThrownBy(() -> parse(good + "---\n" + "a: [1\n"))
                .hasMessageStartingWith("t.yaml: document 2: invalid YAML");
        assertThatThrownBy(() -> parse("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.1, clusterIP: 10.96.0.2}\n"))
                .hasMessageContaining("invalid YAML").hasMessageContaining("Duplicate field 'clusterIP'");
        assertThat(parse(good + "---\n" + Lab.slice("s-1", "s", "", 80, "- {addresses: [10.244.1.10]}\n")).slices()).hasSize(1);
    }

    @Test
    void acceptsServerSetMetadataAndIgnoredFields() {
        Service s = service("""
                apiVersion: v1
                kind: Service
                metadata: {name: s, namespace: x, uid: 1-2, resourceVersion: "7", creationTimestamp: "2025-01-01T00:00:00Z"}
                spec:
                  clusterIP: 10.96.0.1
                  selector: {app: web}
                  publishNotReadyAddresses: false
                  trafficDistribution: PreferClose
                  ports: [{port: 80, appProtocol: http}]
                """);
        assertThat(s.key()).isEqualTo("x/s");
        assertThat(List.of(s.ports().getFirst().port())).containsExactly(80);
    }
}
