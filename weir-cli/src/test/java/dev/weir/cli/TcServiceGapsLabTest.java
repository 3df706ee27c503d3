package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/**
 * The service gaps with the socket path off: pods' connections are translated (and refused) per packet at TC. The
 * agents also get other sizes for their policy and conntrack maps.
 */
class TcServiceGapsLabTest extends ServiceGapsLabTest {

    @BeforeAll
    static void up() {
        upWith("--socket-lb", "off", "--map-size", "pol=32768", "--map-size", "ipcache=16384", "--map-size", "ct=131072",
                "--map-size", "np_ct=8192");
    }
}
