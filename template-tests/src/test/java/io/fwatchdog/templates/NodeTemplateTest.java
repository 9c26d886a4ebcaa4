package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Node.js templates with the official templates' handler contract, through the watchdog, on
 * Express from the npm registry: the official starter's behaviour, the documented examples
 * ({@code context.status().headers().succeed()}, {@code fail()}, the callback, a redirect),
 * returned objects and strings, JSON and text bodies, and {@code RAW_BODY}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {"node20", "node22"})
class NodeTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TemplateRun official;
    private static TemplateRun readme;
    private static TemplateRun raw;

    @Parameter
    String name;

    @BeforeParameterizedClassInvocation
    static void start(String name) throws Exception {
        Template template = Template.named(name);
        official = TemplateRun.start(template, Handlers.folder("node20", "official"), Map.of(), run -> run.request("/"));
        readme = TemplateRun.start(template, Handlers.folder("node20", "readme"), Map.of(), run -> run.request("/nothing"));
        raw = TemplateRun.start(template, Handlers.folder("node20", "readme"), Map.of("RAW_BODY", "true"),
                run -> run.request("/nothing"));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        try (TemplateRun a = official; TemplateRun b = readme; TemplateRun c = raw) {
            official = null;
            readme = null;
            raw = null;
        }
    }

    private static HttpResponse<byte[]> get(String path) throws Exception {
        return readme.send(readme.request(path));
    }

    private static HttpResponse<byte[]> post(TemplateRun run, String path, String type, String body) throws Exception {
        return run.send(run.request(path).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        return JSON.readTree(response.body());
    }

    @Test
    void officialStarterAnswersTheParsedBodyAndItsType() throws Exception {
        HttpResponse<byte[]> response = post(official, "/", "application/json", "{\"a\":1}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response)).isEqualTo(JSON.readTree("{\"body\":\"{\\\"a\\\":1}\",\"content-type\":\"application/json\"}"));
    }

    @Test
    void aBodyWithoutAContentTypeIsText() throws Exception {
        HttpResponse<byte[]> response = official.send(official.request("/").POST(HttpRequest.BodyPublishers.ofString("hi")));

        assertThat(json(response)).isEqualTo(JSON.readTree("{\"body\":\"\\\"hi\\\"\",\"content-type\":\"text/plain\"}"));
    }

    @Test
    void officialStartersTestScriptPasses(@TempDir Path temp) throws Exception {
        FunctionHome.create(Template.named(name), temp, Handlers.folder("node20", "official")).runStarterTests();
    }

    @Test
    void succeedSendsAnObjectAsJsonWithTheStatusSet() throws Exception {
        assertThat(json(post(readme, "/you-said", "application/json", "{\"x\":true}")))
                .isEqualTo(JSON.readTree("{\"status\":\"You said: {\\\"x\\\":true}\"}"));

        HttpResponse<byte[]> notFound = get("/not-found");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(json(notFound)).isEqualTo(JSON.readTree("{\"message\":\"The record requested was not found.\"}"));
    }

    @Test
    void failAnswers500WithTheText() throws Exception {
        HttpResponse<byte[]> response = get("/fail");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(text(response)).isEqualTo("Unable to process this event.");
    }

    @Test
    void failKeepsAStatusSetBeforeIt() throws Exception {
        HttpResponse<byte[]> response = get("/fail-with-status");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(text(response)).isEqualTo("Error: try later");
    }

    @Test
    void theCallbackAnswersToo() throws Exception {
        assertThat(json(get("/callback"))).isEqualTo(JSON.readTree("{\"result\":\"message received\"}"));
    }

    @Test
    void headersAndStatusRedirect() throws Exception {
        HttpResponse<byte[]> response = get("/redirect");

        assertThat(response.statusCode()).isEqualTo(307);
        assertThat(response.headers().firstValue("location")).hasValue("https://www.example.com/");
        assertThat(text(response)).isEqualTo("Page has moved.");
    }

    @Test
    void aReturnedObjectIsJsonWithTheEventsMethodPathAndQuery() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/returned-object/deeper?tag=a&tag=b&name=x")
                .method("DELETE", HttpRequest.BodyPublishers.noBody()));

        assertThat(json(response)).isEqualTo(JSON.readTree(
                "{\"method\":\"DELETE\",\"path\":\"/returned-object/deeper\",\"query\":{\"tag\":[\"a\",\"b\"],\"name\":\"x\"}}"));
    }

    @Test
    void aReturnedStringIsHtmlText() throws Exception {
        HttpResponse<byte[]> response = get("/returned-string");

        assertThat(text(response)).isEqualTo("plain words");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    }

    @Test
    void headersTheHandlerSetsAreSentAndRequestHeadersAreLowerCase() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/headers").header("X-Thing", "t"));

        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(response.headers().firstValue("x-thing")).hasValue("t");
        assertThat(text(response)).isEqualTo("a,b\n");
    }

    @Test
    void aJsonBodyArrivesParsedAndATextBodyAsAString() throws Exception {
        assertThat(json(post(readme, "/json-body", "application/json", "{\"name\":\"Ada\",\"n\":21}")))
                .isEqualTo(JSON.readTree("{\"name\":\"Ada\",\"doubled\":42}"));
        assertThat(json(post(readme, "/text-body", "text/plain", "grüß")))
                .isEqualTo(JSON.readTree("{\"type\":\"string\",\"body\":\"grüß\"}"));
    }

    @Test
    void aJsonBodyOverTheDefaultLimitIs413() throws Exception {
        String large = "{\"pad\":\"" + "x".repeat(200 * 1024) + "\"}";

        assertThat(post(readme, "/json-body", "application/json", large).statusCode()).isEqualTo(413);
    }

    @Test
    void withRawBodyTheBodyIsABuffer() throws Exception {
        byte[] bytes = {0, 1, (byte) 0xfe, (byte) 0xff};
        HttpResponse<byte[]> response = raw.send(raw.request("/raw-body").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));

        assertThat(response.body()).isEqualTo(bytes);
    }

    @Test
    void aThrowingHandlerIs500WithTheErrorsText() throws Exception {
        HttpResponse<byte[]> response = get("/throws");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(text(response)).isEqualTo("Error: the handler failed");
    }

    @Test
    void theHandlerRequiresItsOwnModules() throws Exception {
        assertThat(json(get("/greeting?name=Ada"))).isEqualTo(JSON.readTree("{\"message\":\"Hello, Ada!\"}"));
    }

    @Test
    void returningNothingIsAnEmpty200() throws Exception {
        HttpResponse<byte[]> response = get("/nothing");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }
}
