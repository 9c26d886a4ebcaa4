package io.fwatchdog.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The value syntaxes of README.md#running-it, each a pure function from text to a value, empty when the text
 * does not parse. Range checks belong to the caller, which knows the variable.
 *
 * <p>Sizes are plain bytes or a binary suffix {@code Ki}, {@code Mi}, {@code Gi} (exactly so
 * spelled). Decimal ({@code K}, {@code MB}) and lower-case suffixes are refused on purpose:
 * whether {@code 1M} means 10^6 or 2^20 is a guess this parser will not make.
 */
final class ValueSyntax {
    private ValueSyntax() {}

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern SIGNED_DIGITS = Pattern.compile("-?[0-9]+");
    // One element of a Go duration such as "1.5h" in "1.5h30m". Longer units first so "ms" is not read as "m".
    private static final Pattern DURATION_ELEMENT = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "µs", 1_000L, // U+00B5 micro sign
            "μs", 1_000L, // U+03BC Greek mu; Go accepts both
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);
    private static final Pattern SIZE = Pattern.compile("([0-9]+)(Ki|Mi|Gi)?");
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    /**
     * A bare non-negative integer is seconds; anything else is a Go duration ({@code 500ms},
     * {@code 1m30s}, {@code 1.5h}) whose elements are summed. No sign is accepted: a negative
     * timeout has no meaning here. Fractions of a nanosecond are truncated, as Go does.
     */
    static Optional<Duration> duration(String text) {
        if (DIGITS.matcher(text).matches()) {
            return nanos(new BigDecimal(text).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get("s"))));
        }
        var element = DURATION_ELEMENT.matcher(text);
        var total = BigDecimal.ZERO;
        int at = 0;
        while (at < text.length()) {
            element.region(at, text.length());
            if (!element.lookingAt()) {
                return Optional.empty();
            }
            String number = element.group(1);
            // The pattern lets "." and "" through; Go requires at least one digit.
            if (number.isEmpty() || number.equals(".")) {
                return Optional.empty();
            }
            total = total.add(new BigDecimal(number).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(element.group(2)))));
            at = element.end();
        }
        return at == 0 ? Optional.empty() : nanos(total);
    }

    private static Optional<Duration> nanos(BigDecimal nanos) {
        var whole = nanos.setScale(0, RoundingMode.DOWN);
        return whole.compareTo(LONG_MAX) > 0 ? Optional.empty() : Optional.of(Duration.ofNanos(whole.longValueExact()));
    }

    /** {@code true/false/1/0/yes/no/on/off}, any case. */
    static Optional<Boolean> bool(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> Optional.of(true);
            case "false", "0", "no", "off" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /** A decimal integer with an optional minus sign; empty when it does not fit in a long. */
    static OptionalLong integer(String text) {
        if (!SIGNED_DIGITS.matcher(text).matches()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException tooLarge) {
            return OptionalLong.empty();
        }
    }

    /** Bytes, or a count with suffix {@code Ki}, {@code Mi} or {@code Gi} (powers of 1024). */
    static OptionalLong size(String text) {
        var m = SIZE.matcher(text);
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
            case "Ki" -> 10;
            case "Mi" -> 20;
            default -> 30;
        };
        var bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1L << shift));
        return bytes.compareTo(LONG_MAX) > 0 ? OptionalLong.empty() : OptionalLong.of(bytes.longValueExact());
    }
}
