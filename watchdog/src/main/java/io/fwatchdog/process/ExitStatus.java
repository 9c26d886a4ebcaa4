package io.fwatchdog.process;

/**
 * How a function process ended: an exit code, or the signal that killed it.
 *
 * @param code   the exit code when the process exited, else -1
 * @param signal the terminating signal number when it was killed, else 0
 */
public record ExitStatus(int code, int signal) {

    public static ExitStatus exited(int code) {
        return new ExitStatus(code, 0);
    }

    public static ExitStatus killed(int signal) {
        return new ExitStatus(-1, signal);
    }

    public boolean success() {
        return signal == 0 && code == 0;
    }

    /** The shell's convention: the exit code, or 128 + signal. */
    public int shellStatus() {
        return signal == 0 ? code : 128 + signal;
    }

    /** For messages, after the process's name: {@code exited with status 3}, {@code killed by signal 9}. */
    @Override
    public String toString() {
        return signal == 0 ? "exited with status " + code : "killed by signal " + signal;
    }
}
