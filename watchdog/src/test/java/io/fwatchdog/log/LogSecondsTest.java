package io.fwatchdog.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Durations as seconds with fixed decimals, for access lines and X-Duration-Seconds. */
class LogSecondsTest {
    @Test
    void writesExactlyTheDecimalsAskedForRoundedAsFormatWould() {
        long[] samples = {0, 1, 499, 500, 1_000, 123_456, 999_999, 1_000_000, 12_345_678, 999_999_999,
                1_000_000_000, 1_234_567_890, 59_999_999_999L, 3_600_000_000_000L};
        for (long nanos : samples) {
            for (int places : new int[] {1, 4, 6}) {
                String expected = String.format(Locale.ROOT, "%." + places + "f", nanos / 1e9);
                assertThat(Log.seconds(nanos, places)).as("%d ns, %d places", nanos, places).isEqualTo(expected);
                assertThat(Log.secondsAscii(nanos, places).toString()).isEqualTo(expected);
            }
        }
    }
}
