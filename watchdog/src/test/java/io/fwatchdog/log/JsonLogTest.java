package io.fwatchdog.log;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every line of a run with {@code log_format=json}, captured and parsed. */
class JsonLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RFC_3339_UTC = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @BeforeEach
    void capture() {
        Log.to(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        Log.to(System.err);
    }

    /** Every captured line, each parsed as one JSON object (parsing fails the test otherwise). */
    private List<JsonNode> lines() throws Exception {
        Log.flush();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : captured.toString(StandardCharsets.UTF_8).split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            assertThat(node.isObject()).as(line).isTrue();
            lines.add(node);
        }
        return lines;
    }

    private static List<JsonNode> stream(List<JsonNode> lines, String stream) {
        return lines.stream().filter(l -> l.path("stream").asText().equals(stream)).toList();
    }

    @Test
    void writesEveryLineOfARunAsOneJsonObject() throws Exception {
        HttpResponse<String> response;
        try (var w = WatchdogFixture.start(Map.of("log_format", "json", "mode", "serializing",
                "fprocess", "sh -c 'echo \"to \\\"stderr\\\"\" >&2; cat'"))) {
            response = w.client.send(HttpRequest.newBuilder(w.uri("/echo?x=1"))
                    .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
        }
        String callId = response.headers().firstValue("x-call-id").orElseThrow();

        List<JsonNode> lines = lines();

        assertThat(lines).isNotEmpty().allSatisfy(line -> {
            assertThat(line.path("time").asText()).matches(RFC_3339_UTC);
            assertThat(Instant.parse(line.path("time").asText())).isBefore(Instant.now().plusSeconds(1));
            assertThat(line.path("level").asText()).isIn("info", "warn", "error");
            assertThat(line.path("stream").asText()).isIn("watchdog", "access", "stderr");
            assertThat(line.path("msg").isTextual()).isTrue();
            assertThat(line.path("mode").asText()).isEqualTo("serializing");
        });
        assertThat(stream(lines, "watchdog")).extracting(l -> l.path("msg").asText())
                .anySatisfy(msg -> assertThat(msg).startsWith("fwatchdog serializing mode listening on port"))
                .contains("shutdown complete");
        assertThat(stream(lines, "access")).singleElement().satisfies(access -> {
            assertThat(access.path("method").asText()).isEqualTo("POST");
            assertThat(access.path("path").asText()).isEqualTo("/echo");
            assertThat(access.path("query").asText()).isEqualTo("x=1");
            assertThat(access.path("status").asInt()).isEqualTo(200);
            assertThat(access.path("bytes").asLong()).isEqualTo(5);
            assertThat(access.path("duration_s").isNumber()).isTrue();
            assertThat(access.path("duration_s").asDouble()).isPositive();
            assertThat(access.path("call_id").asText()).isEqualTo(callId);
        });
        assertThat(stream(lines, "stderr")).singleElement().satisfies(relayed -> {
            assertThat(relayed.path("msg").asText()).isEqualTo("to \"stderr\"");
            assertThat(relayed.path("call_id").asText()).isEqualTo(callId);
            assertThat(relayed.path("pid").asLong()).isPositive();
        });
    }

    @Test
    void relayedLinesCarryTheCallIdOfTheirOwnRequestUnderConcurrency(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        int count = 6;
        Set<String> answered = new HashSet<>();
        try (var w = WatchdogFixture.start(Map.of("log_format", "json", "fprocess", "sh " + function("call-id.sh")))) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                responses.add(w.client.sendAsync(HttpRequest.newBuilder(w.uri("/"))
                        .header("X-Dir", dir.toString()).header("X-Count", Integer.toString(count))
                        .POST(HttpRequest.BodyPublishers.ofString("r" + i)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (var response : responses) {
                HttpResponse<String> r = response.join();
                assertThat(r.statusCode()).isEqualTo(200);
                answered.add(r.headers().firstValue("x-call-id").orElseThrow());
            }
        }
        assertThat(Files.list(dir).count()).as("processes that ran at once").isEqualTo(count);

        List<JsonNode> relayed = stream(lines(), "stderr");

        assertThat(relayed).hasSize(count * 5).allSatisfy(line -> {
            String said = line.path("msg").asText().split(" ")[1];
            assertThat(line.path("call_id").asText()).as(line.toString()).isEqualTo(said);
        });
        assertThat(relayed.stream().map(l -> l.path("call_id").asText()).collect(Collectors.toSet()))
                .isEqualTo(answered);
        assertThat(relayed.stream().map(l -> l.path("pid").asLong()).collect(Collectors.toSet())).hasSize(count);
    }

    @Test
    void textFormatKeepsOfWatchdogsLines() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("log_callid", "true",
                "fprocess", "sh -c 'echo oops >&2; cat'"))) {
            HttpResponse<String> response = w.post("/p", "abc");
            String callId = response.headers().firstValue("x-call-id").orElseThrow();
            // The stderr relay runs beside the response: its line may come after the access line.
            Processes.await(Duration.ofSeconds(20), () -> {
                Log.flush();
                return captured.toString(StandardCharsets.UTF_8).contains("stderr: oops");
            });

            String text = captured.toString(StandardCharsets.UTF_8);

            assertThat(text).containsPattern("(?m)^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d stderr: oops$")
                    .containsPattern("(?m)^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d POST /p - 200 - ContentLength: 3B "
                            + "\\(\\d+\\.\\d{4}s\\) call_id=" + callId + "$");
        }
    }
}
