package dev.weir.agent.service;

import dev.weir.agent.yaml.ValidationException;

import static dev.weir.agent.service.Lab.parse;
import static dev.weir.agent.service.Lab.svc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceCatalogTest {

    static ServiceCatalog catalog(String yaml) {
        ServiceObjects o = parse(yaml);
        return ServiceCatalog.build(o.services(), o.slices(), Lab.NODES, Lab.CONFIG);
    }

    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', textBlock = """
            clusterIP: 10.96.0.1, ports: [{port: 80}]                                | clusterIP: 10.96.0.1, ports: [{port: 81}]                                 | spec.clusterIPs[0]: clusterIP 10.96.0.1 is already taken by Service x/a (t.yaml)
            clusterIP: 10.97.0.1, ports: [{port: 80}]                                | clusterIP: 10.96.0.2, ports: [{port: 81}]                                 | spec.clusterIPs[0]: clusterIP 10.97.0.1 is outside the service ranges
            clusterIPs: [10.96.0.1, 'fd00:10:97::1'], ipFamilyPolicy: PreferDualStack, ports: [{port: 80}] | clusterIP: 10.96.0.2, ports: [{port: 81}]  | spec.clusterIPs[1]: clusterIP fd00:10:97::1 is outside the service ranges
            type: NodePort, clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 8080}] | clusterIP: 10.96.0.2, ports: [{port: 81}]                                 | spec.ports[0].nodePort: nodePort 8080 is outside the NodePort range 30000-32767
            type: NodePort, clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30000}] | type: NodePort, clusterIP: 10.96.0.2, ports: [{port: 81, nodePort: 30000}] | spec.ports[0].nodePort: nodePort 30000/TCP is already taken by Service x/a
            type: NodePort, clusterIP: 10.96.0.1, ports: [{name: a, port: 80, nodePort: 30000}, {name: b, port: 81, nodePort: 30000}] | clusterIP: 10.96.0.2, ports: [{port: 81}] | spec.ports[1].nodePort: nodePort 30000/TCP is already taken by another port of this service
            clusterIP: 10.96.0.1, externalIPs: [203.0.113.1], ports: [{port: 80}]     | clusterIP: 10.96.0.2, externalIPs: [203.0.113.1], ports: [{port: 80}]     | spec.externalIPs: duplicate frontend 203.0.113.1:80/TCP (external IP): already the external IP of Service x/a
            clusterIP: 10.96.0.1, externalIPs: [198.51.100.1], ports: [{port: 80}]    | clusterIP: 10.96.0.2, ports: [{port: 81}]                                 | spec.externalIPs[0]: 198.51.100.1 is outside the LoadBalancer/external IP pools
            clusterIP: 10.96.0.1, externalIPs: [10.96.0.9], ports: [{port: 80}]       | clusterIP: 10.96.0.2, ports: [{port: 81}]                                 | spec.externalIPs[0]: 10.96.0.9 lies in the service range 10.96.0.0/16
            """)
    void rejectsClashesNamingTheLaterService(String a, String b, String message) {
        String yaml = svc("a", "  {" + a + "}\n").replace("spec:\n  {", "spec: {") + "---\n" + svc("b", "  {" + b + "}\n").replace("spec:\n  {", "spec: {");
        assertThatThrownBy(() -> catalog(yaml)).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("t.yaml: Service x/" + (message.contains("outside") || message.contains("lies in")
                        || message.contains("another port") ? "a" : "b") + ": " + message);
    }

    @Test
    void aNodePortMayNotClashWithAnExternalIpOnANodeAddress() {
        // the lab's pools do not hold node addresses: allow any address for this check
        ServiceConfig open = new ServiceConfig(Lab.CONFIG.serviceRanges(), Lab.CONFIG.nodePorts(), List.of(), 16381, 131071);
        ServiceObjects o = parse(svc("a", "  {clusterIP: 10.96.0.1, externalIPs: [192.168.100.2], ports: [{port: 30000}]}\n")
                .replace("spec:\n  {", "spec: {") + "---\n"
                + svc("b", "  {type: NodePort, clusterIP: 10.96.0.2, ports: [{port: 80, nodePort: 30000}]}\n").replace("spec:\n  {", "spec: {"));
        assertThatThrownBy(() -> ServiceCatalog.build(o.services(), o.slices(), Lab.NODES, open))
                .hasMessageContaining("Service x/b: spec.ports[0].nodePort: duplicate frontend 192.168.100.2:30000/TCP (NodePort):"
                        + " already the external IP of Service x/a");
    }

    @Test
    void keepsSlicesOfMissingServicesPendingAndBindsThemLater() {
        String slice = Lab.slice("web-1", "web", "", 80, "- {addresses: [10.244.1.10]}\n");
        ServiceCatalog before = catalog(slice);
        assertThat(before.pending()).extracting(EndpointSlice::key).containsExactly("x/web-1");
        assertThat(before.slices()).isEmpty();
        ServiceCatalog after = catalog(slice + "---\n" + svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n"));
        assertThat(after.pending()).isEmpty();
        assertThat(after.slicesOf(after.services().getFirst())).extracting(EndpointSlice::key).containsExactly("x/web-1");
    }

    @Test
    void warnsAboutSlicePortsAndFamiliesNoServicePortUses() {
        ServiceCatalog c = catalog(svc("web", "  clusterIP: 10.96.0.1\n  ports: [{name: http, port: 80}]\n") + "---\n"
                + Lab.slice("web-1", "web", "web", 8080, "- {addresses: [10.244.1.10]}\n") + "---\n"
                + "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-2, namespace: x, labels:"
                + " {kubernetes.io/service-name: web}}\naddressType: IPv6\n");
        assertThat(c.warnings()).containsExactly(
                "EndpointSlice x/web-1: port 'web' 8080/TCP matches no port of Service x/web (by name and protocol); ignored",
                "EndpointSlice x/web-2: addressType IPv6 is not a family of Service x/web [IPv4]; ignored");
    }

    @Test
    void rejectsTheSameObjectTwiceAcrossApplies() {
        ServiceObjects one = parse(svc("  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n"));
        assertThatThrownBy(() -> ServiceCatalog.build(List.of(one.services().getFirst(), one.services().getFirst()), List.of(),
                Lab.NODES, Lab.CONFIG)).hasMessage("t.yaml: Service x/s: metadata.name: duplicate Service (also in t.yaml)");
    }
}
