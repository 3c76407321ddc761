/* tests/test_portable.c: the network paths on every platform `make portability` builds for
   (glibc, static musl, tcc, 32-bit, big-endian under qemu-user, Windows under wine): JSON-RPC,
   polling, the websocket with a reconnect, the caller's own poll loop, the manager, bce_stop
   from another thread and a refused connection, against the C fake daemon with every update
   counted.
   The daemon: BCE_TEST_DAEMON_PORT names one already listening on 127.0.0.1 (a Windows build
   cannot fork the native daemon, so tests/portability.sh starts it); otherwise this program
   starts $BCE_FAKE_DAEMON (default $BUILD_DIR/fake_daemon, BUILD_DIR defaulting to build) itself through tests/daemon.h. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
typedef SOCKET sock_t;
typedef int iolen_t;
#define sock_close closesocket
#else
#include "daemon.h"
#include <pthread.h>
#include <time.h>
typedef int sock_t;
typedef size_t iolen_t;
#define sock_close close
#endif

static int port;
static int refused_port;

/* ---- a plain HTTP/1.1 request for the daemon's /_test routes, on both socket APIs ---- */

static sock_t connect_loopback(int p) {
    struct sockaddr_in a;
    sock_t s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, (int)sizeof a) != 0) {
        sock_close(s);
        return (sock_t)-1;
    }
    return s;
}

static int request(const char *method, const char *path, const char *body, char *out, size_t cap) {
    static char buf[65536];
    size_t got = 0;
    int n, r;
    const char *b;
    sock_t s = connect_loopback(port);
    if (s == (sock_t)-1) return -1;
    n = snprintf(buf, sizeof buf, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Type: application/json\r\nContent-Length: %u\r\n\r\n%s",
                 method, path, (unsigned)(body ? strlen(body) : 0), body ? body : "");
    if (n < 0 || (size_t)n >= sizeof buf || send(s, buf, (iolen_t)n, 0) != n) { sock_close(s); return -1; }
    while (got < sizeof buf - 1 && (r = (int)recv(s, buf + got, (iolen_t)(sizeof buf - 1 - got), 0)) > 0) got += (size_t)r;
    sock_close(s);
    buf[got] = 0;
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !(b = strstr(buf, "\r\n\r\n"))) return -1;
    if (out && cap) snprintf(out, cap, "%s", b + 4);
    return 0;
}

/* Updates seq from..from+count-1 into the wallet's queue and its websocket. */
static int inject_seq(const char *wallet, int from, int count) {
    static char body[40000];
    size_t o = 0;
    int i;
    o += (size_t)snprintf(body, sizeof body, "{\"wallet\":\"%s\",\"updates\":[", wallet);
    for (i = from; i < from + count && o < sizeof body - 100; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}",
                              i == from ? "" : ",", i, i);
    snprintf(body + o, sizeof body - o, "]}");
    return request("POST", "/_test/inject", body, NULL, 0);
}

static int loaded(const char *wallet) {
    char buf[8192], key[128];
    if (request("GET", "/_test/stats", NULL, buf, sizeof buf) < 0) return 0;
    snprintf(key, sizeof key, "\"%s\"", wallet);
    return strstr(buf, key) != NULL;
}

/* A loopback port nothing listens on. */
static int unused_port(void) {
    struct sockaddr_in a;
#ifdef _WIN32
    int al = (int)sizeof a;
#else
    socklen_t al = sizeof a;
#endif
    sock_t s = socket(AF_INET, SOCK_STREAM, 0);
    int p;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, (int)sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    p = ntohs(a.sin_port);
    sock_close(s);
    return p;
}

/* ---- counting what arrives ---- */

#define TALLY_MAX 1000
#include "tally.h"

static bce_coin_t *coin_for(const char *wallet, int p) {
    bce_coin_desc_t d;
    char url[64];
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", p);
    d.url = url;
    d.xpub = wallet;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    return bce_coin_create(&d);
}

/* ---- the tests ---- */

/* A thread that calls bce_stop: once the coin connected (wait_connect) and after_ms more, or
   never when `done` is set first (a watchdog, so that a broken build cannot hang a test). */
typedef struct stopper_t {
    bce_coin_t *coin;
    int wait_connect, after_ms;
    volatile int connected, done;
    long long stopped_at;
} stopper_t;

static void on_conn_flag(bce_coin_t *c, const char *cur, void *ud) { (void)c; (void)cur; ((stopper_t *)ud)->connected = 1; }

static void nap_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = ms * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

static void stopper_body(stopper_t *s) {
    long long t0 = _bce_now_ms();
    while (s->wait_connect && !s->connected && !s->done && _bce_now_ms() - t0 < 10000) nap_ms(5);
    t0 = _bce_now_ms();
    while (!s->done && _bce_now_ms() - t0 < s->after_ms) nap_ms(5);
    if (s->done) return;
    s->stopped_at = _bce_now_ms();
    bce_stop(s->coin);
}

#ifdef _WIN32
static DWORD WINAPI stopper_thread(LPVOID p) { stopper_body((stopper_t *)p); return 0; }
typedef HANDLE thread_t;
static int thread_start(thread_t *t, stopper_t *s) { *t = CreateThread(NULL, 0, stopper_thread, s, 0, NULL); return *t ? 0 : -1; }
static void thread_join(thread_t t) { WaitForSingleObject(t, INFINITE); CloseHandle(t); }
#else
static void *stopper_thread(void *p) { stopper_body((stopper_t *)p); return NULL; }
typedef pthread_t thread_t;
static int thread_start(thread_t *t, stopper_t *s) { return pthread_create(t, NULL, stopper_thread, s); }
static void thread_join(thread_t t) { pthread_join(t, NULL); }
#endif



/* One JSON-RPC call, polling until 100 updates arrived, then a blocking bce_poll_updates
   that a handler ends with bce_stop. */
static void test_rpc_and_polling(void) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = coin_for("port-poll", port);
    char out[4096];
    size_t len = 0;
    CHECK(c != NULL);
    if (!c) { free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &len), BCE_OK);
    CHECK_STR(out, "[]");
    CHECK_INT(inject_seq("port-poll", 0, 100), 0);
    CHECK_INT(bce_coin_start_polling(c, 30), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->total >= 100, 10000);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    CHECK_INT(t->total, 100);
    CHECK_INT(gaps(t, 100), 0);
    CHECK_INT(inject_seq("port-poll", 100, 10), 0);
    t->stop_at = 110;
    {
        stopper_t w;
        thread_t th;
        memset(&w, 0, sizeof w);
        w.coin = c;
        w.after_ms = 10000;         /* only if the handler never stops it */
        CHECK_INT(thread_start(&th, &w), 0);
        CHECK_INT(bce_poll_updates(c, 30), BCE_OK);
        w.done = 1;
        thread_join(th);
        CHECK(w.stopped_at == 0);
    }
    CHECK_INT(t->total, 110);
    CHECK_INT(t->dups, 0);
    CHECK_INT(t->bad, 0);
    CHECK_INT(gaps(t, 110), 0);
    CHECK_STR(t->wallet, "port-poll");
    bce_coin_destroy(c);
    free(t);
}

/* Streaming over the websocket; the daemon resets the socket once, the updates sent while it
   is down come back through catch-up: each delivered exactly once. */
static void test_websocket(void) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = coin_for("port-ws", port);
    bce_ws_opts_t o;
    int seq = 0, k;
    CHECK(c != NULL);
    if (!c) { free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = t;
    o.reconnect_min_ms = 50;
    o.reconnect_max_ms = 200;
    o.drain_interval_ms = 300;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && loaded("port-ws"), 5000);
    CHECK_INT(t->connects, 1);
    for (k = 0; k < 10; k++) {
        CHECK_INT(inject_seq("port-ws", seq, 20), 0);
        seq += 20;
        bce_coin_step(c, 5);
    }
    STEP_UNTIL(bce_coin_step, c, t->total >= seq, 5000);
    CHECK_INT(t->total, seq);
    CHECK_INT(request("POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0), 0);
    CHECK_INT(inject_seq("port-ws", seq, 40), 0);
    seq += 40;
    STEP_UNTIL(bce_coin_step, c, t->connects >= 2 && t->total >= seq, 8000);
    CHECK_INT(t->connects, 2);
    CHECK_INT(t->total, seq);
    CHECK_INT(t->dups, 0);
    CHECK_INT(t->bad, 0);
    CHECK_INT(gaps(t, seq), 0);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    free(t);
}

/* The caller's own loop (the manual's example): the library's descriptors waited on with
   poll(2), or WSAPoll on Windows with the SOCKET the int carries. */
static void test_own_loop(void) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = coin_for("port-loop", port);
    bce_ws_opts_t o;
    long long t0;
    int r = 1, maxfds = 0, injected = 0;
    CHECK(c != NULL);
    if (!c) { free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = t;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (r > 0 && t->total < 60 && _bce_now_ms() - t0 < 8000) {
        bce_fd_t fds[8];
        struct pollfd pfd[8];
        int i, n = bce_coin_fds(c, fds, 8), wait = bce_coin_timeout_ms(c);
        CHECK(n >= 1 && n <= 8);
        if (n < 1 || n > 8) break;
        if (n > maxfds) maxfds = n;
        for (i = 0; i < n; i++) {
#ifdef _WIN32
            pfd[i].fd = (SOCKET)(intptr_t)fds[i].fd;
#else
            pfd[i].fd = fds[i].fd;
#endif
            pfd[i].events = (short)((fds[i].events & BCE_WANT_READ ? POLLIN : 0) | (fds[i].events & BCE_WANT_WRITE ? POLLOUT : 0));
            pfd[i].revents = 0;
        }
        if (wait < 0 || wait > 100) wait = 100;
#ifdef _WIN32
        WSAPoll(pfd, (ULONG)n, wait);
#else
        poll(pfd, (nfds_t)n, wait);
#endif
        r = bce_coin_step(c, 0);
        if (t->connects == 1 && !injected && loaded("port-loop")) {
            CHECK_INT(inject_seq("port-loop", 0, 60), 0);
            injected = 1;
        }
    }
    CHECK_INT(r, 1);
    CHECK_INT(t->total, 60);
    CHECK_INT(t->dups, 0);
    CHECK_INT(gaps(t, 60), 0);
    CHECK(maxfds >= 2);             /* the websocket and the wake descriptor at least */
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    free(t);
}

/* Two wallets on one manager websocket: routed to the right wallet, exactly once. */
static void test_manager_websocket(void) {
    tally_t *t = (tally_t *)calloc(2, sizeof *t);
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    char url[64];
    int i;
    CHECK(m != NULL);
    if (!m) { free(t); return; }
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    d.url = url;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK(bce_on(bce_manager_add_wallet(m, "BTC", "port-m0"), "new_transaction", on_seq, &t[0]) == BCE_OK);
    CHECK(bce_on(bce_manager_add_wallet(m, "BTC", "port-m1"), "new_transaction", on_seq, &t[1]) == BCE_OK);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = &t[0];
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    STEP_UNTIL(bce_manager_step, m, t[0].connects == 1 && loaded("port-m0") && loaded("port-m1"), 5000);
    CHECK_INT(t[0].connects, 1);
    CHECK_INT(inject_seq("port-m0", 0, 30), 0);
    CHECK_INT(inject_seq("port-m1", 0, 50), 0);
    STEP_UNTIL(bce_manager_step, m, t[0].total >= 30 && t[1].total >= 50, 5000);
    for (i = 0; i < 2; i++) {
        CHECK_INT(t[i].total, i ? 50 : 30);
        CHECK_INT(t[i].dups, 0);
        CHECK_INT(gaps(&t[i], i ? 50 : 30), 0);
        CHECK_STR(t[i].wallet, i ? "port-m1" : "port-m0");
        CHECK_STR(t[i].currency, "BTC");
    }
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    free(t);
}

/* bce_stop from another thread wakes a blocking websocket run that has no timer at all. */
static void test_stop_from_thread(void) {
    stopper_t s;
    bce_ws_opts_t o;
    thread_t th;
    long long late;
    int r;
    memset(&s, 0, sizeof s);
    s.wait_connect = 1;
    /* 200 ms after on_connect, for the run to reach its untimed wait (no condition shows
       that it has). A stop that came sooner would end the run at its stop check, so the
       test would pass without exercising the wake; it cannot fail because of that. */
    s.after_ms = 200;
    s.coin = coin_for("port-stop", port);
    CHECK(s.coin != NULL);
    if (!s.coin) return;
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn_flag;
    o.user_data = &s;
    o.ping_interval_ms = -1;        /* no timers: only the wake can end the wait */
    o.drain_interval_ms = -1;
    o.disable_catch_up = 1;
    CHECK_INT(thread_start(&th, &s), 0);
    r = bce_start_websocket(s.coin, &o);
    s.done = 1;
    thread_join(th);
    late = _bce_now_ms() - s.stopped_at;
    CHECK_INT(r, BCE_OK);
    CHECK_INT(s.connected, 1);
    CHECK(s.stopped_at > 0 && late < 2000);
    bce_coin_destroy(s.coin);
}

/* Nothing listens: BCE_ERR_CONNECT at once (select() reports the failed connect), not a
   timeout. */
static void test_refused(void) {
    bce_coin_t *c = coin_for("port-none", refused_port);
    char out[64];
    size_t len = 0;
    long long t0 = _bce_now_ms();
    CHECK(c != NULL);
    if (!c) return;
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &len), BCE_ERR_CONNECT);
    CHECK(_bce_now_ms() - t0 < 4000);
    CHECK(strstr(bce_coin_last_error(c), "cannot connect to the daemon") != NULL);
    bce_coin_destroy(c);
}

int main(void) {
    const char *env = getenv("BCE_TEST_DAEMON_PORT");
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) { printf("test_portable: 0 passed, 1 failed\n"); return 1; }
#else
    daemon_t d;
    const char *bin = getenv("BCE_FAKE_DAEMON");
    const char *argv[] = {bin ? bin : FAKE_DAEMON, "--port", "0", NULL};
    d.pid = 0;
#endif
    setvbuf(stdout, NULL, _IONBF, 0);
    if (env) port = atoi(env);
#ifndef _WIN32
    else if (daemon_start(&d, argv) == 0) port = d.port;
#endif
    if (port <= 0) {
        fprintf(stderr, "no fake daemon: set BCE_TEST_DAEMON_PORT%s\n",
#ifdef _WIN32
                ""
#else
                " or build $BUILD_DIR/fake_daemon"
#endif
        );
        printf("test_portable: 0 passed, 1 failed\n");
        return 1;
    }
    refused_port = unused_port();
    RUN(test_rpc_and_polling);
    RUN(test_websocket);
    RUN(test_own_loop);
    RUN(test_manager_websocket);
    RUN(test_stop_from_thread);
    RUN(test_refused);
#ifndef _WIN32
    if (!env) daemon_stop(&d);
#else
    WSACleanup();
#endif
    TEST_MAIN_END("test_portable");
}
