package io.fwatchdog.process;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Test helpers: finding commands, reading pipes, and watching /proc for real conditions. */
final class Processes {
    static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LC_ALL", "C");
    static final Duration DEADLINE = Duration.ofSeconds(20);

    private Processes() {}

    static Path which(String command) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new IllegalStateException(command + " not found on PATH");
    }

    static byte[] readAll(ReadableByteChannel channel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer) >= 0) {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toByteArray();
    }

    static String readString(ReadableByteChannel channel) throws IOException {
        return new String(readAll(channel), StandardCharsets.UTF_8);
    }

    /** Reads up to and including the first newline, one byte at a time (it must not read ahead). */
    static String readLine(ReadableByteChannel channel) throws IOException {
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

    /** Polls a condition the kernel will make true; fails after {@link #DEADLINE}. */
    static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Gone from /proc altogether: exited and reaped (a zombie keeps its entry). */
    static boolean reaped(long pid) {
        return !Files.exists(Path.of("/proc/" + pid));
    }

    /** The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [2] pgrp. */
    static List<String> stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return new ArrayList<>(List.of(stat.substring(stat.lastIndexOf(')') + 2).split(" ")));
    }
}
