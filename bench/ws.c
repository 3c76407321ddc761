/* bench/ws.c - the websocket client end to end, against a C "blaster" server in a forked child.

   Build:  mkdir -p build && cc -std=c99 -O2 -Wall -Wextra -I. bench/ws.c -o build/bench_ws
   Run:    build/bench_ws [scale (default 1: N of section 1 times scale)] [sections (default 1234)]
           e.g. `build/bench_ws 0.05 1` runs only a small throughput section (for callgrind).

   Sections:
     1. throughput: the blaster writes pre-built unmasked text frames as fast as the socket takes
        them (3,000,000 messages of 1 update; 30,000 messages of 100 updates), then close 1000.
        Client CPU = getrusage(RUSAGE_SELF) user+sys of this process (the blaster is another
        process). Steady-state allocations: allocator calls after the first 1000 events.
     2. latency: 1 update per message at 1,000 messages/s for 3 s, each carrying its send time
        (CLOCK_MONOTONIC ns); the handler takes now - t.
     3. reconnect: default backoff (reconnect_min_ms 250, jitter); the blaster close()s the TCP
        connection and times until its next accept() returns.
     4. memory: (a) peak RSS of a child that connects and takes 10,000 events, beside a bare
        child: both forked (measured first thing, while this process is small) and both exec'd
        fresh as this binary (--mem-child); the library's heap bytes in use (counting
        allocator). (b) a slow handler (200 us per event) while the blaster floods for 5 s: RSS
        samples every 0.5 s, then what bce_stop from the handler leaves behind.
   Every session ends as a server ends it: close 1000, wait for the client's close, close TCP.

   The ROW lines (for bench/run.sh's table) say met / NOT met against the goals: informational,
   not a test (shared machines are noisy); the exit status never depends on them. Linux
   (/proc/self/statm). */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "bench_util.h"      /* counter_t, count_alloc, count_free, vm_hwm_kib */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <arpa/inet.h>

/* ---- clocks, small helpers --------------------------------------------------------------- */

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static double now_s(void) { return (double)now_ns() * 1e-9; }

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6
         + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static long maxrss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long statm_rss_kib(void) {
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void sleep_ns(long long ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000ll);
    ts.tv_nsec = (long)(ns % 1000000000ll);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- watchdog: a hang in the library must not hang the bench ----------------------------- */

static volatile pid_t watch_pid = -1;   /* the blaster to take down with us */
static const char *watch_what = "";

static void on_alarm(int sig) {
    static const char a[] = "\nbench_ws: WATCHDOG: no progress in section: ";
    (void)sig;
    if (write(2, a, sizeof a - 1) < 0) {}
    if (write(2, watch_what, strlen(watch_what)) < 0) {}
    if (write(2, "\n", 1) < 0) {}
    if (watch_pid > 0) kill(watch_pid, SIGKILL);
    _exit(3);
}

static void watchdog(const char *what, unsigned seconds) {
    watch_what = what;
    alarm(seconds);
}

/* ---- the blaster: server side of the websocket, in a forked child -------------------------- */

enum { B_STREAM, B_PACED, B_DROP, B_FLOOD };

typedef struct bcfg_t {
    int mode;
    long long messages;     /* B_STREAM: messages to send; B_PACED: messages at rate */
    int per_msg;            /* updates per message */
    int rate;               /* B_PACED: messages per second */
    int clients, drops;     /* B_DROP: clients in turn, drops per client */
    double seconds;         /* B_FLOOD */
} bcfg_t;

typedef struct bres_t {
    int err;
    char why[160];
    int n;                  /* B_DROP: gaps measured */
    double gap_ms[32];
    double bytes;           /* bytes of frames written */
    double seconds;
    long long frame_bytes;  /* size of one pre-built frame */
    long long sent;         /* B_DROP: events sent before the drops */
    int close_code;         /* the last close code the client sent */
} bres_t;

typedef struct blaster_t {
    pid_t pid;
    int rfd;
    int port;
} blaster_t;

typedef struct sconn_t {
    int fd;
    unsigned char buf[16384];
    size_t len;
} sconn_t;

static bres_t R;   /* in the child */

static void fail(const char *why) {
    if (!R.err) {
        R.err = 1;
        snprintf(R.why, sizeof R.why, "%s%s%s", why, errno ? ": " : "", errno ? strerror(errno) : "");
    }
}

/* Reads more into c->buf. >0 bytes, 0 EOF, -1 error or timeout. */
static int s_fill(sconn_t *c, int timeout_ms) {
    struct pollfd pf;
    ssize_t n;
    int r;
    if (c->len == sizeof c->buf) { errno = 0; fail("blaster: receive buffer full"); return -1; }
    pf.fd = c->fd;
    pf.events = POLLIN;
    do r = poll(&pf, 1, timeout_ms); while (r < 0 && errno == EINTR);
    if (r == 0) { errno = 0; return -1; }
    if (r < 0) return -1;
    do n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len); while (n < 0 && errno == EINTR);
    if (n <= 0) return (int)n;
    c->len += (size_t)n;
    return (int)n;
}

static void s_consume(sconn_t *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static int s_write_all(int fd, const void *p, size_t n) {
    const char *s = (const char *)p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the HTTP upgrade request and answers 101 with the right Sec-WebSocket-Accept. */
static int s_handshake(sconn_t *c) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *end = NULL, *line;
    char key[128], accept[64], resp[256];
    unsigned char digest[20];
    size_t klen = 0, hlen;
    _bce_sha1_t sh;
    int n;
    for (;;) {
        size_t i;
        for (i = 0; i + 3 < c->len; i++)
            if (memcmp(c->buf + i, "\r\n\r\n", 4) == 0) { end = (const char *)c->buf + i; break; }
        if (end) break;
        if (s_fill(c, 10000) <= 0) { fail("blaster: no upgrade request"); return -1; }
    }
    hlen = (size_t)(end - (const char *)c->buf) + 4;
    for (line = (const char *)c->buf; line < end;) {
        const char *le = strstr(line, "\r\n");
        if (!le || le > end) le = end;
        if ((size_t)(le - line) > 18 && strncasecmp(line, "Sec-WebSocket-Key:", 18) == 0) {
            const char *v = line + 18, *ve = le;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            klen = (size_t)(ve - v);
            if (klen >= sizeof key) klen = 0;
            else memcpy(key, v, klen);
        }
        line = le + 2;
    }
    if (!klen) { errno = 0; fail("blaster: no Sec-WebSocket-Key"); return -1; }
    _bce_sha1_init(&sh);
    _bce_sha1_update(&sh, key, klen);
    _bce_sha1_update(&sh, guid, sizeof guid - 1);
    _bce_sha1_final(&sh, digest);
    _bce_base64(digest, 20, accept);
    n = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    s_consume(c, hlen);
    if (s_write_all(c->fd, resp, (size_t)n) != 0) { fail("blaster: writing the 101"); return -1; }
    return 0;
}

/* Reads (and drops) one frame from the client. Returns its opcode, or -1. */
static int s_read_frame(sconn_t *c, int timeout_ms) {
    for (;;) {
        size_t need = 2, plen;
        if (c->len >= 2) {
            plen = c->buf[1] & 0x7f;
            if (plen == 126) need += 2;
            else if (plen == 127) need += 8;
            if (c->buf[1] & 0x80) need += 4;
            if (c->len >= need) {
                if (plen == 126) plen = ((size_t)c->buf[2] << 8) | c->buf[3];
                else if (plen == 127) { errno = 0; fail("blaster: client frame too large"); return -1; }
                if (c->len >= need + plen) {
                    int op = c->buf[0] & 0x0f;
                    if (op == 8 && plen >= 2) {     /* the client's close code (unmasked) */
                        const unsigned char *mk = c->buf + need - 4, *pl = c->buf + need;
                        R.close_code = ((pl[0] ^ mk[0]) << 8) | (pl[1] ^ mk[1]);
                    }
                    s_consume(c, need + plen);
                    return op;
                }
            }
        }
        if (s_fill(c, timeout_ms) <= 0) return -1;
    }
}

/* The end of a session, as a websocket server does it: read the client's frames until its
   close frame (the answer to ours, or its own when it stops) or EOF, then close TCP. The server
   closes TCP first (RFC 6455 7.1.1), so no FIN races the last data frames. */
static void s_finish(sconn_t *c) {
    int op;
    do op = s_read_frame(c, 10000); while (op >= 0 && op != 8);
    close(c->fd);
    c->fd = -1;
}

static size_t frame_header(unsigned char *h, int opcode, size_t n) {
    h[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) { h[1] = (unsigned char)n; return 2; }
    if (n < 65536) { h[1] = 126; h[2] = (unsigned char)(n >> 8); h[3] = (unsigned char)n; return 4; }
    {
        int i;
        h[1] = 127;
        for (i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        return 10;
    }
}

/* One message of per_msg updates (fixed length for every seq), without the frame header. */
static size_t build_message(char *out, size_t cap, int per_msg, unsigned long long seq, long long t) {
    size_t o = 0;
    int k;
    o += (size_t)snprintf(out + o, cap - o, "{\"updates\":[");
    for (k = 0; k < per_msg; k++) {
        o += (size_t)snprintf(out + o, cap - o, "%s{\"event\":\"new_transaction\",\"tx\":\"%064llx\"", k ? "," : "",
                              seq * (unsigned long long)per_msg + (unsigned long long)k);
        if (t >= 0) o += (size_t)snprintf(out + o, cap - o, ",\"t\":%lld", t);
        out[o++] = '}';
    }
    o += (size_t)snprintf(out + o, cap - o, "],\"wallet\":\"w\",\"currency\":\"BTC\"}");
    return o;
}

/* A buffer of whole frames, about 1 MiB, repeated as often as needed. */
static unsigned char *build_chunk(int per_msg, size_t *frame_size, long long *frames) {
    char *msg = (char *)malloc((size_t)per_msg * 200 + 100);
    size_t mlen = build_message(msg, (size_t)per_msg * 200 + 100, per_msg, 0, -1), fs, o = 0;
    unsigned char hdr[10], *chunk;
    long long k, count;
    fs = frame_header(hdr, 1, mlen) + mlen;
    count = (long long)((1u << 20) / fs);
    if (count < 1) count = 1;
    chunk = (unsigned char *)malloc((size_t)count * fs);
    for (k = 0; k < count; k++) {
        size_t h, m = build_message(msg, (size_t)per_msg * 200 + 100, per_msg, (unsigned long long)k, -1);
        h = frame_header(chunk + o, 1, m);
        memcpy(chunk + o + h, msg, m);
        o += h + m;
    }
    free(msg);
    *frame_size = fs;
    *frames = count;
    return chunk;
}

static void send_close_1000(int fd) {
    static const unsigned char f[4] = {0x88, 2, 0x03, 0xE8};
    if (s_write_all(fd, f, sizeof f) != 0) fail("blaster: writing the close frame");
}

static int accept_one(int ls, sconn_t *c) {
    struct pollfd pf;
    int r;
    pf.fd = ls;
    pf.events = POLLIN;
    do r = poll(&pf, 1, 15000); while (r < 0 && errno == EINTR);
    if (r <= 0) { if (r == 0) errno = 0; fail("blaster: no client connected within 15 s"); return -1; }
    c->fd = accept(ls, NULL, NULL);
    c->len = 0;
    if (c->fd < 0) { fail("blaster: accept"); return -1; }
    return 0;
}

/* Accept, handshake, and take the client's {"xpub":...} message. */
static int open_session(int ls, sconn_t *c) {
    int one = 1;
    if (accept_one(ls, c) != 0) return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (s_handshake(c) != 0) return -1;
    if (s_read_frame(c, 10000) != 1) { fail("blaster: expected the client's subscribe message"); return -1; }
    return 0;
}

static void blast_stream(int ls, const bcfg_t *cfg, sconn_t *c) {
    size_t fs;
    long long per_chunk, left = cfg->messages;
    unsigned char *chunk = build_chunk(cfg->per_msg, &fs, &per_chunk);
    double t0;
    R.frame_bytes = (long long)fs;
    if (open_session(ls, c) != 0) { free(chunk); return; }
    t0 = now_s();
    while (left > 0) {
        long long k = left < per_chunk ? left : per_chunk;
        if (s_write_all(c->fd, chunk, (size_t)k * fs) != 0) { fail("blaster: write"); break; }
        left -= k;
        R.bytes += (double)k * (double)fs;
    }
    R.seconds = now_s() - t0;
    if (!R.err) send_close_1000(c->fd);
    s_finish(c);
    free(chunk);
}

static void blast_paced(int ls, const bcfg_t *cfg, sconn_t *c) {
    char msg[512];
    unsigned char frame[600];
    long long t0, i;
    if (open_session(ls, c) != 0) return;
    t0 = now_ns() + 10000000ll;
    for (i = 0; i < cfg->messages && !R.err; i++) {
        long long due = t0 + i * (1000000000ll / cfg->rate);
        struct timespec ts;
        size_t m, h;
        ts.tv_sec = (time_t)(due / 1000000000ll);
        ts.tv_nsec = (long)(due % 1000000000ll);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        m = build_message(msg, sizeof msg, 1, (unsigned long long)i, now_ns());
        if (m > 500) m = 500;   /* never: about 130 bytes */
        h = frame_header(frame, 1, m);
        memcpy(frame + h, msg, m);
        if (s_write_all(c->fd, frame, h + m) != 0) fail("blaster: write");
        R.bytes += (double)(h + m);
    }
    if (!R.err) send_close_1000(c->fd);
    s_finish(c);
}

static void blast_drop(int ls, const bcfg_t *cfg, sconn_t *c) {
    char msg[512];
    unsigned char frame[600];
    size_t m = build_message(msg, sizeof msg, 1, 7, -1), h = frame_header(frame, 1, m);
    int cl, d, k;
    memcpy(frame + h, msg, m);
    for (cl = 0; cl < cfg->clients && !R.err; cl++) {
        long long dropped_at = 0;
        for (d = 0; d <= cfg->drops && !R.err; d++) {
            if (accept_one(ls, c) != 0) return;
            if (d > 0 && R.n < 32) R.gap_ms[R.n++] = (double)(now_ns() - dropped_at) / 1e6;
            if (s_handshake(c) != 0 || s_read_frame(c, 10000) != 1) { fail("blaster: session setup"); return; }
            if (d < cfg->drops) {   /* 3 events, then drop the TCP connection, no close frame */
                for (k = 0; k < 3; k++)
                    if (s_write_all(c->fd, frame, h + m) != 0) fail("blaster: write");
                R.sent += 3;
                dropped_at = now_ns();
                close(c->fd);
                c->fd = -1;
            } else {                /* the client stops itself on this connection */
                s_finish(c);
            }
        }
    }
}

static void blast_flood(int ls, const bcfg_t *cfg, sconn_t *c) {
    size_t fs, off = 0, total;
    long long per_chunk;
    unsigned char *chunk = build_chunk(1, &fs, &per_chunk);
    long long t0, end;
    R.frame_bytes = (long long)fs;
    total = (size_t)per_chunk * fs;
    if (open_session(ls, c) != 0) { free(chunk); return; }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    t0 = now_ns();
    end = t0 + (long long)(cfg->seconds * 1e9);
    for (;;) {
        long long now = now_ns();
        struct pollfd pf;
        ssize_t w;
        if (now >= end) break;
        pf.fd = c->fd;
        pf.events = POLLOUT;
        if (poll(&pf, 1, (int)((end - now) / 1000000 + 1)) <= 0) continue;
        w = write(c->fd, chunk + off, total - off);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        if (w <= 0) { fail("blaster: write"); break; }
        R.bytes += (double)w;
        off = (off + (size_t)w) % total;
    }
    R.seconds = (double)(now_ns() - t0) * 1e-9;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    s_finish(c);    /* the client stops itself; we only wait for its end */
    free(chunk);
}

static int blaster_spawn(blaster_t *b, const bcfg_t *cfg) {
    int p[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(p) != 0) return -1;
    b->pid = fork();
    if (b->pid < 0) return -1;
    if (b->pid == 0) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        sconn_t *c = (sconn_t *)calloc(1, sizeof *c);
        int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1, port = -1;
        close(p[0]);
        alarm(0);
        signal(SIGPIPE, SIG_IGN);
        memset(&R, 0, sizeof R);
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(ls, 16) == 0
            && getsockname(ls, (struct sockaddr *)&sa, &sl) == 0)
            port = ntohs(sa.sin_port);
        if (s_write_all(p[1], &port, sizeof port) != 0 || port < 0) _exit(1);
        c->fd = -1;
        switch (cfg->mode) {
        case B_STREAM: blast_stream(ls, cfg, c); break;
        case B_PACED: blast_paced(ls, cfg, c); break;
        case B_DROP: blast_drop(ls, cfg, c); break;
        default: blast_flood(ls, cfg, c); break;
        }
        if (s_write_all(p[1], &R, sizeof R) != 0) _exit(1);
        _exit(0);
    }
    close(p[1]);
    b->rfd = p[0];
    watch_pid = b->pid;
    if (read(b->rfd, &b->port, sizeof b->port) != (ssize_t)sizeof b->port || b->port <= 0) {
        fprintf(stderr, "bench_ws: the blaster did not start\n");
        return -1;
    }
    return 0;
}

static void blaster_finish(blaster_t *b, bres_t *res) {
    size_t got = 0;
    memset(res, 0, sizeof *res);
    while (got < sizeof *res) {
        ssize_t n = read(b->rfd, (char *)res + got, sizeof *res - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got != sizeof *res) {
        res->err = 1;
        snprintf(res->why, sizeof res->why, "the blaster exited without a result");
    }
    close(b->rfd);
    waitpid(b->pid, NULL, 0);
    watch_pid = -1;
    if (res->err) printf("  !! blaster: %s\n", res->why);
}

/* ---- the client: a BTC coin on the blaster ------------------------------------------------- */

static bce_coin_t *make_coin(int port, counter_t *ctr) {
    char url[64];
    bce_coin_desc_t desc;
    memset(&desc, 0, sizeof desc);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    desc.currency = "BTC";
    desc.xpub = "w";
    desc.url = url;
    if (ctr) {
        desc.allocator.alloc = count_alloc;
        desc.allocator.free = count_free;
        desc.allocator.user_data = ctr;
    }
    return bce_coin_create(&desc);
}

static void plain_opts(bce_ws_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->disable_catch_up = 1;     /* the blaster has no JSON-RPC */
    o->disable_wallet_load = 1;
    o->ping_interval_ms = -1;
    o->disable_reconnect = 1;    /* the blaster's close ends the run (BCE_ERR_CLOSED) */
}

static struct {
    long long events, missing, sum;
    counter_t *ctr;
    /* latency */
    long long *lat;
    long long nlat, cap_lat;
    /* reconnect */
    int connects, stop_at;
    long long heap_connect, blocks_connect;   /* at the first connect */
    long long heap_after, rss_after;          /* slow handler: once the run ended */
    /* slow handler */
    long long t_first, next_sample;
    int nsamples;
    long rss[16];
    long long heap[16], at_events[16];
    double at_s[16];
    bce_coin_t *coin;
} H;

static void on_tx(const bce_event_t *ev, void *ud) {
    const char *tx = bce_event_str(ev, "tx");
    (void)ud;
    if (tx) H.sum += (unsigned char)tx[0];
    else H.missing++;
    if (++H.events == 1000 && H.ctr) H.ctr->armed = 1;
}

static void on_latency(const bce_event_t *ev, void *ud) {
    long long t, now = now_ns();
    (void)ud;
    H.events++;
    if (bce_event_int(ev, "t", &t) && H.nlat < H.cap_lat) H.lat[H.nlat++] = now - t;
    else H.missing++;
}

static void on_connect_count(bce_coin_t *coin, const char *currency, void *ud) {
    (void)currency;
    (void)ud;
    if (++H.connects >= H.stop_at) bce_stop(coin);
}

static void on_connect_heap(bce_coin_t *coin, const char *currency, void *ud) {
    (void)coin;
    (void)currency;
    (void)ud;
    if (H.ctr && H.connects++ == 0) {
        H.heap_connect = H.ctr->in_use;
        H.blocks_connect = H.ctr->blocks;
    }
}

static void rss_sample(long long now) {
    if (H.nsamples < 16) {
        H.at_s[H.nsamples] = (double)(now - H.t_first) * 1e-9;
        H.rss[H.nsamples] = statm_rss_kib();
        H.heap[H.nsamples] = H.ctr ? H.ctr->in_use : -1;
        H.at_events[H.nsamples] = H.events;
        H.nsamples++;
    }
}

static void on_slow(const bce_event_t *ev, void *ud) {
    long long now = now_ns();
    (void)ud;
    if (!bce_event_str(ev, "tx")) H.missing++;
    if (H.events == 0) { H.t_first = now; H.next_sample = now; }
    if (now >= H.next_sample) {
        rss_sample(now);
        H.next_sample += 500000000ll;
        if (H.nsamples == 11) { bce_stop(H.coin); return; }   /* 0.0 .. 5.0 s */
    }
    H.events++;
    sleep_ns(200000);
}

/* ---- section 1: throughput ------------------------------------------------------------------ */

typedef struct tp_row_t {
    const char *name;
    long long messages, events, expected, allocs, steady;
    double wall, cpu, bytes, py;
    int result;
    size_t sizes[8];
} tp_row_t;

static void throughput_run(tp_row_t *row, long long messages, int per_msg) {
    blaster_t b;
    bres_t res;
    bcfg_t cfg;
    counter_t ctr;
    bce_coin_t *coin;
    bce_ws_opts_t o;
    double w0, c0;
    memset(&cfg, 0, sizeof cfg);
    memset(&ctr, 0, sizeof ctr);
    memset(&H, 0, sizeof H);
    cfg.mode = B_STREAM;
    cfg.messages = messages;
    cfg.per_msg = per_msg;
    row->messages = messages;
    row->expected = messages * per_msg;
    if (blaster_spawn(&b, &cfg) != 0) exit(1);
    H.ctr = &ctr;
    coin = make_coin(b.port, &ctr);
    bce_on(coin, "new_transaction", on_tx, NULL);
    plain_opts(&o);
    w0 = now_s();
    c0 = cpu_s();
    row->result = bce_start_websocket(coin, &o);
    row->cpu = cpu_s() - c0;
    row->wall = now_s() - w0;
    row->events = H.events;
    row->allocs = ctr.calls;
    row->steady = ctr.armed_calls;
    memcpy(row->sizes, ctr.armed_sizes, sizeof row->sizes);
    bce_coin_destroy(coin);
    blaster_finish(&b, &res);
    row->bytes = res.bytes;
    if (H.missing) printf("  !! %lld events without a readable \"tx\"\n", H.missing);
}

/* One machine-readable row of the `make bench` summary (bench/run.sh collects them):
   ROW<TAB>what<TAB>reference<TAB>goal<TAB>measured<TAB>met / not met */
static void summary_row(const char *what, const char *ref, const char *goal, const char *measured, int met) {
    printf("ROW\t%s\t%s\t%s\t%s\t%s\n", what, ref, goal, measured, met ? "met" : "NOT met");
}

static void section_throughput(double scale) {
    tp_row_t rows[2];
    int i;
    long long n1 = (long long)(3000000 * scale), n2 = (long long)(30000 * scale);
    if (n1 < 1000) n1 = 1000;
    if (n2 < 10) n2 = 10;
    memset(rows, 0, sizeof rows);
    rows[0].name = "1 update/msg";
    rows[0].py = 30600;
    rows[1].name = "100 updates/msg";
    rows[1].py = 66400;
    watchdog("1. throughput, 1 update per message", 120);
    throughput_run(&rows[0], n1, 1);
    watchdog("1. throughput, 100 updates per message", 120);
    throughput_run(&rows[1], n2, 100);
    alarm(0);
    printf("\n1. throughput: blaster writes pre-built frames as fast as the socket takes them, then close 1000\n");
    printf("   client CPU = user+sys of the client process (getrusage); allocs = calls to desc.allocator\n");
    printf("  %-16s %9s %9s %7s %11s %10s %7s %9s %9s %7s %7s %8s\n", "run", "events", "messages", "wall s",
           "events/s", "msgs/s", "MB/s", "CPU ns/ev", "Python/s", "vs Py", "allocs", "steady");
    for (i = 0; i < 2; i++) {
        tp_row_t *r = &rows[i];
        printf("  %-16s %9lld %9lld %7.3f %11.0f %10.0f %7.1f %9.1f %9.0f %6.0fx %7lld %8lld\n", r->name, r->events,
               r->messages, r->wall, (double)r->events / r->wall, (double)r->messages / r->wall,
               r->bytes / r->wall / 1e6, r->cpu / (double)(r->events ? r->events : 1) * 1e9, r->py,
               (double)r->events / r->wall / r->py, r->allocs, r->steady);
    }
    for (i = 0; i < 2; i++)
        if (rows[i].events != rows[i].expected || rows[i].result != BCE_ERR_CLOSED)
            printf("  !! %s: %lld of %lld events; run ended with %s\n", rows[i].name, rows[i].events,
                   rows[i].expected, bce_result_str(rows[i].result));
    for (i = 0; i < 2; i++)
        if (rows[i].steady) {
            int k;
            printf("  %s: steady-state allocation sizes (bytes):", rows[i].name);
            for (k = 0; k < 8 && k < rows[i].steady; k++) printf(" %zu", rows[i].sizes[k]);
            printf("\n");
        }
    for (i = 0; i < 2; i++) {
        char m[96];
        double eps = (double)rows[i].events / rows[i].wall;
        snprintf(m, sizeof m, "%.2f M events/s (%.0fx), %.0f ns CPU/event", eps / 1e6, eps / rows[i].py,
                 rows[i].cpu / (double)(rows[i].events ? rows[i].events : 1) * 1e9);
        summary_row(i ? "websocket end to end, 100 updates/msg" : "websocket end to end, 1 update/msg",
                    i ? "Python SDK 66,400 events/s" : "Python SDK 30,600 events/s",
                    i ? ">= 100x (6.64 M/s)" : ">= 100x (3.06 M/s)", m,
                    eps >= 100 * rows[i].py && rows[i].events == rows[i].expected);
    }
    {
        char m[96];
        snprintf(m, sizeof m, "websocket: %lld and %lld calls after 1000 events", rows[0].steady, rows[1].steady);
        summary_row("heap allocations per event (steady)", "Python: several objects per event", "0", m,
                    rows[0].steady == 0 && rows[1].steady == 0);
    }
    printf("  goal: 100x the Python SDK (3.06 M events/s at 1/msg, 6.64 M at 100/msg); steady = allocator calls\n"
           "  after the first 1000 events (expected 0). Run ended with %s.\n", bce_result_str(rows[0].result));
}

/* ---- section 2: latency ---------------------------------------------------------------------- */

static void section_latency(void) {
    blaster_t b;
    bres_t res;
    bcfg_t cfg;
    bce_coin_t *coin;
    bce_ws_opts_t o;
    int r;
    memset(&cfg, 0, sizeof cfg);
    memset(&H, 0, sizeof H);
    cfg.mode = B_PACED;
    cfg.messages = 3000;
    cfg.rate = 1000;
    cfg.per_msg = 1;
    H.cap_lat = cfg.messages;
    H.lat = (long long *)malloc((size_t)H.cap_lat * sizeof *H.lat);
    watchdog("2. latency", 60);
    if (blaster_spawn(&b, &cfg) != 0) exit(1);
    coin = make_coin(b.port, NULL);
    bce_on(coin, "new_transaction", on_latency, NULL);
    plain_opts(&o);
    r = bce_start_websocket(coin, &o);
    bce_coin_destroy(coin);
    blaster_finish(&b, &res);
    alarm(0);
    printf("\n2. latency: 1 update per message, %d messages/s for %.0f s; send time in the update, now - t in the handler\n",
           cfg.rate, (double)cfg.messages / cfg.rate);
    printf("  %-10s %9s %9s %9s %9s %9s\n", "messages", "received", "p50 us", "p99 us", "p99.9 us", "max us");
    if (H.nlat > 0) {
        qsort(H.lat, (size_t)H.nlat, sizeof *H.lat, cmp_ll);
        printf("  %-10lld %9lld %9.1f %9.1f %9.1f %9.1f\n", cfg.messages, H.nlat, (double)H.lat[H.nlat / 2] / 1e3,
               (double)H.lat[(H.nlat * 99) / 100] / 1e3, (double)H.lat[(H.nlat * 999) / 1000] / 1e3,
               (double)H.lat[H.nlat - 1] / 1e3);
    } else {
        printf("  %-10lld %9lld %9s %9s %9s %9s\n", cfg.messages, H.nlat, "-", "-", "-", "-");
    }
    if (H.nlat != cfg.messages || r != BCE_ERR_CLOSED)
        printf("  !! %lld of %lld events; run ended with %s\n", H.nlat, cfg.messages, bce_result_str(r));
    {
        char m[96];
        double p99 = H.nlat > 0 ? (double)H.lat[(H.nlat * 99) / 100] / 1e3 : -1;
        snprintf(m, sizeof m, "p99 %.0f us (p50 %.0f us), %lld of %lld", p99,
                 H.nlat > 0 ? (double)H.lat[H.nlat / 2] / 1e3 : -1.0, H.nlat, cfg.messages);
        summary_row("handler latency at 1,000 events/s, p99", "none", "< 1 ms on loopback", m,
                    H.nlat == cfg.messages && p99 >= 0 && p99 < 1000);
    }
    free(H.lat);
}

/* ---- section 3: reconnect -------------------------------------------------------------------- */

static void print_gaps(const char *name, const bres_t *res) {
    double s[32], med;
    int i;
    printf("  %-30s", name);
    for (i = 0; i < 5; i++) {
        if (i < res->n) printf(" %7.1f", res->gap_ms[i]);
        else printf(" %7s", "-");
    }
    memcpy(s, res->gap_ms, sizeof s);
    qsort(s, (size_t)res->n, sizeof s[0], cmp_double);
    med = res->n ? (res->n % 2 ? s[res->n / 2] : 0.5 * (s[res->n / 2 - 1] + s[res->n / 2])) : 0;
    if (res->n) printf(" %8.1f\n", med);
    else printf(" %8s\n", "-");
}

static void section_reconnect(void) {
    blaster_t b;
    bres_t fresh, series;
    bcfg_t cfg;
    bce_ws_opts_t o;
    long long ev_fresh = 0, ev_series;
    int i, r, rf = BCE_OK, rs;
    memset(&cfg, 0, sizeof cfg);
    memset(&o, 0, sizeof o);
    o.disable_catch_up = 1;
    o.disable_wallet_load = 1;
    o.ping_interval_ms = -1;    /* reconnect options stay at their defaults */
    cfg.mode = B_DROP;
    cfg.per_msg = 1;

    /* A: a new client per trial: each drop is the first after a good connection. */
    watchdog("3. reconnect, fresh client per drop", 60);
    cfg.clients = 5;
    cfg.drops = 1;
    if (blaster_spawn(&b, &cfg) != 0) exit(1);
    for (i = 0; i < cfg.clients; i++) {
        bce_coin_t *coin = make_coin(b.port, NULL);
        memset(&H, 0, sizeof H);
        H.stop_at = 2;
        o.on_connect = on_connect_count;
        bce_on(coin, "new_transaction", on_tx, NULL);
        r = bce_start_websocket(coin, &o);
        if (r != BCE_OK) rf = r;
        ev_fresh += H.events;
        bce_coin_destroy(coin);
    }
    blaster_finish(&b, &fresh);

    /* B: one client, the connection dropped 5 times in a row (each stays up well under 5 s). */
    watchdog("3. reconnect, one client with 5 drops", 60);
    cfg.clients = 1;
    cfg.drops = 5;
    if (blaster_spawn(&b, &cfg) != 0) exit(1);
    {
        bce_coin_t *coin = make_coin(b.port, NULL);
        memset(&H, 0, sizeof H);
        H.stop_at = 6;
        bce_on(coin, "new_transaction", on_tx, NULL);
        rs = bce_start_websocket(coin, &o);
        ev_series = H.events;
        bce_coin_destroy(coin);
    }
    blaster_finish(&b, &series);
    alarm(0);
    printf("\n3. reconnect: default options (reconnect_min_ms 250, jitter); blaster close()s TCP -> its next accept() (ms)\n");
    printf("  %-30s %7s %7s %7s %7s %7s %8s\n", "series", "1", "2", "3", "4", "5", "median");
    print_gaps("new client per drop", &fresh);
    print_gaps("one client, 5 drops in a row", &series);
    printf("  events delivered of those sent right before each drop (3 per drop): %lld of %lld, %lld of %lld\n",
           ev_fresh, fresh.sent, ev_series, series.sent);
    if (rf != BCE_OK || rs != BCE_OK)
        printf("  !! runs ended with %s / %s (expected BCE_OK after bce_stop)\n", bce_result_str(rf), bce_result_str(rs));
    printf("  reference: Python SDK waits a fixed 5000 ms; goal <= reconnect_min_ms (250) + jitter\n");
    {
        char m[96];
        double mx = 0;
        for (i = 0; i < fresh.n; i++) if (fresh.gap_ms[i] > mx) mx = fresh.gap_ms[i];
        snprintf(m, sizeof m, "max %.0f ms over %d drops (first attempt, jitter 125-250)", mx, fresh.n);
        summary_row("first reconnect attempt after a drop", "Python SDK 5 s", "<= reconnect_min_ms 250 (+ jitter)", m,
                    fresh.n == 5 && mx <= 250.0 + 10.0);   /* 10 ms for scheduling on a loaded machine */
    }
}

/* ---- section 4: memory ----------------------------------------------------------------------- */

typedef struct mem_res_t {
    long maxrss, hwm, rss_end;              /* KiB: ru_maxrss, VmHWM, statm at the end */
    long long heap_connect, blocks_connect, heap_end, heap_peak, calls, events;
    int result, ok;
} mem_res_t;

/* The measured process: nothing (port 0), or a coin that connects and takes 10,000 events. */
static void mem_child_body(int port, int fd) {
    mem_res_t m;
    memset(&m, 0, sizeof m);
    if (port > 0) {
        counter_t ctr;
        bce_coin_t *coin;
        bce_ws_opts_t o;
        memset(&ctr, 0, sizeof ctr);
        memset(&H, 0, sizeof H);
        H.ctr = &ctr;
        coin = make_coin(port, &ctr);
        bce_on(coin, "new_transaction", on_tx, NULL);
        plain_opts(&o);
        o.on_connect = on_connect_heap;
        m.result = bce_start_websocket(coin, &o);
        m.heap_connect = H.heap_connect;
        m.blocks_connect = H.blocks_connect;
        m.heap_end = ctr.in_use;
        m.heap_peak = ctr.peak;
        m.calls = ctr.calls;
        m.events = H.events;
        m.rss_end = statm_rss_kib();
        bce_coin_destroy(coin);
    } else {
        m.rss_end = statm_rss_kib();
    }
    m.maxrss = maxrss_kib();
    m.hwm = vm_hwm_kib();
    m.ok = 1;
    if (write(fd, &m, sizeof m) < 0) {}
}

/* One measured child: forked (it starts from this process's pages), or forked and exec'd as
   this binary with --mem-child (a fresh program: the "bare libc program" baseline). */
static mem_res_t mem_child(int client, int use_exec) {
    mem_res_t m;
    blaster_t b;
    bres_t res;
    int p[2], port = 0;
    pid_t pid;
    memset(&m, 0, sizeof m);
    if (client) {
        bcfg_t cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.mode = B_STREAM;
        cfg.messages = 10000;
        cfg.per_msg = 1;
        if (blaster_spawn(&b, &cfg) != 0) return m;
        port = b.port;
    }
    fflush(stdout);
    if (pipe(p) != 0) return m;
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (use_exec) {
            char sport[16], sfd[16];
            char *args[5];
            snprintf(sport, sizeof sport, "%d", port);
            snprintf(sfd, sizeof sfd, "%d", p[1]);
            args[0] = (char *)"bench_ws";
            args[1] = (char *)"--mem-child";
            args[2] = sport;
            args[3] = sfd;
            args[4] = NULL;
            execv("/proc/self/exe", args);
            _exit(127);
        }
        mem_child_body(port, p[1]);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &m, sizeof m) != (ssize_t)sizeof m) m.ok = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
    if (client) blaster_finish(&b, &res);
    return m;
}

static mem_res_t MB[4];   /* forked bare, forked client, exec'd bare, exec'd client */

/* Runs first thing, while this process is small: a forked child starts from the parent's
   pages (its RSS and ru_maxrss include them), so both forked children share that baseline. */
static void memory_measure(void) {
    watchdog("4a. memory", 60);
    MB[0] = mem_child(0, 0);
    MB[1] = mem_child(1, 0);
    MB[2] = mem_child(0, 1);
    MB[3] = mem_child(1, 1);
    alarm(0);
}

static void mem_row(const char *name, const mem_res_t *m) {
    if (!m->ok) printf("  %-46s %12s\n", name, "no result");
    else printf("  %-46s %12ld %10ld %10ld\n", name, m->maxrss, m->hwm, m->rss_end);
}

static void section_memory_print(void) {
    int i;
    printf("\n4a. memory: peak RSS of child processes (measured before the other sections ran), KiB\n");
    printf("  %-46s %12s %10s %10s\n", "process", "ru_maxrss", "VmHWM", "RSS end");
    mem_row("forked child, bare (does nothing)", &MB[0]);
    mem_row("forked child: coin, connect, 10,000 events", &MB[1]);
    if (MB[0].ok && MB[1].ok)
        printf("  %-46s %12ld %10ld %10ld\n", "  difference", MB[1].maxrss - MB[0].maxrss, MB[1].hwm - MB[0].hwm,
               MB[1].rss_end - MB[0].rss_end);
    mem_row("exec'd child (this binary), bare", &MB[2]);
    mem_row("exec'd child: coin, connect, 10,000 events", &MB[3]);
    if (MB[2].ok && MB[3].ok)
        printf("  %-46s %12ld %10ld %10ld\n", "  difference", MB[3].maxrss - MB[2].maxrss, MB[3].hwm - MB[2].hwm,
               MB[3].rss_end - MB[2].rss_end);
    for (i = 1; i < 4; i += 2)
        if (MB[i].ok)
            printf("  %s client: library heap %lld B in %lld blocks after connecting, %lld B at the end, peak %lld B;\n"
                   "    %lld allocator calls; %lld of 10000 events; run ended with %s\n",
                   i == 1 ? "forked" : "exec'd", MB[i].heap_connect, MB[i].blocks_connect, MB[i].heap_end,
                   MB[i].heap_peak, MB[i].calls, MB[i].events, bce_result_str(MB[i].result));
    printf("  reference: Python SDK 35.8 MiB; goal < 1 MiB (1024 KiB) above a bare libc program\n");
    if (MB[2].ok && MB[3].ok) {
        char m[120];
        snprintf(m, sizeof m, "plain: +%ld KiB VmHWM over a bare exec'd program, library heap peak %lld B; TLS: see tls rows",
                 MB[3].hwm - MB[2].hwm, MB[3].heap_peak);
        summary_row("peak RSS of a listening coin", "Python SDK 35.8 MiB", "< 1 MiB above bare libc; TLS documented", m,
                    MB[3].hwm - MB[2].hwm < 1024);
    } else {
        summary_row("peak RSS of a listening coin", "Python SDK 35.8 MiB", "< 1 MiB above bare libc", "no result", 0);
    }
}

static void section_slow(void) {
    blaster_t b;
    bres_t res;
    bcfg_t cfg;
    counter_t ctr;
    bce_ws_opts_t o;
    int r, i;
    memset(&cfg, 0, sizeof cfg);
    memset(&ctr, 0, sizeof ctr);
    memset(&H, 0, sizeof H);
    cfg.mode = B_FLOOD;
    cfg.per_msg = 1;
    cfg.seconds = 5.0;
    watchdog("4b. slow handler", 60);
    if (blaster_spawn(&b, &cfg) != 0) exit(1);
    H.ctr = &ctr;
    H.coin = make_coin(b.port, &ctr);
    bce_on(H.coin, "new_transaction", on_slow, NULL);
    plain_opts(&o);
    r = bce_start_websocket(H.coin, &o);
    H.heap_after = ctr.in_use;      /* after bce_stop ended the run */
    H.rss_after = statm_rss_kib();
    bce_coin_destroy(H.coin);
    blaster_finish(&b, &res);
    alarm(0);
    printf("\n4b. slow handler: 200 us sleep per event while the blaster floods for %.0f s; this process's RSS (statm)\n",
           cfg.seconds);
    printf("  %-6s %10s %12s %9s\n", "t s", "RSS KiB", "lib heap B", "events");
    for (i = 0; i < H.nsamples; i++)
        printf("  %-6.1f %10ld %12lld %9lld\n", H.at_s[i], H.rss[i], H.heap[i], H.at_events[i]);
    printf("  blaster wrote %.2f MB in %.1f s (blocked by TCP); the client handled %lld events = %.2f MB of frames\n",
           res.bytes / 1e6, res.seconds, H.events, (double)H.events * (double)res.frame_bytes / 1e6);
    printf("  after bce_stop in the handler at 5.0 s, once the run ended: RSS %lld KiB, library heap %lld B\n"
           "  (library heap peak %lld B); the client's close code: %d (1000 expected after bce_stop)\n",
           H.rss_after, H.heap_after, ctr.peak, res.close_code);
    if (r != BCE_OK) printf("  !! run ended with %s (expected BCE_OK after bce_stop)\n", bce_result_str(r));
    if (H.missing) printf("  !! %lld events without \"tx\"\n", H.missing);
    printf("  reference: the Python SDK grew to 378 MiB; expected: flat (back-pressure through TCP)\n");
    if (H.nsamples > 1) {
        char m[120];
        long grow = H.rss[H.nsamples - 1] - H.rss[0];
        snprintf(m, sizeof m, "RSS %ld -> %ld KiB over %.1f s, library heap peak %lld B", H.rss[0],
                 H.rss[H.nsamples - 1], H.at_s[H.nsamples - 1], ctr.peak);
        summary_row("memory with a handler slower than the stream", "Python SDK grew to 378 MiB",
                    "flat (back-pressure through TCP)", m, grow < 256 && r == BCE_OK);
    }
}

int main(int argc, char **argv) {
    double scale = argc > 1 ? atof(argv[1]) : 1.0, t0 = now_s();
    const char *which = argc > 2 ? argv[2] : "1234";
    struct sigaction sa;
    if (scale <= 0) scale = 1.0;
    setvbuf(stdout, NULL, _IOLBF, 0);   /* keep the library's stderr lines in place */
    if (argc == 4 && strcmp(argv[1], "--mem-child") == 0) {
        mem_child_body(atoi(argv[2]), atoi(argv[3]));
        return 0;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (strchr(which, '4')) memory_measure();
    printf("bench_ws: websocket client end to end on 127.0.0.1; server = C blaster in a forked process\n");
    printf("machine: %ld CPUs online, shared and noisy; client and blaster compete for them; numbers, not pass/fail\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    if (strchr(which, '1')) section_throughput(scale);
    if (strchr(which, '2')) section_latency();
    if (strchr(which, '3')) section_reconnect();
    if (strchr(which, '4')) {
        section_memory_print();
        section_slow();
    }
    printf("\ntotal %.1f s\n", now_s() - t0);
    return 0;
}
