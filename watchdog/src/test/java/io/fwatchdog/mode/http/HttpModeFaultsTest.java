package io.fwatchdog.mode.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** http mode against an upstream that misbehaves on purpose (WireMock), managed outside the watchdog. */
class HttpModeFaultsTest {
    private WireMockServer upstream;
    private WatchdogFixture w;

    @BeforeEach
    void start() throws Exception {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + upstream.port(),
                "exec_timeout", "2s"));
    }

    @AfterEach
    void stop() throws Exception {
        w.close();
        upstream.stop();
    }

    private void stub(String path, com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder response) {
        upstream.stubFor(get(urlEqualTo(path)).willReturn(response));
    }

    @Test
    void returns502WhenTheUpstreamResetsTheConnection() throws Exception {
        stub("/reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

        HttpResponse<String> response = w.get("/reset");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("upstream");
        assertThat(response.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
    }

    @Test
    void returns502WhenTheUpstreamClosesWithoutAnswering() throws Exception {
        stub("/empty", aResponse().withFault(Fault.EMPTY_RESPONSE));

        assertThat(w.get("/empty").statusCode()).isEqualTo(502);
    }

    @Test
    void returns502WhenTheUpstreamSendsGarbage() throws Exception {
        stub("/garbage", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE));

        assertThat(w.get("/garbage").statusCode()).isEqualTo(502);
    }

    @Test
    void cutsTheResponseWhenTheUpstreamBreaksMidBody() throws Exception {
        stub("/broken", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK));
        try (RawConnection c = w.connect()) {
            c.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.complete()).isFalse();
        }
    }

    @Test
    void returns504WhenTheUpstreamAnswersAfterExecTimeout() throws Exception {
        stub("/late", aResponse().withStatus(200).withBody("late").withFixedDelay(5_000));

        HttpResponse<String> response = w.get("/late");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("exec_timeout");
    }

    @Test
    void relaysADribbledBodyWhole() throws Exception {
        String body = "0123456789".repeat(100);
        stub("/dribble", aResponse().withStatus(200).withBody(body).withChunkedDribbleDelay(10, 500));

        HttpResponse<String> response = w.get("/dribble");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void returns502WhenNothingListensAnyMore() throws Exception {
        upstream.stop();

        HttpResponse<String> response = w.get("/gone");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("cannot connect to upstream");
    }

    @Test
    void reusesKeptAliveUpstreamConnections() throws Exception {
        stub("/ok", aResponse().withStatus(200).withBody("ok"));
        for (int i = 0; i < 5; i++) {
            assertThat(w.get("/ok").body()).isEqualTo("ok");
        }
        assertThat(upstream.getAllServeEvents()).hasSize(5);
    }
}
