package io.fwatchdog.process;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The two ways of starting processes behind {@link ProcessLauncher}: native Linux, or the JDK's. */
interface Spawner extends AutoCloseable {

    /**
     * @param loop where the process's exit and stderr may be watched instead of on threads
     *     (its stderr must then be relayed by {@link LogRelay}); null for threads
     */
    FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment, EventLoop loop)
            throws IOException;

    /** What room {@code executable argv environment} leave for variables added per start. */
    ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment);

    int liveProcesses();

    /** Does now what the first {@link #start} would otherwise do first; safe to skip. */
    default void prepare() {}

    @Override
    void close();
}
