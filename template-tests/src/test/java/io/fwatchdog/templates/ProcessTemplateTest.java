package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every template whose function is a command run per request (streaming and serializing
 * mode), run as its image runs it, answering through the watchdog. Each starter command
 * behaves alike (see template/README.md): it echoes the body and fails a request without one.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("templates")
class ProcessTemplateTest extends RunningTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    static List<Template> templates() {
        return TemplateRun.Profile.templates(TemplateRun.Profile.PROCESS);
    }

    @BeforeParameterizedClassInvocation
    static void start(Template template) throws Exception {
        run = TemplateRun.start(template, started -> started.request("/").POST(HttpRequest.BodyPublishers.ofString("hello")));
    }

    @Test
    void echoesTheBodyWithTheConfiguredContentType() throws Exception {
        HttpResponse<byte[]> response = run.send(run.request("/").POST(HttpRequest.BodyPublishers.ofString("grüß dich")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("grüß dich");
        assertThat(response.headers().firstValue("content-type"))
                .hasValue(run.environment.getOrDefault("content_type", "application/octet-stream"));
        assertThat(response.headers().firstValue("x-call-id")).isPresent();
    }

    @Test
    void echoesAJsonBody() throws Exception {
        String json = "{\"name\":\"Ada\",\"tags\":[1,2,3]}";
        HttpResponse<byte[]> response = run.send(run.request("/").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree(json));
    }

    @Test
    void answers500WithAMessageWhenTheCommandFails() throws Exception {
        HttpResponse<byte[]> response = run.send(run.request("/"));

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("function exited with status 1");
    }

    @Test
    void roundTripsALargeBody() throws Exception {
        byte[] body = HandlerTemplateTest.random(4 << 20);
        HttpResponse<byte[]> response = run.send(run.request("/").POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }
}
