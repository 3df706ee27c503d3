package dev.weir.bench.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EtcdLoadTest {

    @Test
    void cpuTicksAreUtimePlusStimeEvenWithSpacesInTheCommand() {
        String stat = "716 (etcd (odd) name) S 1 716 716 0 -1 4194560 12345 0 3 0 1500 250 0 0 20 0 14 0 1234 0 0";
        assertThat(EtcdLoad.cpuTicks(stat)).isEqualTo(1750);
    }

    @Test
    void rssFromStatus() {
        String status = "Name:\tetcd\nVmPeak:\t 900000 kB\nVmRSS:\t   51200 kB\nThreads:\t14\n";
        assertThat(EtcdLoad.rssBytes(status)).isEqualTo(51200L * 1024);
        assertThat(EtcdLoad.rssBytes("Name:\tzombie\n")).isZero();
    }
}
