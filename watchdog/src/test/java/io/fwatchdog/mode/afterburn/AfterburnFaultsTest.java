package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.mode.afterburn.Afterburn.FAULTY;
import static io.fwatchdog.mode.afterburn.Afterburn.hotWorkers;
import static io.fwatchdog.mode.afterburn.Afterburn.pid;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * afterburn mode against a process that breaks the protocol on purpose: the request it was
 * serving gets 502 or 504 with a message, the process is retired, and the next request is
 * served by a fresh one.
 */
class AfterburnFaultsTest {
    private static final Duration EXIT_WAIT = Duration.ofSeconds(20);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "/garbage     | 502 | malformed response",
        "/no-length   | 502 | neither Content-Length nor chunked",
        "/huge-header | 502 | malformed response",
        "/exit        | 502 | exited with status 5",
        "/close-stdout| 502 | closed its stdout",
        "/interims    | 502 | more than 16 interim (1xx) responses",
    })
    void aFaultBeforeTheHeadGetsAnErrorAndAFreshProcess(String path, int status, String message) throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            long first = pid(w, "/ok");

            HttpResponse<String> failed = w.get(path);

            assertThat(failed.statusCode()).isEqualTo(status);
            assertThat(failed.body()).contains("function process").contains(message);
            assertThat(failed.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));
            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @Test
    void aProcessCannotPassItsAnswerOffAsTheWatchdogs() throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            HttpResponse<String> response = w.get("/internal");

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("no");
            assertThat(response.headers().firstValue("x-openfaas-internal")).isEmpty();
        }
    }

    @Test
    void aTimeoutGets504AndTheProcessIsReplaced() throws Exception {
        try (var w = Afterburn.start(FAULTY, "exec_timeout", "5s")) {
            long first = pid(w, "/ok");

            HttpResponse<String> late = w.get("/hang");

            assertThat(late.statusCode()).isEqualTo(504);
            assertThat(late.body()).contains("exec_timeout");
            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));
            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @Test
    void aCrashAfterTheHeadCutsTheResponse() throws Exception {
        try (var w = Afterburn.start(FAULTY); RawConnection c = w.connect()) {
            long first = pid(w, "/ok");
            c.send("GET /crash-head HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response cut = c.readResponse();

            assertThat(cut.status()).isEqualTo(200);
            assertThat(cut.complete()).isFalse();
            assertThat(new String(cut.body())).isEqualTo("0123456789");
            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @Test
    void bytesAfterAResponseRetireTheProcessOnceTheResponseIsDelivered() throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            long first = pid(w, "/ok");

            HttpResponse<String> delivered = w.get("/extra");

            assertThat(delivered.statusCode()).isEqualTo(200);
            assertThat(delivered.body()).isEqualTo(String.valueOf(first));
            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));
            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @Test
    void outputWhileIdleRetiresTheProcess() throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            long first = pid(w, "/stray-later");

            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));

            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {21, 4 << 20})
    void aProcessThatAnswersWithoutReadingItsBodyIsRetired(int size) throws Exception {
        // Small: the body is still in the pipe. Large: the pipe is full and the write cannot finish.
        try (var w = Afterburn.start(FAULTY)) {
            long first = pid(w, "/ok");

            HttpResponse<String> answered = w.post("/unread", "x".repeat(size));

            assertThat(answered.statusCode()).isEqualTo(200);
            assertThat(answered.body()).isEqualTo("did not read");
            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));
            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @Test
    void aClientThatLeavesMidRequestCostsTheProcess() throws Exception {
        try (var w = Afterburn.startWithMetrics(FAULTY)) {
            long first = pid(w, "/ok");
            // The client may see /ok's answer before the worker is back in the pool. A request
            // that arrives meanwhile waits for it, and a client that leaves while it waits costs
            // no process; so /hang goes only once the one worker is idle again.
            Processes.await(EXIT_WAIT, () -> hotWorkers(w, "idle") == 1);
            try (RawConnection c = w.connect()) {
                c.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
                // Wait until the request is with the process: the pool has no idle worker left.
                Processes.await(EXIT_WAIT, () -> w.watchdog.inflight() == 1 && hotWorkers(w, "idle") == 0);
            }

            Processes.await(EXIT_WAIT, () -> !Processes.exists(first));

            assertThat(pid(w, "/ok")).isNotEqualTo(first);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "/chunked  | 200 | hello world",
        "/noreason | 201 | ok",
        "/close    | 200 | closed",
        "/interim  | 200 | after interim",
    })
    void validResponsesInEveryFramingKeepTheProcessInService(String path, int status, String body) throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            long first = pid(w, "/ok");

            HttpResponse<String> response = w.get(path);

            assertThat(response.statusCode()).isEqualTo(status);
            assertThat(response.body()).isEqualTo(body);
            assertThat(response.headers().firstValue("connection")).isEmpty();
            assertThat(pid(w, "/ok")).isEqualTo(first);
        }
    }

    @Test
    void aLongResponseIsStreamedAtTheClientsPace() throws Exception {
        try (var w = Afterburn.start(FAULTY)) {
            HttpResponse<byte[]> response = Afterburn.sendBytes(w,
                    java.net.http.HttpRequest.newBuilder(w.uri("/slow-body?n=256")));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).hasSize(256 * 65536);
        }
    }
}
