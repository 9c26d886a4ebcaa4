package io.fwatchdog.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Turns a {@link Line} into bytes ending in a newline; called on the log writer's thread only. */
interface LineFormat {
    void write(Line line, ByteArrayOutputStream out) throws IOException;
}
