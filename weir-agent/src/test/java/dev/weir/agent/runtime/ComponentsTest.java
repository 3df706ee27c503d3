package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ComponentsTest {

    private final List<String> events = new ArrayList<>();

    private Component component(String name, boolean failStart, boolean failStop) {
        return new Component() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void start() throws Exception {
                if (failStart) {
                    throw new java.io.IOException(name + " broke");
                }
                events.add("start " + name);
            }

            @Override
            public void stop() {
                events.add("stop " + name);
                if (failStop) {
                    throw new IllegalStateException(name + " stop broke");
                }
            }
        };
    }

    @Test
    void startsInOrderAndStopsInReverse() {
        Components c = new Components(List.of(component("a", false, false), component("b", false, false),
                component("c", false, false)), m -> { });
        c.start();
        c.stop();
        c.stop();
        assertThat(events).containsExactly("start a", "start b", "start c", "stop c", "stop b", "stop a");
    }

    @Test
    void failedStartStopsWhatStartedInReverse() {
        Components c = new Components(List.of(component("a", false, false), component("b", false, false),
                component("c", true, false), component("d", false, false)), m -> { });
        assertThatThrownBy(c::start).isInstanceOf(Components.ComponentStartException.class)
                .hasMessage("cannot start c: c broke")
                .satisfies(e -> assertThat(((Components.ComponentStartException) e).component()).isEqualTo("c"));
        assertThat(events).containsExactly("start a", "start b", "stop b", "stop a");
    }

    @Test
    void aFailingStopDoesNotKeepTheOthersRunning() {
        Components c = new Components(List.of(component("a", false, false), component("b", false, true)), m -> { });
        c.start();
        c.stop();
        assertThat(events).containsExactly("start a", "start b", "stop b", "stop a");
    }
}
