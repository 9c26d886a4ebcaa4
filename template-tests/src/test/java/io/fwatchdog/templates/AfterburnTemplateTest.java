package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * python3-afterburn and node-afterburn with the historical afterburn templates' handler
 * signatures, {@code handle(req)} returning a string and {@code (body, callback)}, through the
 * watchdog in afterburn mode with each template's ENV.
 */
class AfterburnTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TemplateRun python;
    private static TemplateRun node;

    @BeforeAll
    static void start() throws Exception {
        python = TemplateRun.start(Template.named("python3-afterburn"), Handlers.folder("python3-afterburn", "historical"), Map.of(),
                run -> run.request("/").POST(HttpRequest.BodyPublishers.ofString("warm")));
        node = TemplateRun.start(Template.named("node-afterburn"), Handlers.folder("node-afterburn", "historical"), Map.of(),
                run -> run.request("/").POST(HttpRequest.BodyPublishers.ofString("warm")));
    }

    @AfterAll
    static void stop() throws Exception {
        try (TemplateRun a = python; TemplateRun b = node) {
            python = null;
            node = null;
        }
    }

    private static HttpResponse<byte[]> post(TemplateRun run, String body) throws Exception {
        return run.send(run.request("/").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void pythonHandleGetsTheBodyAsTextAndItsStringIsTheAnswer() throws Exception {
        HttpResponse<byte[]> response = post(python, "grüß dich");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(text(response)).isEqualTo("Hello Python 3: grüß dich");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void pythonHandleSeesAnEmptyBodyOnGetAndMayReturnNothing() throws Exception {
        assertThat(text(python.send(python.request("/")))).isEqualTo("Hello Python 3: ");
        HttpResponse<byte[]> nothing = post(python, "nothing");
        assertThat(nothing.statusCode()).isEqualTo(200);
        assertThat(nothing.body()).isEmpty();
    }

    @Test
    void aRaisingPythonHandlerIs500AndTheNextRequestIsServed() throws Exception {
        HttpResponse<byte[]> failed = post(python, "fail");

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(text(failed)).contains("ValueError: asked to fail");
        assertThat(text(post(python, "after"))).isEqualTo("Hello Python 3: after");
    }

    @Test
    void nodeCallbackResultsAreJsonOrText() throws Exception {
        HttpResponse<byte[]> json = post(node, "grüß");
        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(JSON.readTree(json.body())).isEqualTo(JSON.readTree("{\"status\":\"done\",\"received\":\"grüß\"}"));

        HttpResponse<byte[]> plain = post(node, "text");
        assertThat(text(plain)).isEqualTo("plain text");
    }

    @Test
    void aNodeCallbackErrorIs500AndTheNextRequestIsServed() throws Exception {
        HttpResponse<byte[]> failed = post(node, "fail");

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(text(failed)).contains("asked to fail");
        assertThat(JSON.readTree(post(node, "after").body()).get("received").asText()).isEqualTo("after");
    }

    @Test
    void concurrentRequestsEachGetTheirOwnAnswer() throws Exception {
        for (TemplateRun run : List.of(python, node)) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                responses.add(run.watchdog.client.sendAsync(run.request("/").timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("request " + i)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < responses.size(); i++) {
                HttpResponse<String> response = responses.get(i).get(60, TimeUnit.SECONDS);
                assertThat(response.statusCode()).as("%s request %d", run.template, i).isEqualTo(200);
                assertThat(response.body()).contains("request " + i);
            }
        }
    }
}
