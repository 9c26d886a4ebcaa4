package io.fwatchdog.server;

import io.fwatchdog.log.Log;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether the watchdog should receive traffic, as the orchestrator sees it: the lock file
 * and the answer of {@code /_/health}. Healthy means accepting requests and the mode ready.
 */
final class Health {
    private final Optional<Path> lockFile;
    private volatile boolean accepting;
    private volatile boolean draining;
    /** The mode's last word on whether the function can take requests. */
    private boolean functionReady;

    /**
     * @param lockFile      where to write the lock file; empty with {@code suppress_lock}
     * @param functionReady whether the function is ready before the mode says otherwise
     */
    Health(Optional<Path> lockFile, boolean functionReady) {
        this.lockFile = lockFile;
        this.functionReady = functionReady;
    }

    /**
     * The listener is bound and the mode is ready: write the lock file and report healthy.
     *
     * Does nothing once draining: a signal may arrive while the watchdog is still starting.
     *
     * @throws UncheckedIOException when the lock file cannot be written
     */
    synchronized void markAccepting() {
        if (draining) {
            return;
        }
        if (functionReady) {
            writeLock();
        }
        accepting = true;
    }

    /**
     * The function became ready or stopped being ready (an http upstream that exited and
     * restarts): the lock file follows, so the orchestrator stops routing to a dead function.
     */
    synchronized void functionReadinessChanged(boolean ready) {
        functionReady = ready;
        if (!accepting || draining) {
            return;
        }
        if (ready) {
            try {
                writeLock();
            } catch (UncheckedIOException e) {
                Log.warn(e.getMessage());
            }
        } else {
            removeLock();
        }
    }

    private void writeLock() {
        lockFile.ifPresent(path -> {
            try {
                Files.createDirectories(path.getParent());
                Files.write(path, new byte[0]);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the lock file " + path + " (" + e.getMessage()
                        + "); set suppress_lock=true to run without it", e);
            }
        });
    }

    /** Shutdown has begun: the lock file goes and health fails from now on. */
    synchronized void markDraining() {
        draining = true;
        accepting = false;
        removeLock();
    }

    private void removeLock() {
        lockFile.ifPresent(path -> {
            try {
                Files.deleteIfExists(path);
            } catch (NoSuchFileException ignored) {
                // already gone
            } catch (IOException e) {
                Log.warn("cannot remove the lock file " + path + ": " + e.getMessage());
            }
        });
    }

    boolean accepting() {
        return accepting;
    }

    boolean draining() {
        return draining;
    }
}
