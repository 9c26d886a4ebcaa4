package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The Java templates with the official templates' handler contract ({@code com.openfaas.model}
 * from Maven Central), through the watchdog, compiled for the Java release of the image: the
 * official starter and its JUnit 4 test, and what handlers do with {@code IRequest} and
 * {@code IResponse}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {"java17", "java21"})
class JavaTemplateTest {
    private static TemplateRun official;
    private static TemplateRun readme;

    @Parameter
    String name;

    @BeforeParameterizedClassInvocation
    static void start(String name) throws Exception {
        Template template = Template.named(name);
        official = TemplateRun.start(template, Handlers.folder("java17", "official"), Map.of(), run -> run.request("/"));
        readme = TemplateRun.start(template, Handlers.folder("java17", "readme"), Map.of(), run -> run.request("/query?name=x"));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        try (TemplateRun a = official; TemplateRun b = readme) {
            official = null;
            readme = null;
        }
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void officialStarterAnswersItsGreeting() throws Exception {
        HttpResponse<byte[]> response = official.send(official.request("/"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(text(response)).isEqualTo("Hello, world!");
    }

    @Test
    void officialStartersJUnit4TestPasses(@TempDir Path temp) throws Exception {
        FunctionHome.create(Template.named(name), temp, Handlers.folder("java17", "official")).runStarterTests();
    }

    @Test
    void theBodyAndItsContentTypeComeBack() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/echo").header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString("grüß dich")));

        assertThat(text(response)).isEqualTo("grüß dich");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void aPutBodyArrivesToo() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/echo").header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString("put body")));

        assertThat(text(response)).isEqualTo("put body");
    }

    @Test
    void theQueryIsParsedAndRaw() throws Exception {
        assertThat(text(readme.send(readme.request("/query?name=Ada&x=1")))).isEqualTo("Ada name=Ada&x=1");
    }

    @Test
    void statusHeadersAndContentTypeAreSent() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/created").header("X-Thing", "t")
                .POST(HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("x-thing")).hasValue("t");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(text(response)).isEqualTo("{\"created\":true}");
    }

    @Test
    void headersAreLookedUpInAnyCase() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/headers").header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString("a")));

        // X-Call-Id is the watchdog's, present on every request.
        assertThat(text(response)).isEqualTo("text/csv|false");
    }

    @Test
    void aThrowingHandlerIs500WithTheException() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/throws"));

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(text(response)).contains("IllegalStateException: the handler failed");
    }

    @Test
    void theStatusTheHandlerSetsIsSent() throws Exception {
        HttpResponse<byte[]> response = readme.send(readme.request("/nowhere"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(text(response)).isEqualTo("no example at /nowhere");
    }
}
