package io.fwatchdog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void modesThatStartTheirFunctionWithTheWatchdogArePreparedAhead() {
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", "http"))).isTrue();
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", " AfterBurn "))).isTrue();
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", "serializing", "prefork", "4"))).isTrue();
    }

    @Test
    void forkModesWithoutPreforkAndStaticAreNot() {
        assertThat(Main.startsAProcessAtOnce(Map.of())).isFalse();
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", "streaming"))).isFalse();
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", "serializing", "prefork", "0"))).isFalse();
        assertThat(Main.startsAProcessAtOnce(Map.of("mode", "static"))).isFalse();
    }
}
