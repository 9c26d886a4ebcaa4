package io.fwatchdog.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the running processes from {@code /proc/PID/stat}, for finding what descends
 * from the watchdog once the process tree it started has come apart: a descendant that left its
 * function's process group ({@code setsid}) can be found only by its chain of parents.
 * Zombies are left out: they have exited and have no children.
 */
final class ProcessTable {
    /** One process: its parent and its process group. */
    record Entry(long ppid, long pgid) {}

    private final Map<Long, Entry> entries;

    ProcessTable(Map<Long, Entry> entries) {
        this.entries = entries;
    }

    static ProcessTable read() {
        Map<Long, Entry> entries = new HashMap<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), ProcessTable::isPid)) {
            for (Path dir : proc) {
                long pid = Long.parseLong(dir.getFileName().toString());
                try {
                    String[] fields = stat(pid);
                    if (!fields[0].equals("Z")) {
                        entries.put(pid, new Entry(Long.parseLong(fields[1]), Long.parseLong(fields[2])));
                    }
                } catch (IOException | RuntimeException gone) {
                    // exited between the listing and the read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return new ProcessTable(entries);
    }

    /** The first fields of {@code /proc/PID/stat} after the name: state, ppid, pgrp, and the rest. */
    static String[] stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
    }

    private static boolean isPid(Path path) {
        String name = path.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /**
     * Every process descending from {@code root}, mapped to the ancestor of it that is a child of
     * {@code root} (itself, for a child): that ancestor tells whose subtree it is. Ordered from
     * the top down, each process after its parent, so that signals sent in this order reach a
     * parent before it can see its children end and carry on (exit 0, start another).
     */
    Map<Long, Long> descendants(long root) {
        Map<Long, Long> top = new HashMap<>();
        Map<Long, Integer> depth = new HashMap<>();
        for (long pid : entries.keySet()) {
            long child = pid;
            Entry entry = entries.get(pid);
            // Bounded by the table's size, in case parents change while the snapshot is taken.
            for (int steps = 0; entry != null && steps < entries.size(); steps++) {
                if (entry.ppid() == root) {
                    top.put(pid, child);
                    depth.put(pid, steps);
                    break;
                }
                child = entry.ppid();
                entry = entries.get(child);
            }
        }
        Map<Long, Long> found = new LinkedHashMap<>();
        top.keySet().stream()
                .sorted(Comparator.comparing(depth::get))
                .forEach(pid -> found.put(pid, top.get(pid)));
        return found;
    }

    Entry get(long pid) {
        return entries.get(pid);
    }
}
