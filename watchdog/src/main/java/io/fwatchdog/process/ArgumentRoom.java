package io.fwatchdog.process;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The room a command's fixed argument vector and environment leave for variables added per
 * start, so that variables that would make the start fail can be refused before any process
 * is started. Linux's {@code execve} fails with E2BIG when one string, NUL included, exceeds
 * MAX_ARG_STRLEN (32 pages), or when the executable's path, all argument and environment
 * strings with their NULs, and a pointer to each exceed the argument space
 * ({@code sysconf(_SC_ARG_MAX)}, a quarter of the stack limit): see {@code fs/exec.c}.
 */
public final class ArgumentRoom {
    /** No limits known: the JDK fallback checks nothing and lets a start fail. */
    static final ArgumentRoom UNKNOWN = new ArgumentRoom(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 0);
    /** The kernel caps the argument space at 3/4 of _STK_LIM, whatever the stack limit says. */
    private static final long KERNEL_CAP = 6L << 20;
    /**
     * Kept free for what the kernel adds when the executable is a {@code #!} script: the
     * interpreter line (under 256 bytes) and the script's path again, per nested interpreter.
     */
    private static final long SCRIPT_SLACK = 4096;

    private final long longestString;
    private final long space;
    private final long left;
    private final long pointerBytes;

    private ArgumentRoom(long longestString, long space, long left, long pointerBytes) {
        this.longestString = longestString;
        this.space = space;
        this.left = left;
        this.pointerBytes = pointerBytes;
    }

    /** The room Linux leaves next to {@code executable}, {@code argv} and {@code environment}. */
    static ArgumentRoom linux(long argMax, long pageSize, long pointerBytes, Path executable, List<String> argv,
            Map<String, String> environment) {
        long longest = 32 * pageSize - 1;
        // Unknown (-1) only if the stack limit cannot be read: the kernel grants 32 pages at least.
        long space = argMax > 0 ? Math.min(argMax, KERNEL_CAP) : longest + 1;
        long used = executable.toString().getBytes(UTF_8).length + 1 + SCRIPT_SLACK;
        for (String arg : argv) {
            used += utf8Length(arg) + 1 + pointerBytes;
        }
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            used += variableBytes(variable.getKey(), variable.getValue()) + 1 + pointerBytes;
        }
        return new ArgumentRoom(longest, space, space - used, pointerBytes);
    }

    /**
     * Why {@code variables} cannot be added to the start, or empty when they fit. A variable that
     * replaces one of the fixed environment is counted as if it were added, which errs on the
     * safe side.
     */
    public Optional<String> exceededBy(Map<String, String> variables) {
        long total = 0;
        for (Map.Entry<String, String> variable : variables.entrySet()) {
            long bytes = variableBytes(variable.getKey(), variable.getValue());
            if (bytes > longestString) {
                return Optional.of(variable.getKey() + " is " + bytes + " bytes, over the " + longestString
                        + " one environment variable may hold");
            }
            total += bytes + 1 + pointerBytes;
        }
        // Nothing added cannot be refused, even when the fixed part alone is too much.
        long room = Math.max(left, 0);
        if (total > room) {
            return Optional.of("the " + variables.size() + " variables take " + total + " bytes, over the "
                    + room + " left for them of the " + space + " bytes of argument space (ARG_MAX)");
        }
        return Optional.empty();
    }

    /** {@code NAME=value} in UTF-8, as the launcher encodes it, without the NUL. */
    private static long variableBytes(String name, String value) {
        return utf8Length(name) + 1 + utf8Length(value);
    }

    /** UTF-8 length without encoding; a lone surrogate counts 2, a byte more than its {@code ?}. */
    static long utf8Length(String s) {
        long bytes = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
            }
        }
        return bytes;
    }
}
