package io.fwatchdog.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The listener on {@code metrics_port}: what it answers, and that no scraper can hold it up. */
class MetricsListenerTest {
    private static final String SCRAPE = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

    private static HttpResponse<String> scrape(WatchdogFixture w, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + w.watchdog.metricsPort() + "/metrics")).timeout(Duration.ofSeconds(20));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return w.client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesScrapesWhileOtherScrapersHoldHalfSentRequests() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"));
                RawConnection halfSent = w.connectMetrics();
                RawConnection idle = w.connectMetrics()) {
            halfSent.send("GET /metrics HTTP/1.1\r\n");

            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = scrape(w, null);
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).contains("# TYPE http_requests_in_flight gauge");
            }
        }
    }

    @Test
    void servesSeveralScrapesOnOneKeptAliveConnection() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat")); RawConnection c = w.connectMetrics()) {
            c.send(SCRAPE + SCRAPE);

            for (int i = 0; i < 2; i++) {
                RawConnection.Response response = c.readResponse();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("content-type")).startsWith("text/plain; version=0.0.4");
                assertThat(response.text()).contains("# TYPE http_requests_in_flight gauge");
            }
            c.send(SCRAPE);
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }

    @Test
    void servesOpenMetricsWhenTheScraperAsksForIt() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"))) {
            HttpResponse<String> response = scrape(w, "application/openmetrics-text; version=1.0.0; charset=utf-8");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/openmetrics-text"));
            assertThat(response.body()).endsWith("# EOF\n");
        }
    }

    @Test
    void answersHeadWithTheHeadOfAScrapeAndNoBody() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"))) {
            String answer = new String(RawConnection.sendUntilClosed(w.watchdog.metricsPort(),
                    "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                    20_000), StandardCharsets.US_ASCII);

            assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").containsPattern("(?i)content-length: [1-9]")
                    .containsPattern("(?i)content-type: text/plain").endsWith("\r\n\r\n");
        }
    }

    @Test
    void answers404InPlainTextToAnyOtherPath() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat")); RawConnection c = w.connectMetrics()) {
            for (String path : new String[] {"/", "/metrics/", "/metricsx", "/-/healthy", "/_/health"}) {
                c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");

                RawConnection.Response response = c.readResponse();
                assertThat(response.status()).as(path).isEqualTo(404);
                assertThat(response.header("content-type")).isEqualTo("text/plain");
                assertThat(response.text()).isEqualTo("not found: metrics are served at /metrics\n");
            }
        }
    }

    @Test
    void answers405InPlainTextToOtherMethods() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat")); RawConnection c = w.connectMetrics()) {
            c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(405);
            assertThat(response.header("allow")).isEqualTo("GET, HEAD");
            assertThat(response.header("content-type")).isEqualTo("text/plain");
            c.send(SCRAPE);
            assertThat(c.readResponse().status()).as("the connection stays usable").isEqualTo(200);
        }
    }

    @Test
    void answers400AndClosesOnAMalformedRequest() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat")); RawConnection c = w.connectMetrics()) {
            c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.header("content-type")).isEqualTo("text/plain");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void closesAConnectionThatSendsNoWholeRequestWithinReadTimeout() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat", "read_timeout", "1s"));
                RawConnection idle = w.connectMetrics();
                RawConnection halfSent = w.connectMetrics()) {
            halfSent.send("GET /metrics HTTP/1.1\r\n");

            assertThat(idle.closedByServer()).isTrue();
            assertThat(halfSent.closedByServer()).isTrue();
        }
    }
}
