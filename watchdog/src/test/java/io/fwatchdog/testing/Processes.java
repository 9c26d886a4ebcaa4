package io.fwatchdog.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** What tests need to know about processes: read from /proc, waited on with a deadline. */
public final class Processes {
    private Processes() {}

    /** True while {@code pid} exists in any state, zombie included. */
    public static boolean exists(long pid) {
        return Files.exists(Path.of("/proc/" + pid));
    }

    /** Reads a pid a function wrote into {@code file}, waiting until it is there. */
    public static long awaitPid(Path file) throws IOException, InterruptedException {
        await(Duration.ofSeconds(20), () -> {
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
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + limit);
            }
            Thread.sleep(5);
        }
    }
}
