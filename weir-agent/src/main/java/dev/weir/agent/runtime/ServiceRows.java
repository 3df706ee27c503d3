package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.service.LbBackend;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;

/**
 * The rows of {@code weir service list} (one per frontend, with its backends and their states), kept between
 * computations: a change that follows the rows' state ({@link LbChange#from}) rebuilds the rows of the
 * frontends it recomputed; anything else rebuilds them all, in O(n) (services and backends looked up by id).
 * Not thread-safe: its owner serialises calls.
 */
final class ServiceRows {

    private final TreeMap<LbFrontend, StateView.ServiceRow> rows = new TreeMap<>(LbFrontend.ORDER);
    private final Map<Integer, LbService> services = new HashMap<>();
    private final Map<Integer, LbBackend> backends = new HashMap<>();
    private long version = -1;

    StateView.Services of(LbState state, LbChange change) {
        if (change == null || change.from() < 0 || change.from() != version) {
            rebuild(state);
        } else {
            change.servicesBefore().forEach(s -> services.remove(s.id()));
            change.servicesAfter().forEach(s -> services.put(s.id(), s));
            change.backendsBefore().forEach(b -> backends.remove(b.id()));
            change.backendsAfter().forEach(b -> backends.put(b.id(), b));
            change.frontendsBefore().forEach(rows::remove);
            change.frontendsAfter().forEach(f -> rows.put(f, row(f)));
        }
        version = change == null ? -1 : change.to();
        return new StateView.Services(new ArrayList<>(rows.values()), state.pending(), state.warnings());
    }

    private void rebuild(LbState state) {
        rows.clear();
        services.clear();
        backends.clear();
        state.services().forEach(s -> services.put(s.id(), s));
        state.backends().forEach(b -> backends.put(b.id(), b));
        state.frontends().forEach(f -> rows.put(f, row(f)));
    }

    private StateView.ServiceRow row(LbFrontend f) {
        List<String> list = new ArrayList<>();
        LbService svc = services.get(f.svcId());
        for (int id : svc == null ? List.<Integer>of() : svc.backends()) {
            LbBackend b = backends.get(id);
            list.add(b.address() + ":" + b.port() + " " + b.state().name().toLowerCase(Locale.ROOT)
                    + (b.targetRef() == null ? "" : " (" + b.targetRef() + ")"));
        }
        return new StateView.ServiceRow(f.service(), f.kind().name(), f.address() + ":" + f.port(), f.protocol().name(),
                f.clientScope().name().toLowerCase(Locale.ROOT), list, f.flagNames());
    }
}
