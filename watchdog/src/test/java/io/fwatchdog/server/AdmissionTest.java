package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    /** Starts a request whose function runs until {@link #release} ends its body. */
    private static RawConnection hold(WatchdogFixture w, Path pidFile) throws Exception {
        RawConnection c = w.connect();
        c.send("POST / HTTP/1.1\r\nHost: x\r\nX-Pid-File: " + pidFile + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
        return c;
    }

    private static void release(RawConnection c) throws Exception {
        c.send("0\r\n\r\n");
    }

    @Test
    void rejectsWith429AndOfWatchdogsTextWhenMaxInflightIsReached() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh"), "max_inflight", "1"));
                RawConnection held = hold(w, w.tmp.resolve("1.pid"))) {
            Processes.awaitPid(w.tmp.resolve("1.pid"));

            HttpResponse<String> response = w.post("/", "x");

            assertThat(response.statusCode()).isEqualTo(429);
            assertThat(response.body()).isEqualTo("Concurrent request limit exceeded. Max concurrent requests: 1\n");
            assertThat(response.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
            release(held);
            assertThat(held.readResponse().text()).isEqualTo("released\n");
        }
    }

    @Test
    void readinessAnswers429WhileSaturated() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh"), "max_inflight", "1"));
                RawConnection held = hold(w, w.tmp.resolve("1.pid"))) {
            Processes.awaitPid(w.tmp.resolve("1.pid"));

            assertThat(w.get("/_/ready").statusCode()).isEqualTo(429);
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
            release(held);
            held.readResponse();
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void queuedRequestRunsWhenTheSlotFrees() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh"),
                        "max_inflight", "1", "max_queue", "1", "exec_timeout", "60s"));
                RawConnection first = hold(w, w.tmp.resolve("1.pid"))) {
            Processes.awaitPid(w.tmp.resolve("1.pid"));
            try (RawConnection second = hold(w, w.tmp.resolve("2.pid"))) {
                Processes.await(java.time.Duration.ofSeconds(10), () -> w.watchdog.queued() == 1);

                assertThat(w.post("/", "x").statusCode()).as("queue full").isEqualTo(429);
                release(second);
                release(first);
                assertThat(first.readResponse().status()).isEqualTo(200);
                assertThat(second.readResponse().text()).isEqualTo("released\n");
            }
        }
    }

    @Test
    void queuedRequestGets503WhenNoSlotFreesWithinExecTimeout() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("ignore-term.sh"),
                        "max_inflight", "1", "max_queue", "1", "exec_timeout", "1s"));
                RawConnection first = w.connect()) {
            // The first request ignores SIGTERM, so it holds its slot for the kill grace after its timeout.
            first.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
            Processes.await(java.time.Duration.ofSeconds(10), () -> w.watchdog.inflight() == 1);

            HttpResponse<String> queued = w.post("/", "x");

            assertThat(queued.statusCode()).isEqualTo(503);
            assertThat(queued.body()).contains("exec_timeout").contains("max_queue=1");
            assertThat(first.readResponse().status()).isEqualTo(504);
        }
    }
}
