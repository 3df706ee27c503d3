package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.weir.agent.service.LbBackend;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;

/**
 * The rows of {@code weir service list} (one per frontend, with its backends and their states), formatted from a
 * computed {@link LbState} when someone asks for them: O(n) in the state's services and backends, which a listing
 * pays once and a computation never (the agent keeps the state, not the rows).
 */
final class ServiceRows {

    private ServiceRows() {
    }

    /** The state's services, their rows formatted on demand. */
    static StateView.Services of(LbState state) {
        return new StateView.Services(() -> rows(state), state.pending(), state.warnings());
    }

    static List<StateView.ServiceRow> rows(LbState state) {
        Map<Integer, LbService> services = new HashMap<>();
        Map<Integer, LbBackend> backends = new HashMap<>();
        state.services().forEach(s -> services.put(s.id(), s));
        state.backends().forEach(b -> backends.put(b.id(), b));
        List<LbFrontend> frontends = new ArrayList<>(state.frontends());
        frontends.sort(LbFrontend.ORDER);
        List<StateView.ServiceRow> rows = new ArrayList<>(frontends.size());
        for (LbFrontend f : frontends) {
            rows.add(row(f, services.get(f.svcId()), backends));
        }
        return rows;
    }

    private static StateView.ServiceRow row(LbFrontend f, LbService svc, Map<Integer, LbBackend> backends) {
        List<String> list = new ArrayList<>();
        for (int id : svc == null ? List.<Integer>of() : svc.backends()) {
            LbBackend b = backends.get(id);
            list.add(b.address() + ":" + b.port() + " " + b.state().name().toLowerCase(Locale.ROOT)
                    + (b.targetRef() == null ? "" : " (" + b.targetRef() + ")"));
        }
        return new StateView.ServiceRow(f.service(), f.kind().name(), f.address() + ":" + f.port(), f.protocol().name(),
                f.clientScope().name().toLowerCase(Locale.ROOT), list, f.flagNames());
    }
}
