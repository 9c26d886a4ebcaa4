package io.fwatchdog.template;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One request, as the handler sees it.
 *
 * @param method   {@code "GET"}, {@code "POST"}, ...
 * @param path     the path, percent-decoded, without the query
 * @param query    the query's parameters, decoded; a repeated name keeps its last value
 * @param rawQuery the query as sent, without {@code ?}; empty when there is none
 * @param headers  header names in lower case; repeated headers joined with {@code ", "}
 * @param body     the whole request body; empty when there is none
 */
public record Event(String method, String path, Map<String, String> query, String rawQuery,
        Map<String, String> headers, byte[] body) {

    /** The body decoded as UTF-8. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** A header's value by its name in any case, or {@code fallback}. */
    public String header(String name, String fallback) {
        return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), fallback);
    }
}
