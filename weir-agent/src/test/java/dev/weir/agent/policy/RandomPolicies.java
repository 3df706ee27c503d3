package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * Random policy sets over the netpol model, for the property tests (here and the datapath's Java-vs-kernel
 * check). Deterministic per seed.
 */
public final class RandomPolicies {

    private static final String[] NS = {"x", "y", "z"};
    private static final String[] POD = {"a", "b", "c"};
    private static final String[][] BLOCKS = {
            {"10.244.0.0/16", "10.244.2.0/24", "10.244.1.10/32"},
            {"10.244.2.0/24", "10.244.2.16/28"},
            {"10.244.1.0/24", "10.244.1.30/32"},
            {"0.0.0.0/0", "10.244.3.0/24", "192.168.100.200/32"},
            {"192.168.100.200/32"},
            {"fd00:10:244::/48", "fd00:10:244:2::/64", "fd00:10:244:1::10/128"},
            {"fd00:10:244:3::/64", "fd00:10:244:3::20/128"},
            {"::/0", "fd00:10:244:1::/64"},
    };

    private final Random rnd;
    private int n;

    public RandomPolicies(long seed) {
        this.rnd = new Random(seed);
    }

    public List<PolicyObject> next() {
        List<PolicyObject> out = new ArrayList<>();
        int count = 1 + rnd.nextInt(4);
        for (int i = 0; i < count; i++) {
            out.add(rnd.nextInt(4) == 0 ? weir() : k8s());
        }
        if (rnd.nextInt(6) == 0) {
            out.add(new PolicyMode(NS[rnd.nextInt(3)], "mode" + n++, null,
                    rnd.nextBoolean() ? null : LabelSelector.of(Map.of("pod", POD[rnd.nextInt(3)])),
                    PolicyMode.Enforcement.values()[rnd.nextInt(3)], rnd.nextBoolean()));
        }
        return out;
    }

    private NetworkPolicy k8s() {
        Set<Direction> types = switch (rnd.nextInt(3)) {
            case 0 -> Set.of(Direction.INGRESS);
            case 1 -> Set.of(Direction.EGRESS);
            default -> Set.of(Direction.INGRESS, Direction.EGRESS);
        };
        return new NetworkPolicy(NS[rnd.nextInt(3)], "np" + n++, null, selector(), types, k8sRules(), k8sRules());
    }

    private List<NetworkPolicy.Rule> k8sRules() {
        List<NetworkPolicy.Rule> rules = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
            List<NetworkPolicy.Peer> peers = new ArrayList<>();
            for (int p = rnd.nextInt(3); p > 0; p--) {
                peers.add(switch (rnd.nextInt(4)) {
                    case 0 -> new NetworkPolicy.Peer(selector(), null, null);
                    case 1 -> new NetworkPolicy.Peer(null, nsSelector(), null);
                    case 2 -> new NetworkPolicy.Peer(selector(), nsSelector(), null);
                    default -> new NetworkPolicy.Peer(null, null, block());
                });
            }
            rules.add(new NetworkPolicy.Rule(peers, ports(false)));
        }
        return rules;
    }

    private WeirPolicy weir() {
        boolean cluster = rnd.nextInt(3) == 0;
        return new WeirPolicy(cluster, cluster ? null : NS[rnd.nextInt(3)], "w" + n++, null, selector(),
                rnd.nextBoolean() ? null : weirRules(), rnd.nextBoolean() ? null : weirRules(), weirRules(), weirRules());
    }

    private List<WeirPolicy.Rule> weirRules() {
        List<WeirPolicy.Rule> rules = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
            List<LabelSelector> eps = new ArrayList<>();
            List<Entity> ents = new ArrayList<>();
            List<IpBlock> cidrs = new ArrayList<>();
            for (int p = rnd.nextInt(3); p > 0; p--) {
                switch (rnd.nextInt(4)) {
                    case 0 -> eps.add(selector());
                    case 1 -> eps.add(LabelSelector.of(Map.of("io.kubernetes.pod.namespace", NS[rnd.nextInt(3)])));
                    case 2 -> ents.add(Entity.values()[rnd.nextInt(Entity.values().length)]);
                    default -> cidrs.add(block());
                }
            }
            rules.add(new WeirPolicy.Rule(eps, ents, cidrs, ports(true)));
        }
        return rules;
    }

    private LabelSelector selector() {
        return switch (rnd.nextInt(5)) {
            case 0 -> LabelSelector.ALL;
            case 1 -> new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("pod",
                    rnd.nextBoolean() ? LabelSelector.Operator.IN : LabelSelector.Operator.NOT_IN,
                    List.of(POD[rnd.nextInt(3)], POD[rnd.nextInt(3)]))));
            case 2 -> new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement(rnd.nextBoolean() ? "pod" : "app",
                    rnd.nextBoolean() ? LabelSelector.Operator.EXISTS : LabelSelector.Operator.DOES_NOT_EXIST, List.of())));
            default -> LabelSelector.of(Map.of("pod", POD[rnd.nextInt(3)]));
        };
    }

    private LabelSelector nsSelector() {
        return switch (rnd.nextInt(3)) {
            case 0 -> LabelSelector.ALL;
            case 1 -> new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("ns", LabelSelector.Operator.IN,
                    List.of(NS[rnd.nextInt(3)], NS[rnd.nextInt(3)]))));
            default -> LabelSelector.of(Map.of("kubernetes.io/metadata.name", NS[rnd.nextInt(3)]));
        };
    }

    private IpBlock block() {
        String[] b = BLOCKS[rnd.nextInt(BLOCKS.length)];
        List<Cidr> except = new ArrayList<>();
        for (int i = 1; i < b.length; i++) {
            if (rnd.nextBoolean()) {
                except.add(Cidr.parse(b[i]));
            }
        }
        return new IpBlock(Cidr.parse(b[0]), except);
    }

    private List<PortRule> ports(boolean allowAny) {
        List<PortRule> out = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
            Protocol p = allowAny && rnd.nextInt(4) == 0 ? null : rnd.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            PortRange r = switch (rnd.nextInt(5)) {
                case 0 -> null;
                case 1 -> new PortRange(80, 81);
                case 2 -> new PortRange(81, 1000);
                case 3 -> PortRange.single(80);
                default -> PortRange.single(81);
            };
            out.add(new PortRule(p, r));
        }
        return out;
    }
}
