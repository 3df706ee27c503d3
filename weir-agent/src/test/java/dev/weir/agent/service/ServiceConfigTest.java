package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The agent's service settings from its flags: defaults, values, and what is wrong with a bad one. */
class ServiceConfigTest {

    @Test
    void flagsOverrideTheDefaultsAndNothingGivenIsTheDefaults() {
        assertThat(ServiceConfig.of(null, null, null)).isEqualTo(ServiceConfig.defaults());
        ServiceConfig c = ServiceConfig.of(List.of("10.100.0.0/16"), "31000-31999", List.of("198.51.100.0/24"));
        assertThat(c.serviceRange(IpFamily.IPV4).toString()).isEqualTo("10.100.0.0/16");
        assertThat(c.serviceRange(IpFamily.IPV6)).isNull();
        assertThat(c.nodePorts().first()).isEqualTo(31000);
        assertThat(c.nodePorts().last()).isEqualTo(31999);
        assertThat(c.externalPools()).hasSize(1);
        assertThat(ServiceConfig.defaults().externalPools()).as("LoadBalancer IPs anywhere by default").isEmpty();
    }

    @Test
    void aBadValueNamesItsFlag() {
        assertThatThrownBy(() -> ServiceConfig.of(List.of("10.96.0.0/33"), null, null)).hasMessageStartingWith("--service-cidr: '10.96.0.0/33'");
        assertThatThrownBy(() -> ServiceConfig.of(List.of("10.96.0.0/16", "10.97.0.0/16"), null, null))
                .hasMessageContaining("at most one range per family");
        assertThatThrownBy(() -> ServiceConfig.of(null, "30000", null)).hasMessageStartingWith("--node-port-range");
        assertThatThrownBy(() -> ServiceConfig.of(null, "a-b", null)).hasMessageStartingWith("--node-port-range");
        assertThatThrownBy(() -> ServiceConfig.of(null, null, List.of("nope"))).hasMessageStartingWith("--external-pool: 'nope'");
    }
}
