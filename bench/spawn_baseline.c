/*
 * The floor under every fork-mode request: posix_spawn `cat`, write a body to its stdin while
 * reading its stdout to end-of-file, reap it. Runs back to back for a number of seconds and
 * prints the round trips per second, so bench/ can report the watchdog's throughput as a
 * fraction of what the bare system calls allow on the same core.
 *
 *   spawn_baseline BODY_BYTES SECONDS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int round_trip(const char *body, size_t size, char *scratch, size_t scratch_size) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char *argv[] = {"cat", NULL};
    pid_t pid;
    int error = posix_spawnp(&pid, "cat", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    if (error) return -1;

    fcntl(in[1], F_SETFL, O_NONBLOCK);
    size_t written = 0, received = 0;
    int writing = 1;
    if (size == 0) {
        close(in[1]);
        writing = 0;
    }
    for (;;) {
        struct pollfd fds[2] = {{out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        if (poll(fds, writing ? 2 : 1, -1) < 0 && errno != EINTR) return -1;
        if (writing && (fds[1].revents & (POLLOUT | POLLERR))) {
            ssize_t n = write(in[1], body + written, size - written);
            if (n > 0) written += n;
            if (n < 0 && errno != EAGAIN) return -1;
            if (written == size) {
                close(in[1]);
                writing = 0;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(out[0], scratch, scratch_size);
            if (n == 0) break;
            if (n < 0 && errno != EINTR) return -1;
            if (n > 0) received += n;
        }
    }
    close(out[0]);
    int status;
    waitpid(pid, &status, 0);
    return received == size ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BODY_BYTES SECONDS\n", argv[0]);
        return 2;
    }
    size_t size = strtoul(argv[1], NULL, 10);
    double seconds = atof(argv[2]);
    char *body = malloc(size + 1);
    memset(body, 'x', size);
    size_t scratch_size = 64 * 1024;
    char *scratch = malloc(scratch_size);
    long count = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        if (round_trip(body, size, scratch, scratch_size)) {
            perror("round trip");
            return 1;
        }
        count++;
    }
    printf("%.1f\n", count / (now() - start));
    return 0;
}
