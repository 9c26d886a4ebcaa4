/*
 * A function in C for the bare-root test (watchdog/src/dist/bare-root-test.sh), built with
 * musl-gcc, so it runs on a root file system that has musl's loader and no glibc:
 *
 *   bare_fn echo          copies stdin to stdout (streaming and serializing modes)
 *   bare_fn env           writes its environment, one variable a line
 *   bare_fn maps          writes its own /proc/self/maps: which loader and libc it runs on
 *   bare_fn afterburn     answers HTTP/1.1 requests on stdin, on stdout, with their bodies
 *   bare_fn http PORT     the same as an HTTP server on 127.0.0.1:PORT (http mode)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static int copy(FILE *in, FILE *out) {
    char buffer[8192];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) {
        if (fwrite(buffer, 1, n, out) != n) {
            return 1;
        }
        fflush(out);
    }
    return ferror(in) ? 1 : 0;
}

/* Echoes each request's body until the input ends; 0 at a clean end, 1 on a malformed request. */
static int answer(FILE *in, FILE *out) {
    char line[8192];
    while (fgets(line, sizeof line, in) != NULL) {
        long length = 0;
        int keep_alive = 1;
        while (fgets(line, sizeof line, in) != NULL && strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0) {
            if (strncasecmp(line, "content-length:", 15) == 0) {
                length = strtol(line + 15, NULL, 10);
            } else if (strncasecmp(line, "connection:", 11) == 0 && strstr(line + 11, "close") != NULL) {
                keep_alive = 0;
            }
        }
        if (length < 0 || length > 1 << 20) {
            return 1;
        }
        char *body = malloc(length + 1);
        if (body == NULL || (length > 0 && fread(body, 1, length, in) != (size_t) length)) {
            free(body);
            return 1;
        }
        fprintf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %ld\r\n%s\r\n", length,
                keep_alive ? "" : "Connection: close\r\n");
        fwrite(body, 1, length, out);
        fflush(out);
        free(body);
        if (!keep_alive) {
            return 0;
        }
    }
    return 0;
}

static int serve(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(listener, (struct sockaddr *) &address, sizeof address) != 0 || listen(listener, 16) != 0) {
        perror("bare_fn http: cannot listen");
        return 1;
    }
    signal(SIGCHLD, SIG_IGN); /* connections' processes are reaped by the kernel */
    for (;;) {
        int connection = accept(listener, NULL, NULL);
        if (connection < 0) {
            continue;
        }
        if (fork() == 0) {
            close(listener);
            FILE *in = fdopen(connection, "r");
            FILE *out = fdopen(dup(connection), "w");
            _exit(answer(in, out));
        }
        close(connection);
    }
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "echo") == 0) {
        return copy(stdin, stdout);
    }
    if (strcmp(what, "env") == 0) {
        for (char **variable = environ; *variable != NULL; variable++) {
            puts(*variable);
        }
        return 0;
    }
    if (strcmp(what, "maps") == 0) {
        FILE *maps = fopen("/proc/self/maps", "r");
        return maps == NULL ? 1 : copy(maps, stdout);
    }
    if (strcmp(what, "afterburn") == 0) {
        return answer(stdin, stdout);
    }
    if (strcmp(what, "http") == 0 && argc == 3) {
        return serve(atoi(argv[2]));
    }
    fprintf(stderr, "usage: bare_fn echo|env|maps|afterburn|http PORT\n");
    return 2;
}
