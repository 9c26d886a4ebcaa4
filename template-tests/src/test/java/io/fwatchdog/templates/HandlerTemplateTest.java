package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every template whose function is a {@code handle(event, context)} handler (http mode, later
 * afterburn), run as its image runs it, answering through the watchdog. Each starter handler
 * behaves alike (see template/README.md): GET greets {@code ?name=} in JSON and refuses an
 * empty name by throwing; other methods echo the body with its Content-Type and size, or 400
 * without a body.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("templates")
class HandlerTemplateTest extends RunningTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Handler templates whose official contract has no event to greet or echo from: tested on their own. */
    static final java.util.Set<String> OWN_CONTRACT = java.util.Set.of("python3-flask", "node20", "node22", "java17", "java21", "python3-afterburn", "node-afterburn");

    static List<Template> templates() {
        return TemplateRun.Profile.templates(TemplateRun.Profile.HANDLER).stream()
                .filter(t -> !OWN_CONTRACT.contains(t.name())).toList();
    }

    @BeforeParameterizedClassInvocation
    static void start(Template template) throws Exception {
        run = TemplateRun.start(template, started -> started.request("/hello?name=Ada"));
    }

    @Test
    void greetsWithAJsonBody() throws Exception {
        HttpResponse<byte[]> response = run.send(run.request("/hello?name=Ada"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(JSON.readValue(response.body(), Map.class)).isEqualTo(Map.of("message", "Hello, Ada!"));
        assertThat(response.headers().firstValue("x-call-id")).isPresent();
    }

    @Test
    void echoesTheBodyWithItsContentTypeAndTheHeadersTheHandlerSets() throws Exception {
        byte[] body = "grüß dich".getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> response = run.send(run.request("/echo").header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(response.headers().firstValue("x-body-size")).hasValue(String.valueOf(body.length));
    }

    @Test
    void answersTheStatusTheHandlerReturns() throws Exception {
        HttpResponse<byte[]> response = run.send(run.request("/echo").POST(HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("nothing to echo");
    }

    @Test
    void answers500WhenTheHandlerThrows() throws Exception {
        HttpResponse<byte[]> response = run.send(run.request("/hello?name="));

        // The body is the framework's: Flask's generic page, Express's message, ...
        assertThat(response.statusCode()).isEqualTo(500);
    }

    @Test
    void roundTripsALargeBodyWithContentLength() throws Exception {
        byte[] body = random(4 << 20);
        HttpResponse<byte[]> response = run.send(run.request("/echo").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-body-size")).hasValue(String.valueOf(body.length));
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void roundTripsALargeChunkedBody() throws Exception {
        byte[] body = random(1 << 20);
        HttpResponse<byte[]> response = run.send(run.request("/echo").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void servesConcurrentRequestsEachWithItsOwnBody() throws Exception {
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            responses.add(run.watchdog.client.sendAsync(run.request("/echo").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("request " + i)).build(), HttpResponse.BodyHandlers.ofByteArray()));
        }

        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<byte[]> response = responses.get(i).get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("request " + i);
        }
    }

    static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }
}
