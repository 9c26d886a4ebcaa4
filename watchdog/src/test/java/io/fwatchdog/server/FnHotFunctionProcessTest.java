package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.FnAgent;
import io.fwatchdog.testing.FnAgent.Answer;
import io.fwatchdog.testing.WatchdogProcess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The watchdog as Fn starts it, a process of its own with Fn's environment, on the native
 * transport and on the NIO fallback: it answers calls on the socket and, at SIGTERM, leaves the
 * socket directory as it found it; an invalid Fn environment stops it at start-up.
 */
@Timeout(120)
class FnHotFunctionProcessTest {
    @ParameterizedTest(name = "native transport: {0}")
    @ValueSource(booleans = {true, false})
    void answersCallsAndRemovesItsSocketAndLinkAtSigterm(boolean nativeTransport) throws Exception {
        try (FnAgent agent = FnAgent.create()) {
            Map<String, String> env = new HashMap<>(agent.environment());
            if (!nativeTransport) {
                env.put("JAVA_TOOL_OPTIONS", "-Dio.netty.transport.noNative=true");
            }
            try (WatchdogProcess w = WatchdogProcess.start(List.of(), env, "--port", "0", "--", "cat")) {
                agent.awaitListening();
                Answer answer = agent.send(FnAgent.call("POST", "http://fn.example/").body("through Fn"));
                assertThat(answer.fnStatus()).isEqualTo(200);
                assertThat(answer.text()).isEqualTo("through Fn");
                agent.disconnect();
                assertThat(w.stop(Duration.ofSeconds(60))).isZero();
                try (var left = Files.list(agent.dir)) {
                    assertThat(left.toList()).isEmpty();
                }
            }
        }
    }

    @Test
    void exitsWithStatus2NamingFnFormatWhenItIsNotHttpStream() throws Exception {
        try (FnAgent agent = FnAgent.create()) {
            Map<String, String> env = new HashMap<>(agent.environment());
            env.put("FN_FORMAT", "json");
            try (WatchdogProcess w = WatchdogProcess.start(List.of(), env, "--port", "0", "--", "cat")) {
                assertThat(w.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(w.process.exitValue()).isEqualTo(2);
                assertThat(w.output()).contains("FN_FORMAT: \"json\"");
            }
        }
    }
}
