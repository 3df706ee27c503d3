package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;

/**
 * The lab's service settings (DESIGN.md): 10.96.0.0/16, fd00:10:96::/112, NodePorts 30000-32767, the two /28
 * external pools. For tests: an agent takes its settings from its flags ({@link ServiceConfig#of}).
 */
public final class LabServiceConfig {

    private LabServiceConfig() {
    }

    public static ServiceConfig lab() {
        return new ServiceConfig(List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112")),
                new PortRange(30000, 32767), List.of(Cidr.parse("203.0.113.0/28"), Cidr.parse("203.0.113.16/28")),
                Maglev.DEFAULT_M, 131071);
    }
}
