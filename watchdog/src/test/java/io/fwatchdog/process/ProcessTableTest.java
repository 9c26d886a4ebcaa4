package io.fwatchdog.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessTableTest {
    @Test
    void descendantsComeAfterTheirParentsAndNameTheirSubtree() {
        // 1 is the root; 50 and 7 its children; 3 a child of 50 (a wrapped pid), 900 of 3; 8 is not ours.
        var table = new ProcessTable(Map.of(
                900L, new ProcessTable.Entry(3, 900),
                3L, new ProcessTable.Entry(50, 50),
                50L, new ProcessTable.Entry(1, 50),
                7L, new ProcessTable.Entry(1, 7),
                8L, new ProcessTable.Entry(2, 8)));

        var found = table.descendants(1);

        assertThat(found).containsOnly(
                Map.entry(50L, 50L), Map.entry(7L, 7L), Map.entry(3L, 50L), Map.entry(900L, 50L));
        var order = found.keySet().stream().toList();
        assertThat(order.indexOf(50L)).isLessThan(order.indexOf(3L));
        assertThat(order.indexOf(3L)).isLessThan(order.indexOf(900L));
    }
}
