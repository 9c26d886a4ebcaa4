package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * python3-flask with the official template's handler contract, through the watchdog:
 * {@code handle(req)} gets the body as text (bytes with {@code RAW_BODY}) and returns whatever
 * Flask accepts; the official starter's behaviour and every example of the official README.
 */
class Python3FlaskTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Template TEMPLATE = Template.named("python3-flask");
    private static TemplateRun official;
    private static TemplateRun readme;
    private static TemplateRun raw;

    @BeforeAll
    static void start() throws Exception {
        official = TemplateRun.start(TEMPLATE, Handlers.folder("python3-flask", "official"), Map.of(), run -> run.request("/"));
        readme = TemplateRun.start(TEMPLATE, Handlers.folder("python3-flask", "readme"), Map.of(), run -> run.request("/hi"));
        // The README's stack file says RAW_BODY: True, which reaches the function as "True".
        raw = TemplateRun.start(TEMPLATE, Handlers.folder("python3-flask", "readme"), Map.of("RAW_BODY", "True"),
                run -> run.request("/raw"));
    }

    @AfterAll
    static void stop() throws Exception {
        try (TemplateRun a = official; TemplateRun b = readme; TemplateRun c = raw) {
            official = null;
            readme = null;
            raw = null;
        }
    }

    private static HttpResponse<byte[]> post(TemplateRun run, String path, String body) throws Exception {
        return run.send(run.request(path).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void officialStarterAnswersTheBodyAsHtmlText() throws Exception {
        HttpResponse<byte[]> response = post(official, "/", "grüß dich");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(text(response)).isEqualTo("grüß dich");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    }

    @Test
    void officialStarterAnswersAChunkedBody() throws Exception {
        HttpResponse<byte[]> response = official.send(official.request("/").POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream("chunked body".getBytes(StandardCharsets.UTF_8)))));

        assertThat(text(response)).isEqualTo("chunked body");
    }

    @Test
    void officialStartersPytestTestPasses(@TempDir Path temp) throws Exception {
        FunctionHome.create(TEMPLATE, temp, Handlers.folder("python3-flask", "official")).runStarterTests();
    }

    @Test
    void theBodyIsText() throws Exception {
        assertThat(text(post(readme, "/hi", "there"))).isEqualTo("Hithere");
        assertThat(text(post(readme, "/raw", "hello"))).isEqualTo("hello");
    }

    @Test
    void withRawBodyTheBodyIsBytes() throws Exception {
        assertThat(text(post(raw, "/raw", "hello"))).isEqualTo("b'hello'");
    }

    @Test
    void aTupleSetsTheStatusAndTheHeaders() throws Exception {
        HttpResponse<byte[]> accepted = post(readme, "/accepted", "job");
        assertThat(accepted.statusCode()).isEqualTo(201);
        assertThat(text(accepted)).isEqualTo("request accepted");

        HttpResponse<byte[]> binary = post(readme, "/accepted-binary", "job");
        assertThat(binary.statusCode()).isEqualTo(201);
        assertThat(binary.headers().firstValue("content-type")).hasValue("binary/octet-stream");
    }

    @Test
    void aDictIsJsonAndFlasksRequestIsAvailable() throws Exception {
        HttpResponse<byte[]> response = post(readme, "/json?q=x", "four");

        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"length\":4,\"method\":\"POST\",\"query\":\"x\"}"));
    }

    @Test
    void methodsOtherThanGetAndPostAre405() throws Exception {
        assertThat(readme.send(readme.request("/hi").PUT(HttpRequest.BodyPublishers.ofString("x"))).statusCode()).isEqualTo(405);
    }
}
