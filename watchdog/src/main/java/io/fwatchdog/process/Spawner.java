package io.fwatchdog.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The two ways of starting processes behind {@link ProcessLauncher}: native Linux, or the JDK's. */
interface Spawner extends AutoCloseable {

    FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment)
            throws IOException;

    /** What room {@code executable argv environment} leave for variables added per start. */
    ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment);

    int liveProcesses();

    /** Does now what the first {@link #start} would otherwise do first; safe to skip. */
    default void prepare() {}

    @Override
    void close();
}
