package io.fwatchdog.process;

import static io.fwatchdog.testing.Processes.DEADLINE;
import static io.fwatchdog.testing.Processes.ENV;
import static io.fwatchdog.testing.Processes.await;
import static io.fwatchdog.testing.Processes.exists;
import static io.fwatchdog.testing.Processes.readLine;
import static io.fwatchdog.testing.Processes.readString;
import static io.fwatchdog.testing.Processes.which;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The JDK process API fallback, used where the native launcher is not available (macOS
 * developer machines, a libc without the symbols): the same contract as far as the JDK can
 * keep it, on this machine where both can be compared.
 */
class JdkFallbackTest {
    private final ProcessLauncher launcher = ProcessLauncher.jdk();
    private final List<FunctionProcess> started = new ArrayList<>();

    @AfterEach
    void endEveryProcess() throws Exception {
        for (FunctionProcess process : started) {
            process.kill();
            process.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            for (var channel : List.of(process.stdin(), process.stdout(), process.stderr())) {
                channel.close();
            }
        }
        assertThat(launcher.liveProcesses()).isZero();
        launcher.close();
    }

    private FunctionProcess start(Map<String, String> env, String... argv) throws IOException {
        FunctionProcess process = launcher.start(which(argv[0]), List.of(argv), env);
        started.add(process);
        return process;
    }

    @Test
    void roundTripsBytesAndReportsTheExitStatus() throws Exception {
        FunctionProcess cat = start(ENV, "sh", "-c", "cat; exit 3");

        cat.stdin().write(ByteBuffer.wrap("hello\n".getBytes(UTF_8)));
        cat.stdin().close();

        assertThat(readString(cat.stdout())).isEqualTo("hello\n");
        assertThat(cat.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(3));
    }

    @Test
    void passesExactlyTheGivenEnvironment() throws Exception {
        FunctionProcess env = start(Map.of("GREETING", "hello", "EMPTY", ""), "env");

        assertThat(readString(env.stdout()).lines()).containsExactlyInAnyOrder("GREETING=hello", "EMPTY=");
    }

    @Test
    void relaysStderrSeparately() throws Exception {
        FunctionProcess sh = start(ENV, "sh", "-c", "echo out; echo err >&2");

        assertThat(readLine(sh.stderr())).isEqualTo("err");
        assertThat(readString(sh.stdout())).isEqualTo("out\n");
    }

    @Test
    void terminateEscalatesToSigkillWhenSigtermIsIgnored() throws Exception {
        FunctionProcess stubborn = start(ENV, "sh", "-c", "trap '' TERM; echo ready; exec sleep 60");
        assertThat(readLine(stubborn.stdout())).isEqualTo("ready");

        stubborn.terminate(Duration.ofMillis(200));

        // The JDK reports a death by signal N as status 128 + N.
        assertThat(stubborn.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(137));
        await("the process is gone", () -> !exists(stubborn.pid()));
    }

    @Test
    void startingAMissingExecutableFails() {
        assertThatThrownBy(() -> launcher.start(Path.of("/nonexistent/fn"), List.of("fn"), ENV))
                .isInstanceOf(IOException.class);
    }
}
