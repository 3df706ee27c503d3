package dev.weir.agent.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class FlowHistoryTest {

    private static FlowFilter filter(List<String> verdicts, List<String> fromPods, List<String> toPods,
                                     List<Integer> ports, List<String> protocols) {
        return new FlowFilter(verdicts, fromPods, toPods, List.of(), List.of(), List.of(), List.of(), ports, protocols, null);
    }

    private FlowHistory history(int capacity) {
        FlowHistory h = new FlowHistory(new FlowHistory.Config(capacity, 4), FlowFixtures.decorator());
        h.publish(FlowFixtures.tcp(80, 1, 0));
        h.publish(FlowFixtures.tcp(81, 2, 1));
        h.publish(FlowFixtures.udpReply());
        return h;
    }

    @Test
    void filtersUseHubbleSemantics() {
        FlowHistory h = history(100);
        assertThat(h.query(FlowFilter.ALL, 0)).hasSize(3);
        assertThat(h.query(filter(List.of("DROPPED"), List.of(), List.of(), List.of(), List.of()), 0))
                .extracting(FlowRecord::destinationPort).containsExactly(81);
        assertThat(h.query(filter(List.of("forwarded", "dropped"), List.of("x/a"), List.of(), List.of(), List.of()), 0))
                .as("values of one option OR, options AND").hasSize(2);
        assertThat(h.query(filter(List.of(), List.of("x/"), List.of("y/b"), List.of(80), List.of("tcp")), 0)).hasSize(1);
        assertThat(h.query(filter(List.of(), List.of("y/b"), List.of(), List.of(), List.of("udp")), 0)).hasSize(1);
        assertThat(h.query(filter(List.of(), List.of("a"), List.of(), List.of(), List.of()), 0))
                .as("a bare pod name means the default namespace, as in hubble").isEmpty();
        assertThat(h.query(new FlowFilter(List.of(), List.of(), List.of(), List.of("y/b"), List.of("k8s:pod=a"),
                List.of("pod=b"), List.of("x"), List.of(), List.of(), null), 0)).hasSize(2);
        assertThat(h.query(new FlowFilter(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), FlowFixtures.T0.plusSeconds(1)), 0)).hasSize(2);
        assertThat(h.query(FlowFilter.ALL, 2)).extracting(FlowRecord::seq).containsExactly(2L, 3L);
        assertThatThrownBy(() -> filter(List.of("ALLOWED"), List.of(), List.of(), List.of(), List.of()))
                .hasMessageContaining("unknown verdict 'ALLOWED'");
    }

    @Test
    void theRingEvictsOldestAndCountsLoss() {
        FlowHistory h = history(2);
        assertThat(h.query(FlowFilter.ALL, 0)).extracting(FlowRecord::seq).containsExactly(2L, 3L);
        h.kernelLostTotal(5);
        h.kernelLostTotal(7);
        FlowHistory.Counters c = h.counters();
        assertThat(c.seen()).isEqualTo(3);
        assertThat(c.evicted()).isEqualTo(1);
        assertThat(c.kernelLost()).isEqualTo(7);
        h.kernelLostTotal(1); // the map was recreated: the count restarts from there
        assertThat(h.counters().kernelLost()).isEqualTo(8);
    }

    @Test
    void followersGetNewMatchingFlowsAndCountWhatTheyMiss() throws Exception {
        FlowHistory h = history(100);
        try (FlowHistory.Follower f = h.follow(filter(List.of("DROPPED"), List.of(), List.of(), List.of(), List.of()))) {
            h.publish(FlowFixtures.tcp(80, 1, 20));
            h.publish(FlowFixtures.tcp(82, 2, 21));
            assertThat(f.next(1000).destinationPort()).isEqualTo(82);
            assertThat(f.next(10)).isNull();
            for (int i = 0; i < 10; i++) {
                h.publish(FlowFixtures.tcp(1000 + i, 2, 30 + i));
            }
            assertThat(f.lost()).isEqualTo(6);
            assertThat(h.counters().followerLost()).isEqualTo(6);
        }
        FlowHistory.Follower g = h.follow(FlowFilter.ALL);
        h.stop();
        assertThatThrownBy(() -> g.next(1000)).isInstanceOf(IllegalStateException.class);
    }
}
