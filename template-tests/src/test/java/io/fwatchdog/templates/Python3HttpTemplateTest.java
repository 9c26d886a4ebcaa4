package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
 * python3-http with the official template's handler contract, through the watchdog: the official
 * starter's behaviour and every example of the official README, plus the event and return forms
 * its users rely on (Flask's headers and query, {@code context.hostname}, None, strings, tuples).
 */
class Python3HttpTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Template TEMPLATE = Template.named("python3-http");
    private static TemplateRun official;
    private static TemplateRun readme;

    @BeforeAll
    static void start() throws Exception {
        official = TemplateRun.start(TEMPLATE, Handlers.folder("python3-http", "official"), Map.of(), run -> run.request("/"));
        readme = TemplateRun.start(TEMPLATE, Handlers.folder("python3-http", "readme"), Map.of("HOSTNAME", "fn-7d9"),
                run -> run.request("/json-body"));
    }

    @AfterAll
    static void stop() throws Exception {
        try (TemplateRun a = official; TemplateRun b = readme) {
            official = null;
            readme = null;
        }
    }

    private static HttpResponse<byte[]> get(String path) throws Exception {
        return readme.send(readme.request(path));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        return JSON.readTree(response.body());
    }

    @Test
    void officialStarterAnswersItsGreetingAsHtmlText() throws Exception {
        HttpResponse<byte[]> response = official.send(official.request("/"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(text(response)).isEqualTo("Hello from OpenFaaS!");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    }

    @Test
    void officialStartersPytestTestPasses(@TempDir Path temp) throws Exception {
        FunctionHome.create(TEMPLATE, temp, Handlers.folder("python3-http", "official")).runStarterTests();
    }

    @Test
    void dictBodiesAreJsonWithTheStatusAndHeadersGiven() throws Exception {
        assertThat(json(get("/json-with-content-type"))).isEqualTo(JSON.readTree("{\"message\":\"Hello from OpenFaaS!\"}"));
        assertThat(json(get("/json-body"))).isEqualTo(JSON.readTree("{\"key\":\"value\"}"));

        HttpResponse<byte[]> bad = get("/bad-request");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad)).isEqualTo(JSON.readTree("{\"error\":\"Bad request\"}"));

        HttpResponse<byte[]> location = get("/location");
        assertThat(location.headers().firstValue("location")).hasValue("https://www.example.com/");
        assertThat(json(location)).isEqualTo(JSON.readTree("{\"key\":\"value\"}"));
    }

    @Test
    void aStringBodyIsHtmlTextWithItsStatus() throws Exception {
        HttpResponse<byte[]> response = get("/created");

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(text(response)).isEqualTo("Object successfully created");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    }

    @Test
    void theBodyArrivesAsBytes() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/you-said").POST(HttpRequest.BodyPublishers.ofString("hi")));

        assertThat(text(response)).isEqualTo("You said: b'hi'");
    }

    @Test
    void theMethodDecides() throws Exception {
        assertThat(text(get("/method"))).isEqualTo("GET request");
        HttpResponse<byte[]> put = readme.send(readme.request("/method").PUT(HttpRequest.BodyPublishers.ofString("x")));
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(text(put)).isEqualTo("Method not allowed");
    }

    @Test
    void theQueryIsFlasksMultiDict() throws Exception {
        assertThat(json(get("/query?name=Ada"))).isEqualTo(JSON.readTree("{\"name\":\"Ada\"}"));
        assertThat(json(get("/query-list/deeper?tag=a&tag=b%20c"))).isEqualTo(JSON.readTree(
                "{\"tag\":[\"a\",\"b c\"],\"path\":\"/query-list/deeper\"}"));
    }

    @Test
    void headersAreLookedUpInAnyCase() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/content-type").header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString("a,b")));

        assertThat(json(response)).isEqualTo(JSON.readTree("{\"content-type-received\":\"text/csv\"}"));
    }

    @Test
    void aListBodyIsJson() throws Exception {
        assertThat(json(get("/rows"))).isEqualTo(JSON.readTree("[[\"Michael Stonebraker\"]]"));
    }

    @Test
    void contextHasTheHostnameAndTheHandlerImportsItsOwnModules() throws Exception {
        assertThat(json(get("/context-hostname"))).isEqualTo(JSON.readTree("{\"hostname\":\"fn-7d9\",\"helper\":\"FN-7D9\"}"));
    }

    @Test
    void returningNoneIsAnEmpty200() throws Exception {
        HttpResponse<byte[]> response = get("/nothing");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void returningAStringOrATupleFollowsFlask() throws Exception {
        HttpResponse<byte[]> html = get("/html");
        assertThat(html.statusCode()).isEqualTo(200);
        assertThat(text(html)).isEqualTo("<p>hello</p>");
        assertThat(html.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");

        HttpResponse<byte[]> tuple = get("/flask-tuple");
        assertThat(tuple.statusCode()).isEqualTo(418);
        assertThat(text(tuple)).isEqualTo("short and stout");
        assertThat(tuple.headers().firstValue("x-kind")).hasValue("teapot");
    }

    @Test
    void flasksRequestIsAvailableToTheHandler() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/flask-request/x").header("X-Thing", "t")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("p")));

        assertThat(json(response)).isEqualTo(JSON.readTree("{\"method\":\"PATCH\",\"path\":\"/flask-request/x\",\"x-thing\":\"t\"}"));
    }

    @Test
    void bytesBodiesAreSentAsTheyAre() throws Exception {
        HttpResponse<byte[]> response = get("/raw-bytes");

        assertThat(response.body()).containsExactly(0x00, 0xff);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
    }

    @Test
    void aFailingHandlerIsA500() throws Exception {
        assertThat(get("/fails").statusCode()).isEqualTo(500);
    }
}
