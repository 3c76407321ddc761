/* tests/daemon.h: start and stop a fake Bitcart daemon (tests/fake_daemon.c or .py) on
   127.0.0.1 with a free port, and talk to its /_test control routes. */
#ifndef BCE_TEST_DAEMON_H
#define BCE_TEST_DAEMON_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

typedef struct daemon_t {
    pid_t pid;
    int port;
    char url[64];
} daemon_t;

/* The build directory: $BUILD_DIR (the Makefile exports its $(BUILD) under that name), else
   "build". build_path("x") is "<dir>/x", in one of 8 buffers used in turn. */
static inline const char *build_path(const char *name) {
    static char bufs[8][512];
    static unsigned next;
    const char *dir = getenv("BUILD_DIR");
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir && *dir ? dir : "build", name);
    return b;
}

/* As argv[0] of daemon_start: the C fake daemon, run from the build directory. */
#define FAKE_DAEMON "fake_daemon"

/* argv[0] is the program (FAKE_DAEMON: build_path(FAKE_DAEMON)); the daemon prints "PORT n"
   once it listens. */
static inline int daemon_start(daemon_t *d, const char *const *argv) {
    int fds[2];
    char line[64];
    size_t n = 0;
    const char *prog = strcmp(argv[0], FAKE_DAEMON) == 0 ? build_path(FAKE_DAEMON) : argv[0];
    memset(d, 0, sizeof *d);
    if (pipe(fds) < 0) return -1;
    d->pid = fork();
    if (d->pid < 0) return -1;
    if (d->pid == 0) {
        dup2(fds[1], 1);
        if (!getenv("BCE_TEST_VERBOSE")) {      /* the daemons' own chatter hides test output */
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0) dup2(devnull, 2);
        }
        close(fds[0]);
        close(fds[1]);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    while (n < sizeof line - 1) {
        struct pollfd p;
        ssize_t r;
        p.fd = fds[0];
        p.events = POLLIN;
        if (poll(&p, 1, 20000) <= 0) break;
        r = read(fds[0], line + n, 1);
        if (r <= 0) break;
        if (line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    close(fds[0]);
    if (sscanf(line, "PORT %d", &d->port) != 1) {
        fprintf(stderr, "daemon %s did not start (said \"%s\")\n", prog, line);
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        return -1;
    }
    snprintf(d->url, sizeof d->url, "http://127.0.0.1:%d", d->port);
    return 0;
}

static inline void daemon_stop(daemon_t *d) {
    int st;
    if (d->pid <= 0) return;
    kill(d->pid, SIGTERM);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
}

/* One HTTP request on a fresh connection, with extra header lines (each ending in \r\n, or
   ""); the body of the answer goes to out. */
static inline int http_request_with(int port, const char *method, const char *path, const char *headers,
                                    const char *body, char *out, size_t cap) {
    struct sockaddr_in a;
    char req[65536];
    size_t got = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), n;
    const char *b;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
    n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                 "Content-Type: application/json\r\nContent-Length: %u\r\n\r\n%s",
                 method, path, headers, (unsigned)(body ? strlen(body) : 0), body ? body : "");
    if (send(fd, req, (size_t)n, 0) != n) { close(fd); return -1; }
    for (;;) {
        ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        if (got >= sizeof req - 1) break;
    }
    close(fd);
    req[got] = 0;
    b = strstr(req, "\r\n\r\n");
    if (!b) return -1;
    b += 4;
    if (out && cap) {
        size_t l = strlen(b);
        if (l >= cap) l = cap - 1;
        memcpy(out, b, l);
        out[l] = 0;
    }
    return 0;
}

/* One plain HTTP request on a fresh connection; the body of the answer goes to out. */
static inline int http_request(int port, const char *method, const char *path, const char *body, char *out, size_t cap) {
    return http_request_with(port, method, path, "", body, out, cap);
}

/* One JSON-RPC call with the default credentials (electrum:electrumz); the answer's body goes
   to out. E.g. daemon_rpc(port, "getbalance", "W", out, cap) loads wallet W as a real call would. */
static inline int daemon_rpc(int port, const char *method, const char *wallet, char *out, size_t cap) {
    char body[1024];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"xpub\":\"%s\"}}",
             method, wallet);
    return http_request_with(port, "POST", "/", "Authorization: Basic ZWxlY3RydW06ZWxlY3RydW16\r\n", body, out, cap);
}

static inline long stats_field(int port, const char *field) {
    char buf[4096], key[64];
    const char *p;
    if (http_request(port, "GET", "/_test/stats", NULL, buf, sizeof buf) < 0) return -1;
    snprintf(key, sizeof key, "\"%s\":", field);
    p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static inline int daemon_inject(int port, const char *wallet, const char *updates_json) {
    static char body[200000];
    char out[256];
    if (wallet) snprintf(body, sizeof body, "{\"wallet\":\"%s\",\"updates\":%s}", wallet, updates_json);
    else snprintf(body, sizeof body, "{\"wallet\":null,\"updates\":%s}", updates_json);
    return http_request(port, "POST", "/_test/inject", body, out, sizeof out);
}
/* Injects updates seq from..from+count-1 ({"event":"new_transaction","tx":"tN","seq":N}). */
static inline int daemon_inject_seq(int port, const char *wallet, int from, int count) {
    static char buf[60000];
    size_t o = 0;
    int i;
    buf[o++] = '[';
    for (i = from; i < from + count && o < sizeof buf - 100; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}",
                              i == from ? "" : ",", i, i);
    buf[o++] = ']';
    buf[o] = 0;
    return daemon_inject(port, wallet, buf);
}

/* 1 when the daemon has loaded the wallet (some call named it). */
static inline int daemon_loaded(int port, const char *wallet) {
    char buf[4096], key[128];
    if (http_request(port, "GET", "/_test/stats", NULL, buf, sizeof buf) < 0) return 0;
    snprintf(key, sizeof key, "\"%s\"", wallet);
    return strstr(buf, key) != NULL;
}

/* A loopback port that nothing listens on right now. */
static inline int free_loopback_port(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}
#endif
