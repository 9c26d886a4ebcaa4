package io.fwatchdog.process;

import static io.fwatchdog.testing.Processes.DEADLINE;
import static io.fwatchdog.testing.Processes.ENV;
import static io.fwatchdog.testing.Processes.await;
import static io.fwatchdog.testing.Processes.readAll;
import static io.fwatchdog.testing.Processes.readLine;
import static io.fwatchdog.testing.Processes.readString;
import static io.fwatchdog.testing.Processes.reaped;
import static io.fwatchdog.testing.Processes.stat;
import static io.fwatchdog.testing.Processes.which;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProcessLauncherTest {
    private static final Path SH = which("sh");
    private static final Path CAT = which("cat");
    private static final Path ENV_COMMAND = which("env");

    private static ProcessLauncher launcher;
    private final List<FunctionProcess> started = new ArrayList<>();

    @BeforeAll
    static void createLauncher() {
        launcher = ProcessLauncher.create();
    }

    @AfterAll
    static void closeLauncher() {
        launcher.close();
    }

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
    }

    private FunctionProcess start(Path executable, String... argv) throws IOException {
        return start(executable, ENV, argv);
    }

    private FunctionProcess start(Path executable, Map<String, String> env, String... argv) throws IOException {
        FunctionProcess process = launcher.start(executable, List.of(argv), env);
        started.add(process);
        return process;
    }

    private FunctionProcess sh(String script) throws IOException {
        return start(SH, "sh", "-c", script);
    }

    private static ExitStatus exitOf(FunctionProcess process) throws Exception {
        return process.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void tellsHowMuchOfStdinTheProcessHasNotRead() throws Exception {
        // dd takes exactly one 4-byte read(2); the rest stays in the pipe.
        FunctionProcess reader = sh("dd bs=4 count=1 status=none; echo read >&2; sleep 30");

        reader.stdin().write(ByteBuffer.wrap("0123456789".getBytes(UTF_8)));
        assertThat(readLine(reader.stderr())).isEqualTo("read");

        assertThat(reader.unreadInput()).isEqualTo(6);
    }

    @Test
    void exitedTurnsTrueWhenTheProcessEndsAndLeavesItsStatusToTheReaper() throws Exception {
        FunctionProcess process = start(CAT, "cat");
        assertThat(process.exited()).isFalse();

        process.stdin().close();

        await("cat has exited", process::exited);
        assertThat(process.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS).code()).isZero();
        assertThat(process.exited()).isTrue();
    }

    @Test
    void roundTripsBytesThroughCat() throws Exception {
        FunctionProcess cat = start(CAT, "cat");

        cat.stdin().write(ByteBuffer.wrap("hello\n".getBytes(UTF_8)));
        cat.stdin().close();

        assertThat(readString(cat.stdout())).isEqualTo("hello\n");
        assertThat(exitOf(cat)).isEqualTo(ExitStatus.exited(0));
    }

    @Test
    void streams64MiBThroughCatWhileWritingAndReadingConcurrently() throws Exception {
        FunctionProcess cat = start(CAT, "cat");
        long total = 64L << 20;

        CompletableFuture<Long> written = onPlatformThread(() -> {
            CRC32 crc = new CRC32();
            SplittableRandom random = new SplittableRandom(42);
            byte[] chunk = new byte[100_000]; // heap buffer: goes through the bounce segment
            for (long sent = 0; sent < total; ) {
                int n = (int) Math.min(chunk.length, total - sent);
                random.nextBytes(chunk);
                crc.update(chunk, 0, n);
                cat.stdin().write(ByteBuffer.wrap(chunk, 0, n));
                sent += n;
            }
            cat.stdin().close();
            return crc.getValue();
        });
        CompletableFuture<long[]> read = onPlatformThread(() -> {
            CRC32 crc = new CRC32();
            ByteBuffer buffer = ByteBuffer.allocateDirect(65536); // direct: read in place
            long count = 0;
            while (cat.stdout().read(buffer.clear()) >= 0) {
                buffer.flip();
                count += buffer.remaining();
                crc.update(buffer);
            }
            return new long[] {count, crc.getValue()};
        });

        long[] received = read.get(60, TimeUnit.SECONDS);
        assertThat(received[0]).isEqualTo(total);
        assertThat(received[1]).isEqualTo(written.get(60, TimeUnit.SECONDS));
        assertThat(exitOf(cat).success()).isTrue();
    }

    @Test
    void reportsTheExitCode() throws Exception {
        assertThat(exitOf(sh("exit 3"))).isEqualTo(ExitStatus.exited(3));
    }

    @Test
    void reportsTheSignalThatKilledTheProcess() throws Exception {
        assertThat(exitOf(sh("kill -9 $$"))).isEqualTo(ExitStatus.killed(9));
    }

    @Test
    void passesExactlyTheGivenEnvironment() throws Exception {
        FunctionProcess env = start(ENV_COMMAND, Map.of("GREETING", "héllo wörld", "EMPTY", ""), "env");

        assertThat(readString(env.stdout()).lines()).containsExactlyInAnyOrder("GREETING=héllo wörld", "EMPTY=");
        assertThat(exitOf(env).success()).isTrue();
    }

    @Test
    void passesArgvZeroAsWritten() throws Exception {
        FunctionProcess sh = start(SH, "my-function", "-c", "cat /proc/$$/cmdline");

        assertThat(readString(sh.stdout())).startsWith("my-function\0-c\0");
    }

    @Test
    void childInheritsOnlyStandardDescriptors() throws Exception {
        FunctionProcess cat = start(CAT, "cat"); // blocks on stdin until we close it
        // A line through cat first: while the loader maps its libraries it holds them open as
        // descriptor 3 and up, and those are cat's own, not inherited.
        cat.stdin().write(ByteBuffer.wrap("ready\n".getBytes(UTF_8)));
        assertThat(readLine(cat.stdout())).isEqualTo("ready");

        try (Stream<Path> fds = Files.list(Path.of("/proc/" + cat.pid() + "/fd"))) {
            assertThat(fds.map(fd -> fd.getFileName().toString())).containsExactlyInAnyOrder("0", "1", "2");
        }
    }

    @Test
    void childLeadsItsOwnProcessGroup() throws Exception {
        FunctionProcess cat = start(CAT, "cat");

        assertThat(stat(cat.pid()).get(2)).isEqualTo(Long.toString(cat.pid()));
    }

    @Test
    void relaysStderrSeparately() throws Exception {
        FunctionProcess sh = sh("echo out; echo err >&2");

        assertThat(readString(sh.stderr())).isEqualTo("err\n");
        assertThat(readString(sh.stdout())).isEqualTo("out\n");
    }

    @Test
    void terminateKillsAndReapsAGrandchild() throws Exception {
        FunctionProcess sh = sh("sleep 100 & echo $!; wait");
        long grandchild = Long.parseLong(readLine(sh.stdout()));
        assertThat(stat(grandchild).get(2)).isEqualTo(Long.toString(sh.pid()));

        sh.terminate(Duration.ofMillis(100));

        assertThat(exitOf(sh)).isEqualTo(ExitStatus.killed(15));
        await("the grandchild is reaped", () -> reaped(grandchild));
    }

    @Test
    void reapsAnOrphanedGrandchildThatOutlivesItsParent() throws Exception {
        FunctionProcess sh = sh("sleep 0.3 & echo $!");
        long orphan = Long.parseLong(readLine(sh.stdout()));

        assertThat(exitOf(sh).success()).isTrue();
        // Still running after its parent exited: re-parented to us, the subreaper, not to init.
        if (!reaped(orphan)) {
            try {
                assertThat(stat(orphan).get(1)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
            } catch (IOException | UncheckedIOException vanished) {
                // exited and was reaped between the two reads
            }
        }
        await("the orphan is reaped", () -> reaped(orphan));
    }

    @Test
    void reapsAnOrphanThatLeftTheFunctionsProcessGroup() throws Exception {
        // In a session of its own, no wait on the function's group can collect it.
        FunctionProcess sh = sh("setsid sleep 1 & echo $!");
        long orphan = Long.parseLong(readLine(sh.stdout()));

        assertThat(exitOf(sh).success()).isTrue();
        // setsid(2) runs in the orphan some time after sh has printed its pid.
        await("the orphan leaves the function's process group", () -> reaped(orphan) || !inGroup(orphan, sh.pid()));
        await("the orphan in another session is reaped", () -> reaped(orphan));
    }

    @Test
    void reapsOrphansBehindAnExitedChildThatIsTheJdksToCollect() throws Exception {
        // A shell the JDK started leaves its child to the JVM (the subreaper), in the JVM's own
        // group: once that child exits it is a zombie nobody here may collect, and it is the
        // first exited child waitid reports for as long as it stays.
        Process jdkShell = new ProcessBuilder("sh", "-c", "sleep 0.1 & echo $!").start();
        long stray = Long.parseLong(new String(jdkShell.getInputStream().readAllBytes(), UTF_8).trim());
        assertThat(jdkShell.waitFor()).isZero();
        try {
            await("the JDK shell's child has exited", () -> zombie(stray));
            FunctionProcess sh = sh("setsid sleep 0.1 & echo $!");
            long orphan = Long.parseLong(readLine(sh.stdout()));
            assertThat(exitOf(sh).success()).isTrue();

            await("the orphan in another session is reaped", () -> reaped(orphan));
            assertThat(zombie(stray)).as("left to its own").isTrue();
        } finally {
            try (Arena arena = Arena.ofConfined()) {
                LibC.waitpid((int) stray, arena.allocate(ValueLayout.JAVA_INT), LibC.WNOHANG);
            }
        }
    }

    private static boolean zombie(long pid) {
        try {
            return stat(pid).get(0).equals("Z");
        } catch (IOException | UncheckedIOException gone) {
            return false;
        }
    }

    private static boolean inGroup(long pid, long group) {
        try {
            return stat(pid).get(2).equals(Long.toString(group));
        } catch (IOException | UncheckedIOException vanished) {
            return false;
        }
    }

    @Test
    void closingEndsWhatItsFunctionsStartedInOtherSessionsButNothingOfAnotherLauncherOrTheJdk() throws Exception {
        String escape = "setsid sh -c 'echo $$; exec sleep 1000' & wait";
        FunctionProcess others = sh(escape);
        long othersEscapee = Long.parseLong(readLine(others.stdout()));
        Process jdkChild = new ProcessBuilder("sleep", "1000").start();
        long escapee = -1;
        try (ProcessLauncher closing = ProcessLauncher.create()) {
            FunctionProcess function = closing.start(SH, List.of("sh", "-c", escape), ENV);
            escapee = Long.parseLong(readLine(function.stdout()));

            closing.close();

            assertThat(reaped(escapee)).as("the escapee").isTrue();
            assertThat(function.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ExitStatus.killed(15));
            assertThat(reaped(othersEscapee) || reaped(others.pid())).as("another launcher's").isFalse();
            assertThat(jdkChild.isAlive()).as("the JDK's").isTrue();
        } finally {
            jdkChild.destroyForcibly().waitFor();
            for (long pid : new long[] {othersEscapee, escapee}) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void closingSigkillsALeftoverThatIgnoresSigtermAfterTheGrace() throws Exception {
        Path termed = Files.createTempDirectory("leftover").resolve("termed");
        long stubborn = -1;
        try (ProcessLauncher closing = ProcessLauncher.create()) {
            // read is a builtin: the leftover has no children of its own to leave behind.
            FunctionProcess function = closing.start(SH, List.of("sh", "-c", "setsid sh -c 'trap \"echo > " + termed
                    + "\" TERM; echo $$; while :; do read x; done' & wait"), ENV);
            stubborn = Long.parseLong(readLine(function.stdout()));

            closing.close();

            assertThat(termed).as("SIGTERM came first").exists();
            assertThat(reaped(stubborn)).isTrue();
        } finally {
            ProcessHandle.of(stubborn).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void terminateEscalatesToSigkillWhenSigtermIsIgnored() throws Exception {
        FunctionProcess sh = sh("trap '' TERM; echo ready; sleep 100");
        assertThat(readLine(sh.stdout())).isEqualTo("ready");

        sh.terminate(Duration.ofMillis(200));

        assertThat(exitOf(sh)).isEqualTo(ExitStatus.killed(9));
    }

    @Test
    void killEndsTheProcessWithSigkill() throws Exception {
        FunctionProcess cat = start(CAT, "cat");

        cat.kill();
        cat.kill();

        assertThat(exitOf(cat)).isEqualTo(ExitStatus.killed(9));
    }

    @Test
    void signallingAnExitedProcessIsHarmless() throws Exception {
        FunctionProcess sh = sh("exit 0");
        exitOf(sh);

        sh.terminate(Duration.ZERO);
        sh.kill();

        assertThat(exitOf(sh)).isEqualTo(ExitStatus.exited(0));
    }

    @Test
    void writingToAnExitedProcessFailsWithBrokenPipe() throws Exception {
        FunctionProcess sh = sh("exit 0");
        exitOf(sh);

        assertThatThrownBy(() -> sh.stdin().write(ByteBuffer.wrap(new byte[70_000])))
                .isInstanceOf(IOException.class)
                .hasMessage("Broken pipe");
    }

    @Test
    void readingAClosedChannelFails() throws Exception {
        FunctionProcess sh = sh("exit 0");
        sh.stdout().close();
        sh.stdout().close();

        assertThat(sh.stdout().isOpen()).isFalse();
        assertThatThrownBy(() -> sh.stdout().read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void startingAMissingExecutableFails() {
        assertThatThrownBy(() -> launcher.start(Path.of("/no/such/function"), List.of("function"), ENV))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("/no/such/function")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void readsAllOfAnOutputLargerThanThePipe() throws Exception {
        FunctionProcess sh = sh("head -c 3000000 /dev/zero");

        assertThat(readAll(sh.stdout())).hasSize(3_000_000);
    }

    interface IoCallable<T> {
        T call() throws Exception;
    }

    static <T> CompletableFuture<T> onPlatformThread(IoCallable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }
}
