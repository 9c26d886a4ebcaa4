package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.FnAgent;
import io.fwatchdog.testing.FnAgent.Answer;
import io.fwatchdog.testing.WatchdogFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The watchdog as an Fn hot function (docs/behaviour.md#fn-functions): started with Fn's
 * environment, it announces its socket with Fn's handshake and answers an agent's calls, in
 * every mode, as Fn's agent expects them answered.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FnHotFunctionTest {
    private static final String URL = "http://fn.example:8080/t/app/hello?name=x";

    @TempDir
    Path tmp;

    private static WatchdogFixture start(FnAgent agent, String... settings) throws Exception {
        Map<String, String> env = new HashMap<>(agent.environment());
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return WatchdogFixture.start(env);
    }

    @Test
    void announcesARelativeLinkToAnOpenSocketBesideItOnceHealthy() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat")) {
            agent.awaitListening();
            Path target = Files.readSymbolicLink(agent.listener);
            assertThat(target.getNameCount()).isEqualTo(1);
            assertThat(target.toString()).isNotEqualTo("lsnr.sock").endsWith(".sock");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(agent.dir.resolve(target))))
                    .isEqualTo("rw-rw-rw-");
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void removesTheLinkAndTheSocketAtShutdown() throws Exception {
        try (FnAgent agent = FnAgent.create()) {
            WatchdogFixture w = start(agent, "fprocess", "cat");
            agent.awaitListening();
            w.close();
            try (var left = Files.list(agent.dir)) {
                assertThat(left.toList()).isEmpty();
            }
        }
    }

    @Test
    void streamsACallsBodyThroughCatAndAnswers200WithTheFunctionsStatus() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat", "content_type", "text/plain")) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("POST", URL).body("hello, Fn"));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.fnStatus()).isEqualTo(200);
            assertThat(answer.text()).isEqualTo("hello, Fn");
            assertThat(answer.header("Content-Type")).isEqualTo("text/plain");
            assertThat(answer.headers().keySet()).allMatch(name -> name.startsWith("fn-http-")
                    || name.equals("content-type") || name.equals("content-length") || name.equals("transfer-encoding"));
            // the same connection takes the next call, as the agent keeps it
            assertThat(agent.send(FnAgent.call("POST", URL).body("again")).text()).isEqualTo("again");
        }
    }

    @Test
    void streamsEightMebibytesOfBinaryBothWaysOnOneConnection() throws Exception {
        byte[] body = new byte[8 << 20];
        new java.util.Random(18).nextBytes(body);
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat")) {
            agent.awaitListening();
            for (int round = 0; round < 2; round++) {
                Answer answer = agent.send(FnAgent.call("POST", URL).body(body));
                assertThat(answer.fnStatus()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo(body);
            }
        }
    }

    @Test
    void answersTheHopsOwnExpectContinueAsAnInterimResponseAndNotAsTheCallsAnswer() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat")) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("POST", URL).hopHeader("Expect", "100-continue").body("continued"));
            assertThat(answer.fnStatus()).isEqualTo(200);
            assertThat(answer.text()).isEqualTo("continued");
            assertThat(agent.interimResponses).isEqualTo(1);
            assertThat(agent.send(FnAgent.call("POST", URL).body("next")).text()).isEqualTo("next");
        }
    }

    @Test
    void givesTheFunctionTheClientsRequestAndNoneOfTheHopsFraming() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "serializing",
                "fprocess", "sh " + function("env.sh"))) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("PUT", URL).callId("call-42")
                    .header("X-Custom", "yes")
                    .header("Content-Length", "999")
                    .header("Transfer-Encoding", "chunked")
                    .header("Host", "evil.example")
                    .header("X-Call-Id", "forged")
                    .body("x"));
            assertThat(answer.fnStatus()).isEqualTo(200);
            assertThat(answer.text())
                    .contains("Http_Method=PUT", "Http_Path=/t/app/hello", "Http_Query=name=x", "Http_X_Custom=yes",
                            "Http_Host=fn.example:8080", "Http_X_Call_Id=call-42",
                            "Http_Transfer_Encoding=chunked") // the hop's own framing, as the agent sent the body
                    .doesNotContain("999", "evil", "forged", "Http_Fn_");
        }
    }

    @Test
    void answers502WhenTheFunctionFailsAndKeepsServing() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "serializing",
                "fprocess", "sh " + function("fail.sh"))) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("POST", URL).body("x"));
            assertThat(answer.status()).isEqualTo(502);
            assertThat(answer.header("Fn-Http-Status")).isNull();
            Answer next = agent.send(FnAgent.call("POST", URL).header("X-Exit", "0").header("X-Output", "fine").body("x"));
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("fine");
        }
    }

    @Test
    void answers502WhenAStreamingFunctionCrashesBeforeAnswering() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "sh " + function("behave.sh"))) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("POST", URL).header("X-Behave", "crash").body("x"));
            assertThat(answer.status()).isEqualTo(502);
            assertThat(answer.text()).contains("signal");
        }
    }

    @Test
    void answersTheWatchdogsOwnEndpointsInFnHttpStatus() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat")) {
            agent.awaitListening();
            Answer health = agent.send(FnAgent.call("GET", "http://fn.example/_/health"));
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.fnStatus()).isEqualTo(200);
        }
    }

    @Test
    void answers504WhenTheFunctionOverrunsTheCallsDeadlineShorterThanExecTimeout() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "serializing",
                "exec_timeout", "60s", "fprocess", "sh " + function("behave.sh"))) {
            agent.awaitListening();
            Instant sent = Instant.now();
            Answer answer = agent.send(FnAgent.call("POST", URL).header("X-Behave", "sleep")
                    .deadline(Instant.now().plusSeconds(2)).body("x"));
            assertThat(answer.status()).isEqualTo(504);
            assertThat(answer.text()).contains("Fn-Deadline");
            assertThat(Duration.between(sent, Instant.now())).isLessThan(Duration.ofSeconds(30));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"streaming", "serializing", "http", "afterburn"})
    void everyModeAnswers504ByTheCallsDeadline(String mode) throws Exception {
        Path socket = tmp.resolve("up.sock");
        String[] settings = switch (mode) {
            case "http" -> new String[] {"upstream_url", "unix:" + socket,
                    "fprocess", "python3 " + function("http_upstream.py") + " unix:" + socket};
            case "afterburn" -> new String[] {"fprocess",
                    "python3 " + function("afterburn/loop.py") + " " + function("afterburn/handler.py")};
            default -> new String[] {"fprocess", "sh " + function("behave.sh")};
        };
        String url = switch (mode) {
            case "http", "afterburn" -> "http://fn.example/slow?ms=60000";
            default -> URL;
        };
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(settings),
                java.util.stream.Stream.of("mode", mode, "exec_timeout", "90s")).toArray(String[]::new);
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, all)) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("GET", url).header("X-Behave", "sleep")
                    .deadline(Instant.now().plusSeconds(2)));
            assertThat(answer.status()).isEqualTo(504);
            assertThat(answer.text()).contains("Fn-Deadline");
        }
    }

    @Test
    void answers504AtOnceToACallWhoseDeadlineHasPassed() throws Exception {
        Path marker = tmp.resolve("ran");
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "serializing",
                "fprocess", "sh -c " + "touch\u0020" + marker)) {
            agent.awaitListening();
            Answer answer = agent.send(FnAgent.call("POST", URL).deadline(Instant.now().minusSeconds(5)).body("x"));
            assertThat(answer.status()).isEqualTo(504);
            assertThat(answer.text()).contains("Fn-Deadline");
            assertThat(marker).doesNotExist();
        }
    }

    @Test
    void relaysAnHttpUpstreamsStatusAndHeadersAsFnHttpHeaders() throws Exception {
        Path socket = tmp.resolve("up.sock");
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "http",
                "upstream_url", "unix:" + socket, "fprocess", "python3 " + function("http_upstream.py") + " unix:" + socket)) {
            agent.awaitListening();
            Answer status = agent.send(FnAgent.call("GET", "http://fn.example/status/500"));
            assertThat(status.status()).isEqualTo(200);
            assertThat(status.fnStatus()).isEqualTo(500);
            Answer cookies = agent.send(FnAgent.call("GET", "http://fn.example/cookies"));
            assertThat(cookies.headers().get("fn-http-h-set-cookie")).hasSize(2);
            assertThat(cookies.headers()).doesNotContainKeys("set-cookie", "fn-http-h-content-length", "fn-http-h-x-call-id");
            Answer headers = agent.send(FnAgent.call("GET", "http://fn.example/headers").header("X-Custom", "yes")
                    .header("Connection", "close").header("Upgrade", "websocket"));
            assertThat(headers.text()).contains("x-custom: yes").doesNotContain("upgrade", "fn-");
            assertThat(w.get("/status/201").statusCode()).isEqualTo(201); // the TCP port serves as before
        }
    }

    @Test
    void servesAfterburnCallsAndRelaysTheHandlersOwn500() throws Exception {
        String loop = "python3 " + function("afterburn/loop.py") + " " + function("afterburn/handler.py");
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "afterburn", "fprocess", loop)) {
            agent.awaitListening();
            Answer echo = agent.send(FnAgent.call("POST", "http://fn.example/echo").header("Content-Type", "text/x-test").body("hot"));
            assertThat(echo.fnStatus()).isEqualTo(200);
            assertThat(echo.text()).isEqualTo("hot");
            assertThat(echo.header("Content-Type")).isEqualTo("text/x-test");
            Answer raised = agent.send(FnAgent.call("GET", "http://fn.example/raise"));
            assertThat(raised.status()).isEqualTo(200);
            assertThat(raised.fnStatus()).isEqualTo(500);
        }
    }

    @Test
    void servesStaticFilesAndAHeadCallWithoutDesynchronisingTheConnection() throws Exception {
        Path site = Files.createDirectory(tmp.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<p>hi</p>");
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "mode", "static", "static_path", site.toString())) {
            agent.awaitListening();
            Answer head = agent.send(FnAgent.call("HEAD", "http://fn.example/index.html"));
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.fnStatus()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            Answer get = agent.send(FnAgent.call("GET", "http://fn.example/index.html"));
            assertThat(get.text()).isEqualTo("<p>hi</p>");
            assertThat(agent.send(FnAgent.call("GET", "http://fn.example/missing")).fnStatus()).isEqualTo(404);
        }
    }

    @Test
    void refusesWhatIsNotACallWith400AtTheHop() throws Exception {
        try (FnAgent agent = FnAgent.create(); WatchdogFixture w = start(agent, "fprocess", "cat")) {
            agent.awaitListening();
            Answer answer = agent.exchange("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n", new byte[0]);
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.header("Fn-Http-Status")).isNull();
            assertThat(agent.closedByWatchdog()).isTrue();
            agent.disconnect();
            Answer badUrl = agent.send(FnAgent.call("GET", "http://fn.example/a\u0001b"));
            assertThat(badUrl.status()).isEqualTo(400);
            assertThat(new String(badUrl.body(), StandardCharsets.UTF_8)).contains("Fn-Http-Request-Url");
        }
    }
}
