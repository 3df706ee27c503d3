package dev.weir.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicBoolean;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;

import org.junit.jupiter.api.Test;

/** dns.get / dns.set over a switch held in memory. */
class DnsApiTest {

    final AtomicBoolean on = new AtomicBoolean(true);
    final DnsApi api = new DnsApi(on::get, on::set, () -> new long[] {12, 3});

    @Test
    void getAnswersTheSwitchAndTheCountsSetSwitches() throws Exception {
        assertThat(api.handlers().get("dns.get").handle(ApiProtocol.mapper().createObjectNode()).toString())
                .isEqualTo("{\"visibility\":true,\"messages\":12,\"lost\":3}");
        var off = api.handlers().get("dns.set").handle(ApiProtocol.mapper().createObjectNode().put("visibility", false));
        assertThat(off.path("visibility").asBoolean()).isFalse();
        assertThat(on.get()).isFalse();
    }

    @Test
    void aVisibilityThatIsNoBooleanIsRefusedAndChangesNothing() {
        assertThatThrownBy(() -> api.handlers().get("dns.set").handle(ApiProtocol.mapper().createObjectNode().put("visibility", "off")))
                .isInstanceOf(ApiException.class).hasMessageContaining("dns.set: visibility must be true or false, got \"off\"");
        assertThat(on.get()).isTrue();
    }
}
