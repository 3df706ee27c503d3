package dev.weir.cli.agent;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.service.BackendOverrides;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.LbBackend;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbService;
import dev.weir.agent.service.LbState;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.service.ServiceEngine;
import dev.weir.agent.service.ServiceObjects;
import dev.weir.agent.service.ServiceParser;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.lab.Lab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir service list}: the Services in the store as a node's datapath sees them — each frontend
 * (ClusterIP, NodePort, LoadBalancer, external IP) with its backends and their states. Computed from the
 * store with the agents' service engine; {@code weir bpf lb list} shows the maps themselves.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Services (kube-proxy replacement).", subcommands = {ServiceCommand.List_.class, BackendCommand.class})
public final class ServiceCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List service frontends with type, backends and backend states, as a node sees them.")
    static final class List_ implements Runnable {
        @Option(names = "--node", paramLabel = "NAME", description = "The node whose view to show (default: the first).")
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        /** One frontend. */
        record Row(String service, String type, String frontend, String protocol, String scope, List<String> backends,
                   String flags) {
        }

        @Override
        public void run() {
            List<Node> nodes = nodes();
            String self = node != null ? node : nodes.isEmpty() ? "node1" : nodes.getFirst().name();
            LbState state = resolve(nodes, self);
            Map<Integer, LbBackend> backends = new TreeMap<>();
            state.backends().forEach(b -> backends.put(b.id(), b));
            List<Row> rows = new ArrayList<>();
            for (LbFrontend f : state.frontends()) {
                LbService svc = state.service(f.svcId()).orElse(null);
                List<String> list = new ArrayList<>();
                for (int id : svc == null ? List.<Integer>of() : svc.backends()) {
                    LbBackend b = backends.get(id);
                    list.add(b.address() + ":" + b.port() + " " + b.state().name().toLowerCase()
                            + (b.targetRef() == null ? "" : " (" + b.targetRef() + ")"));
                }
                rows.add(new Row(f.service(), f.kind().name(), f.address() + ":" + f.port(), f.protocol().name(),
                        f.clientScope().name().toLowerCase(), list, f.flagNames()));
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            out.println("as node " + self + " sees them (store " + store() + ")");
            Table t = new Table("SERVICE", "TYPE", "FRONTEND", "PROTO", "CLIENTS", "BACKENDS");
            rows.forEach(r -> t.row(r.service(), r.type(), r.frontend(), r.protocol(), r.scope(),
                    r.backends().isEmpty() ? "(none)" : String.join(", ", r.backends())));
            t.print(out);
            state.pending().forEach(p -> out.println("pending: EndpointSlice " + p + " (its Service does not exist yet)"));
            state.warnings().forEach(w -> out.println("warning: " + w));
        }

        private static Path store() {
            return Files.isDirectory(LabAgents.LAB_STORE) ? LabAgents.LAB_STORE : AgentConfig.DEFAULT_STORE;
        }

        private static List<Node> nodes() {
            return Lab.current().map(l -> l.model().nodes().stream()
                    .map(n -> new Node(n.name(), n.netns(), n.ipv4(), n.ipv6())).toList()).orElse(List.of());
        }

        private static LbState resolve(List<Node> nodes, String self) {
            StringBuilder yaml = new StringBuilder();
            List<String> overrides = new ArrayList<>();
            if (Files.isDirectory(store())) {
                for (StoredObject o : new FileStore(FileStore.Config.of(store())).snapshot().objects()) {
                    if (o.key().kind().equals("Service") || o.key().kind().equals("EndpointSlice")) {
                        yaml.append(o.document()).append("\n---\n");
                    } else if (o.key().kind().equals(BackendOverrides.KIND)) {
                        overrides.add(o.document());
                    }
                }
            }
            ServiceObjects objects = yaml.isEmpty() ? new ServiceObjects(List.of(), List.of())
                    : new ServiceParser(ServiceConfig.lab()).parse(yaml.toString(), "store");
            return new ServiceEngine(ServiceConfig.lab(), new InMemoryLbIdAllocator())
                    .resolve(objects.services(), objects.slices(), nodes, self, BackendOverrides.fromDocuments(overrides));
        }
    }
}
