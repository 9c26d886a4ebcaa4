package io.fwatchdog.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * What tests need to know about processes: finding commands, reading their pipes, and
 * conditions read from /proc, waited on with a deadline.
 */
public final class Processes {
    /** A small, fixed environment for functions started straight from a test. */
    public static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LC_ALL", "C");
    /** How long a test waits for the kernel to make a condition true. */
    public static final Duration DEADLINE = Duration.ofSeconds(20);

    private Processes() {}

    /** True while {@code pid} exists in any state, zombie included. */
    public static boolean exists(long pid) {
        return Files.exists(Path.of("/proc/" + pid));
    }

    /** Gone from /proc altogether: exited and reaped (a zombie keeps its entry). */
    public static boolean reaped(long pid) {
        return !exists(pid);
    }

    /** The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [2] pgrp. */
    public static List<String> stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return new ArrayList<>(List.of(stat.substring(stat.lastIndexOf(')') + 2).split(" ")));
    }

    /** Reads a pid a function wrote into {@code file}, waiting until it is there. */
    public static long awaitPid(Path file) throws IOException, InterruptedException {
        await(DEADLINE, () -> {
            try {
                return Files.exists(file) && !Files.readString(file).isBlank();
            } catch (IOException e) {
                return false;
            }
        });
        return Long.parseLong(Files.readString(file).trim());
    }

    /**
     * Waits until {@code condition} holds, checking every few milliseconds; fails after
     * {@code limit}. A bounded wait on a real condition, never a fixed sleep.
     */
    public static void await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        await("the condition is met", limit, condition);
    }

    /** {@link #await(Duration, BooleanSupplier)} within {@link #DEADLINE}, naming the condition when it fails. */
    public static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, DEADLINE, condition);
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit + " waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** The first executable named {@code command} on this JVM's PATH. */
    public static Path which(String command) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new IllegalStateException(command + " not found on PATH");
    }

    public static byte[] readAll(ReadableByteChannel channel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer) >= 0) {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toByteArray();
    }

    public static String readString(ReadableByteChannel channel) throws IOException {
        return new String(readAll(channel), StandardCharsets.UTF_8);
    }

    /** Reads up to and including the first newline, one byte at a time (it must not read ahead). */
    public static String readLine(ReadableByteChannel channel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (channel.read(one.clear()) > 0) {
            if (one.get(0) == '\n') {
                return out.toString(StandardCharsets.UTF_8);
            }
            out.write(one.get(0));
        }
        throw new IOException("end of stream before a newline: " + out);
    }
}
