package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.PortRange;
import dev.weir.agent.policy.PortBlocks.Block;

class PortBlocksTest {

    @Test
    void portRangesSplitIntoTheFewestAlignedBlocks() {
        assertThat(PortBlocks.split(PortRange.single(80))).containsExactly(new Block(80, 16));
        assertThat(PortBlocks.split(new PortRange(80, 81))).containsExactly(new Block(80, 15));
        assertThat(PortBlocks.split(new PortRange(80, 90))).containsExactly(new Block(80, 13), new Block(88, 15), new Block(90, 16));
        assertThat(PortBlocks.split(new PortRange(1, 65535))).hasSize(16);
        int covered = PortBlocks.split(new PortRange(32000, 32768)).stream().mapToInt(b -> 1 << (16 - b.bits())).sum();
        assertThat(covered).isEqualTo(769);
        assertThat(PortBlocks.blockBits(new PortRange(80, 90), 89)).isEqualTo(15);
    }

    /** Blocks are aligned, follow one another without gap or overlap, and blockBits names the one holding a port. */
    @Test
    void blocksTileRandomRangesExactly() {
        Random rnd = new Random(11);
        for (int i = 0; i < 2000; i++) {
            int first = 1 + rnd.nextInt(65535);
            PortRange r = new PortRange(first, first + rnd.nextInt(65536 - first));
            List<Block> blocks = PortBlocks.split(r);
            int next = r.first();
            for (Block b : blocks) {
                assertThat(b.first()).as("%s %s", r, blocks).isEqualTo(next);
                assertThat(b.first() & ((1 << (16 - b.bits())) - 1)).as("%s aligned", b).isZero();
                assertThat(PortBlocks.blockBits(r, b.first())).isEqualTo(PortBlocks.blockBits(r, b.last())).isEqualTo(b.bits());
                next = b.last() + 1;
            }
            assertThat(next - 1).isEqualTo(r.last());
            assertThat(blocks).hasSizeLessThanOrEqualTo(30);
        }
    }
}
