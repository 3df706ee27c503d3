package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/** The service gaps with the socket path off: pods' connections are translated (and refused) per packet at TC. */
class TcServiceGapsLabTest extends ServiceGapsLabTest {

    @BeforeAll
    static void up() {
        upWith("--socket-lb", "off");
    }
}
