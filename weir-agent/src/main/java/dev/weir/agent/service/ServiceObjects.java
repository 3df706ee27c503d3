package dev.weir.agent.service;

import java.util.List;

/**
 * What one parse returned: Services and EndpointSlices, each in file order. Immutable.
 *
 * @param services the Services
 * @param slices   the EndpointSlices
 */
public record ServiceObjects(List<Service> services, List<EndpointSlice> slices) {

    public ServiceObjects {
        services = List.copyOf(services);
        slices = List.copyOf(slices);
    }
}
