/* tests/test_hostile.c: time is a limit like any other (issue 13). The client against
   tests/http_peer.py, a hostile HTTP daemon: 1xx floods with and without a real answer, an
   answer trickled one byte every 50 ms, endless headers, chunk extensions and trailers, huge
   and overflowing chunk sizes, 4 MiB of 1-byte chunks, a flooded and a slowloris websocket
   upgrade. Each is aimed at bce_rpc, at polling, at the catch-up get_updates of a live
   websocket, and at one currency of a manager while another currency (the C fake daemon)
   delivers. Each case asserts the deadline (bce_rpc within rpc_timeout_ms + 100 ms, the
   websocket handshake within connect_timeout_ms + 100 ms, bce_stop from another thread within
   100 ms, one step(..., 0) within a few ms), the error text, that the next call works and
   that the other stream kept flowing.

   Run from the repository root (it starts /usr/bin/python3 tests/http_peer.py and
   the C fake daemon, $BUILD_DIR/fake_daemon, itself). HOSTILE_ONLY=<part of a test's name> runs only those tests;
   HOSTILE_VERBOSE=1 prints the library's log lines. Under valgrind (detected through LD_PRELOAD) the margins are
   wider and the big body smaller: valgrind runs the client some 20-50 times slower. */
#ifndef TEST_NO_TLS
#define BCE_USE_MBEDTLS                     /* the TLS cases (not in the -m32 build: no mbedTLS) */
#endif
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include "test.h"
#include "daemon.h"
#include <pthread.h>
#include <time.h>

static const char *const peer_argv[] = {"/usr/bin/python3", "tests/http_peer.py", "--port", "0", NULL};
static const char *const ltc_argv[] = {FAKE_DAEMON, "--port", "0", "--currency", "LTC", NULL};
#ifdef BCE_USE_MBEDTLS
static const char *const tls_flood_argv[] = {"/usr/bin/python3", "tests/tls_flood.py", "--port", "0", NULL};
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(UNDER_ASAN)
#define UNDER_ASAN 1
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static int g_port, g_tls_port, g_tls_post_port, g_valgrind, g_uniq;
static char g_ca[512];              /* tests/make_certs.sh's CA, for "tls_post" */
static long long g_margin;          /* what a deadline may be overrun by: 100 ms plainly */
static long long g_step_max;        /* the longest one step(..., 0) may take */
static long long g_gap_max;         /* the longest wait of the other stream's events */
static size_t g_big;                /* bytes of 1-byte chunks */
static long long g_worst_step, g_worst_gap, g_worst_late;

static long long now_ms(void) { return _bce_now_ms(); }

/* ---- the log: the last warning, and the catch-up's failure ---- */

typedef struct log_t {
    char last[512], catchup[512];
    int catchup_failures;
} log_t;

static void log_fn(int level, const char *msg, void *ud) {
    log_t *l = (log_t *)ud;
    (void)level;
    snprintf(l->last, sizeof l->last, "%s", msg);
    if (strstr(msg, "get_updates")) {       /* a failed call, catch-up or polling */
        snprintf(l->catchup, sizeof l->catchup, "%s", msg);
        l->catchup_failures++;
    }
    if (getenv("HOSTILE_VERBOSE")) fprintf(stderr, "  log: %s\n", msg);
}

/* kind "tls_alerts": tests/tls_flood.py, which answers the ClientHello with endless warning
   alerts (the certificate is never reached: skip_verify). "tls_post": tests/tls_alert_server.c,
   a verified handshake (the test CA), then endless encrypted warning alerts. */
static int is_tls(const char *kind) { return strncmp(kind, "tls_", 4) == 0; }

static void set_tls(bce_coin_desc_t *d, const char *kind) {
    d->tls.skip_verify = strcmp(kind, "tls_alerts") == 0;
    if (strcmp(kind, "tls_post") == 0) d->tls.ca_file = g_ca;
}

static void case_url(char *out, size_t cap, const char *kind) {
    if (is_tls(kind))
        snprintf(out, cap, "https://127.0.0.1:%d/case/%d", strcmp(kind, "tls_post") == 0 ? g_tls_post_port : g_tls_port, ++g_uniq);
    else snprintf(out, cap, "http://127.0.0.1:%d/case/%s.%d", g_port, kind, ++g_uniq);
}

static bce_coin_t *coin_for(const char *kind, int rpc_ms, int connect_ms, log_t *log) {
    bce_coin_desc_t d;
    char url[128];
    memset(&d, 0, sizeof d);
    memset(log, 0, sizeof *log);
    case_url(url, sizeof url, kind);
    d.url = url;
    d.xpub = "w";
    d.rpc_timeout_ms = rpc_ms;
    d.connect_timeout_ms = connect_ms;
    set_tls(&d, kind);
    d.logger.fn = log_fn;
    d.logger.user_data = log;
    d.logger.level = BCE_LOG_WARN;
    return bce_coin_create(&d);
}

/* The next call on the same coin gets the peer's correct answer. */
static void check_next_call(bce_coin_t *c) {
    char out[64];
    size_t n = 0;
    int r = bce_rpc(c, "get_updates", NULL, out, sizeof out, &n);
    CHECK_INT(r, BCE_OK);
    if (r == BCE_OK) CHECK_STR(out, "[]");
    else fprintf(stderr, "  next call: %s\n", bce_coin_last_error(c));
}

/* ---- bce_rpc against each hostile answer ---- */

typedef struct rpc_case_t {
    const char *kind;
    int want;
    const char *text;       /* in bce_coin_last_error */
} rpc_case_t;

static const rpc_case_t rpc_cases[] = {
    {"interim_flood", BCE_ERR_LIMIT, "interim 1xx"},
    {"interim_few", BCE_OK, NULL},
    {"interim_many.32", BCE_OK, NULL},                  /* BCE_HTTP_INTERIM_MAX of them */
    {"interim_many.33", BCE_ERR_LIMIT, "interim 1xx"},
    {"interim_many.2000", BCE_ERR_LIMIT, "interim 1xx"},
    {"trickle", BCE_ERR_TIMEOUT, "rpc_timeout_ms"},
    {"headers_flood", BCE_ERR_LIMIT, "max_header_bytes"},
    {"ext_flood", BCE_ERR_LIMIT, "chunk extensions and trailers"},
    {"ext_line", BCE_ERR_HTTP, "chunk header line too long"},
    {"trailer_flood", BCE_ERR_LIMIT, "chunk extensions and trailers"},
    {"huge_chunk", BCE_ERR_LIMIT, "max_response_bytes"},
    {"overflow_chunk", BCE_ERR_LIMIT, "chunk size too large"},
};
#define NRPC (sizeof rpc_cases / sizeof rpc_cases[0])

static void test_rpc_deadlines(void) {
    size_t i;
    for (i = 0; i < NRPC; i++) {
        const rpc_case_t *k = &rpc_cases[i];
        log_t log;
        bce_coin_t *c = coin_for(k->kind, 500, 500, &log);
        char out[64];
        size_t n = 0;
        long long t0 = now_ms(), dt;
        int r = bce_rpc(c, "get_updates", NULL, out, sizeof out, &n);
        int before = test_failures_now;
        dt = now_ms() - t0;
        CHECK_INT(r, k->want);
        CHECK(dt <= 500 + g_margin);
        if (k->text) CHECK(strstr(bce_coin_last_error(c), k->text) != NULL);
        check_next_call(c);
        if (test_failures_now != before)
            fprintf(stderr, "  rpc case %s: result %d after %lld ms: %s\n", k->kind, r, dt, bce_coin_last_error(c));
        bce_coin_destroy(c);
    }
}

/* A body of 1-byte chunks decodes in linear time: 4 MiB (each byte in a 6-byte chunk) well
   within a 2 s rpc_timeout_ms (quadratic decoding took 29.6 s). */
static void test_one_byte_chunks(void) {
    log_t log;
    char kind[64];
    bce_coin_t *c;
    char *out = (char *)malloc(g_big + 16);
    size_t n = 0;
    long long t0, dt;
    int r;
    snprintf(kind, sizeof kind, "chunks1.%lu", (unsigned long)g_big);
    c = coin_for(kind, 2000, 1000, &log);
    t0 = now_ms();
    r = bce_rpc(c, "get_updates", NULL, out, g_big + 16, &n);
    dt = now_ms() - t0;
    CHECK_INT(r, BCE_OK);
    CHECK_INT(n, g_big + 2);
    CHECK(dt < 2000);
    printf("  %lu bytes of 1-byte chunks: %lld ms\n", (unsigned long)g_big, dt);
    if (r != BCE_OK) fprintf(stderr, "  1-byte chunks: %d after %lld ms: %s\n", r, dt, bce_coin_last_error(c));
    check_next_call(c);
    bce_coin_destroy(c);
    free(out);
}

/* ---- one step(..., 0) is short whatever the peer sends ---- */

static long long timed_coin_step(bce_coin_t *c, int *rc) {
    long long t0 = now_ms(), dt;
    *rc = bce_coin_step(c, 0);
    dt = now_ms() - t0;
    if (dt > g_worst_step) g_worst_step = dt;
    return dt;
}

static void wait_coin(bce_coin_t *c, int cap_ms) {
    bce_fd_t fds[4];
    struct pollfd pf[4];
    int k, n = bce_coin_fds(c, fds, 4), t = bce_coin_timeout_ms(c);
    if (n > 4) n = 4;
    for (k = 0; k < n; k++) {
        pf[k].fd = fds[k].fd;
        pf[k].events = (short)(((fds[k].events & BCE_WANT_READ) ? POLLIN : 0) | ((fds[k].events & BCE_WANT_WRITE) ? POLLOUT : 0));
        pf[k].revents = 0;
    }
    poll(pf, (nfds_t)n, t < 0 || t > cap_ms ? cap_ms : t);
}

/* Polling through the caller's own loop: the big chunked answer is read in slices, every
   step(..., 0) short, and the answer still arrives whole. */
static void test_polling_steps(void) {
    log_t log;
    char kind[64];
    bce_coin_t *c;
    long long t0, worst = 0;
    int busy_seen = 0, done = 0, rc = 1, steps = 0;
    snprintf(kind, sizeof kind, "chunks1.%lu", (unsigned long)g_big);
    c = coin_for(kind, 2000, 1000, &log);
    CHECK_INT(bce_coin_start_polling(c, 60000), BCE_OK);
    t0 = now_ms();
    while (!done && rc == 1 && now_ms() - t0 < 5000) {
        long long dt;
        wait_coin(c, 50);
        dt = timed_coin_step(c, &rc);
        steps++;
        if (dt > worst) worst = dt;
        if (_bce_rpc_busy(&c->solo->link.rpc)) busy_seen = 1;
        else if (busy_seen) done = 1;
    }
    CHECK_INT(rc, 1);
    CHECK(done);
    CHECK(worst <= g_step_max);
    CHECK_STR(bce_coin_last_error(c), "");
    printf("  polling %lu bytes of 1-byte chunks: %d steps, the longest %lld ms\n", (unsigned long)g_big, steps, worst);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
}

/* ---- bce_stop from another thread ends every blocking call within 100 ms ---- */

typedef struct stopper_t {
    bce_coin_t *coin;
    bce_manager_t *m;
    int after_ms;
    long long stopped_at;
} stopper_t;

/* The sleep only picks a moment inside the hostile answer (which lasts seconds unless the
   client ends it); what is measured is the time from bce_stop to the return. */
static void *stopper(void *arg) {
    stopper_t *s = (stopper_t *)arg;
    struct timespec ts;
    ts.tv_sec = s->after_ms / 1000;
    ts.tv_nsec = (long)(s->after_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    s->stopped_at = now_ms();
    if (s->coin) bce_stop(s->coin);
    else bce_manager_stop(s->m);
    return NULL;
}

static long long stop_latency(stopper_t *s, long long returned_at) {
    long long d = returned_at - s->stopped_at;
    if (d > g_worst_late) g_worst_late = d;
    return d;
}

enum { RUN_RPC, RUN_POLL, RUN_WS, RUN_MGR_POLL, RUN_MGR_WS };

static void check_stop(int what, const char *kind) {
    log_t log;
    bce_coin_t *c = NULL;
    bce_manager_t *m = NULL;
    stopper_t s;
    pthread_t th;
    bce_ws_opts_t o;
    char out[64];
    size_t n;
    int r;
    long long late;
    memset(&s, 0, sizeof s);
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = -1;
    o.drain_interval_ms = 100;              /* a fresh hostile catch-up again and again */
    if (what == RUN_MGR_POLL || what == RUN_MGR_WS) {
        bce_coin_desc_t p;
        char url[128];
        memset(&p, 0, sizeof p);
        memset(&log, 0, sizeof log);
        case_url(url, sizeof url, kind);
        p.url = url;
        p.rpc_timeout_ms = 5000;
        p.connect_timeout_ms = 1000;
        set_tls(&p, kind);
        p.logger.fn = log_fn;
        p.logger.user_data = &log;
        {
            bce_manager_desc_t md;
            memset(&md, 0, sizeof md);
            md.logger = p.logger;
            m = bce_manager_create(&md);
        }
        CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
        CHECK(bce_manager_add_wallet(m, "BTC", "w") != NULL);
        s.m = m;
    } else {
        c = coin_for(kind, 5000, 1000, &log);
        s.coin = c;
    }
    s.after_ms = 300;
    pthread_create(&th, NULL, stopper, &s);
    switch (what) {
    case RUN_RPC: r = bce_rpc(c, "get_updates", NULL, out, sizeof out, &n); break;
    case RUN_POLL: r = bce_poll_updates(c, 100); break;
    case RUN_WS: r = bce_start_websocket(c, &o); break;
    case RUN_MGR_POLL: r = bce_manager_poll_updates(m, 100); break;
    default: r = bce_manager_start_websocket(m, &o); break;
    }
    late = stop_latency(&s, now_ms());
    pthread_join(th, NULL);
    CHECK_INT(r, what == RUN_RPC ? BCE_ERR_CLOSED : BCE_OK);
    CHECK(s.stopped_at > 0 && late <= 100 + g_margin);
    if (what == RUN_RPC) CHECK(strstr(bce_coin_last_error(c), "stopped") != NULL);
    if (test_failures_now) fprintf(stderr, "  stop case %d/%s: result %d, %lld ms after bce_stop\n", what, kind, r, late);
    if (c) {
        if (!is_tls(kind)) check_next_call(c);      /* the TLS flooder never answers */
        bce_coin_destroy(c);
    }
    if (m) {
        if (!is_tls(kind))
            CHECK_INT(bce_rpc(bce_manager_wallet(m, "BTC", "w"), "get_updates", NULL, out, sizeof out, &n), BCE_OK);
        bce_manager_destroy(m);
    }
}

static void test_stop(void) {
    check_stop(RUN_RPC, "trickle");
    check_stop(RUN_POLL, "interim_flood");
    check_stop(RUN_POLL, "trickle");
    check_stop(RUN_WS, "interim_flood");
    check_stop(RUN_WS, "ext_flood");
    check_stop(RUN_WS, "ws_flood");
    check_stop(RUN_MGR_POLL, "interim_flood");
    check_stop(RUN_MGR_WS, "interim_flood");
#ifdef BCE_USE_MBEDTLS
    check_stop(RUN_RPC, "tls_alerts");
    check_stop(RUN_POLL, "tls_alerts");
    check_stop(RUN_WS, "tls_alerts");
    check_stop(RUN_MGR_POLL, "tls_alerts");
    check_stop(RUN_MGR_WS, "tls_alerts");
#endif
}

/* ---- the websocket: its upgrade answer, and its catch-up call ---- */

typedef struct flow_t {
    int events;
    long long last, gap;    /* the last event's time; the longest wait between two */
} flow_t;

static void on_flow(const bce_event_t *ev, void *ud) {
    flow_t *f = (flow_t *)ud;
    long long t = now_ms();
    (void)ev;
    if (f->events && t - f->last > f->gap) f->gap = t - f->last;
    f->last = t;
    f->events++;
}

/* A flooded or trickled upgrade answer ends the first connection within connect_timeout_ms. */
static void test_ws_handshake(void) {
    static const rpc_case_t hs[] = {
        {"ws_interim_flood", BCE_ERR_LIMIT, "interim 1xx"},
        {"ws_slowloris", BCE_ERR_TIMEOUT, "connect_timeout_ms"},
    };
    size_t i;
    for (i = 0; i < 2; i++) {
        log_t log;
        bce_coin_t *c = coin_for(hs[i].kind, 500, 500, &log);
        long long t0 = now_ms(), dt;
        int r = bce_start_websocket(c, NULL);
        dt = now_ms() - t0;
        CHECK_INT(r, hs[i].want);
        CHECK(dt <= 500 + g_margin);
        CHECK(strstr(bce_coin_last_error(c), hs[i].text) != NULL);
        if (test_failures_now) fprintf(stderr, "  handshake %s: %d after %lld ms: %s\n", hs[i].kind, r, dt, bce_coin_last_error(c));
        check_next_call(c);
        bce_coin_destroy(c);
    }
}

/* A websocket that floods messages as fast as they are read: every step(..., 0) stays short
   and the events arrive (what one step reads is BCE_IO_SLICE_BYTES at most). */
static void test_ws_flood(void) {
    log_t log;
    flow_t f;
    bce_coin_t *c = coin_for("ws_flood", 500, 1000, &log);
    bce_ws_opts_t o;
    long long t0, worst = 0;
    int rc = 1;
    memset(&f, 0, sizeof f);
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = -1;
    o.disable_catch_up = 1;
    bce_on(c, "new_transaction", on_flow, &f);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = now_ms();
    while (rc == 1 && now_ms() - t0 < 400) {
        long long dt;
        wait_coin(c, 20);
        dt = timed_coin_step(c, &rc);
        if (dt > worst) worst = dt;
    }
    CHECK_INT(rc, 1);
    CHECK(f.events > 1000);
    CHECK(worst <= g_step_max);
    printf("  websocket flood: %d events in 400 ms, the longest step %lld ms\n", f.events, worst);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
}

static const rpc_case_t catchup_cases[] = {
    {"interim_flood", BCE_ERR_LIMIT, "interim 1xx"},
    {"trickle", BCE_ERR_TIMEOUT, "rpc_timeout_ms"},
    {"headers_flood", BCE_ERR_LIMIT, "max_header_bytes"},
    {"ext_flood", BCE_ERR_LIMIT, "chunk extensions and trailers"},
    {"ext_line", BCE_ERR_HTTP, "chunk header line too long"},
    {"trailer_flood", BCE_ERR_LIMIT, "chunk extensions and trailers"},
    {"huge_chunk", BCE_ERR_LIMIT, "max_response_bytes"},
    {"overflow_chunk", BCE_ERR_LIMIT, "chunk size too large"},
    {"chunks1", BCE_OK, NULL},
};
#define NCATCHUP (sizeof catchup_cases / sizeof catchup_cases[0])

/* The catch-up get_updates of a live websocket meets the hostile answer: the websocket's
   events keep flowing meanwhile, every step(..., 0) stays short, the call ends within
   rpc_timeout_ms with its error logged, and the next call works. */
static void check_catchup(const rpc_case_t *k) {
    log_t log;
    flow_t f;
    bce_coin_t *c;
    bce_ws_opts_t o;
    char kind[64];
    long long t0, busy_at = -1, ended_at = -1, worst = 0;
    int rc = 1, rpc_ms = k->want == BCE_OK ? 2000 : 500;     /* the big answer takes its time */
    if (strcmp(k->kind, "chunks1") == 0) snprintf(kind, sizeof kind, "chunks1.%lu", (unsigned long)g_big);
    else snprintf(kind, sizeof kind, "%s", k->kind);
    c = coin_for(kind, rpc_ms, 1000, &log);
    memset(&f, 0, sizeof f);
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = -1;
    o.drain_interval_ms = -1;
    bce_on(c, "new_transaction", on_flow, &f);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = now_ms();
    /* until the catch-up has ended, and 150 ms more of events */
    while (rc == 1 && now_ms() - t0 < 3000 && (ended_at < 0 || now_ms() - ended_at < 150)) {
        long long dt;
        wait_coin(c, 20);
        dt = timed_coin_step(c, &rc);
        if (dt > worst) worst = dt;
        if (_bce_rpc_busy(&c->solo->link.rpc) && busy_at < 0) busy_at = now_ms();
        if (busy_at >= 0 && ended_at < 0 && c->solo->link.rpc.state == _BCE_RPC_IDLE) ended_at = now_ms();
    }
    CHECK_INT(rc, 1);
    CHECK(busy_at >= 0 && ended_at >= 0);
    CHECK(ended_at - busy_at <= rpc_ms + g_margin);
    CHECK(worst <= g_step_max);
    CHECK(f.events > 5);
    CHECK(f.gap <= g_gap_max);
    if (f.gap > g_worst_gap) g_worst_gap = f.gap;
    if (k->text) CHECK(log.catchup_failures == 1 && strstr(log.catchup, k->text) != NULL);
    else CHECK_INT(log.catchup_failures, 0);
    check_next_call(c);     /* between two steps of the running websocket */
    {
        int before = f.events;
        t0 = now_ms();
        while (f.events == before && now_ms() - t0 < 1000) { wait_coin(c, 20); CHECK_INT(bce_coin_step(c, 0), 1); }
        CHECK(f.events > before);
    }
    if (test_failures_now)
        fprintf(stderr, "  catch-up %s: call %lld ms, longest step %lld ms, %d events, longest gap %lld ms, log: %s\n",
                k->kind, ended_at - busy_at, worst, f.events, f.gap, log.catchup);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
}

static void test_catchup(void) {
    size_t i;
    for (i = 0; i < NCATCHUP; i++) {
        int before = test_failures_now;
        RUN_WITH(check_catchup, &catchup_cases[i]);
        if (test_failures_now != before) fprintf(stderr, "  (catch-up case %s)\n", catchup_cases[i].kind);
    }
}

/* ---- a manager: one currency's daemon is hostile, the other's events keep flowing ---- */

typedef struct ltc_t {
    long long sent_at[4000];
    int sent, got, late_count;
    long long worst;        /* the longest inject-to-handler time */
} ltc_t;

static void on_ltc(const bce_event_t *ev, void *ud) {
    ltc_t *l = (ltc_t *)ud;
    long long seq = -1, d;
    if (!bce_event_int(ev, "seq", &seq) || seq < 0 || seq >= l->sent) return;
    d = now_ms() - l->sent_at[seq];
    if (d > l->worst) l->worst = d;
    l->got++;
}

static long long timed_mgr_step(bce_manager_t *m, int *rc) {
    long long t0 = now_ms(), dt;
    *rc = bce_manager_step(m, 0);
    dt = now_ms() - t0;
    if (dt > g_worst_step) g_worst_step = dt;
    return dt;
}

static void wait_mgr(bce_manager_t *m, int cap_ms) {
    bce_fd_t fds[8];
    struct pollfd pf[8];
    int k, n = bce_manager_fds(m, fds, 8), t = bce_manager_timeout_ms(m);
    if (n > 8) n = 8;
    for (k = 0; k < n; k++) {
        pf[k].fd = fds[k].fd;
        pf[k].events = (short)(((fds[k].events & BCE_WANT_READ) ? POLLIN : 0) | ((fds[k].events & BCE_WANT_WRITE) ? POLLOUT : 0));
        pf[k].revents = 0;
    }
    poll(pf, (nfds_t)n, t < 0 || t > cap_ms ? cap_ms : t);
}

static void check_manager(const daemon_t *dl, const rpc_case_t *k) {
    bce_manager_t *m;
    bce_manager_desc_t md;
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    log_t log;
    flow_t btc;
    ltc_t *ltc = (ltc_t *)calloc(1, sizeof *ltc);
    char url[128], kind[64], lw[32];
    bce_coin_t *wb, *wl;
    long long t0, busy_at = -1, ended_at = -1, worst = 0, last_inject = 0;
    int rc = 1, rpc_ms = k->want == BCE_OK ? 2000 : 500;
    memset(&md, 0, sizeof md);
    memset(&log, 0, sizeof log);
    memset(&btc, 0, sizeof btc);
    md.logger.fn = log_fn;
    md.logger.user_data = &log;
    m = bce_manager_create(&md);
    if (strcmp(k->kind, "chunks1") == 0) snprintf(kind, sizeof kind, "chunks1.%lu", (unsigned long)g_big);
    else snprintf(kind, sizeof kind, "%s", k->kind);
    case_url(url, sizeof url, kind);
    memset(&p, 0, sizeof p);
    p.url = url;
    p.rpc_timeout_ms = rpc_ms;
    p.logger = md.logger;
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
    p.url = dl->url;
    CHECK_INT(bce_manager_configure(m, "LTC", &p), BCE_OK);
    wb = bce_manager_add_wallet(m, "BTC", "w");
    snprintf(lw, sizeof lw, "l%d", g_uniq);    /* a fresh wallet: no twins from an earlier case */
    wl = bce_manager_add_wallet(m, "LTC", lw);
    bce_on(wb, "new_transaction", on_flow, &btc);
    bce_on(wl, "new_transaction", on_ltc, ltc);
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = -1;
    o.drain_interval_ms = -1;
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    /* LTC's websocket and its first catch-up (which loads the wallet) first */
    t0 = now_ms();
    while (!daemon_loaded(dl->port, lw) && now_ms() - t0 < 3000) {
        wait_mgr(m, 20);
        timed_mgr_step(m, &rc);
        if (_bce_rpc_busy(&m->cur[0].rpc) && busy_at < 0) busy_at = now_ms();
        if (busy_at >= 0 && ended_at < 0 && m->cur[0].rpc.state == _BCE_RPC_IDLE) ended_at = now_ms();
    }
    t0 = now_ms();
    while (rc == 1 && now_ms() - t0 < 3000 && (ended_at < 0 || now_ms() - t0 < 150)) {
        long long dt;
        if (now_ms() - last_inject >= 20 && ltc->sent < 4000) {
            ltc->sent_at[ltc->sent] = now_ms();
            daemon_inject_seq(dl->port, lw, ltc->sent, 1);
            ltc->sent++;
            last_inject = now_ms();
        }
        wait_mgr(m, 10);
        dt = timed_mgr_step(m, &rc);
        if (dt > worst) worst = dt;
        if (_bce_rpc_busy(&m->cur[0].rpc) && busy_at < 0) busy_at = now_ms();
        if (busy_at >= 0 && ended_at < 0 && m->cur[0].rpc.state == _BCE_RPC_IDLE) ended_at = now_ms();
    }
    /* what was injected last arrives */
    t0 = now_ms();
    while (rc == 1 && ltc->got < ltc->sent && now_ms() - t0 < 1000) { wait_mgr(m, 10); timed_mgr_step(m, &rc); }
    CHECK_INT(rc, 1);
    CHECK(busy_at >= 0 && ended_at >= 0);
    CHECK(ended_at - busy_at <= rpc_ms + g_margin);
    CHECK(worst <= g_step_max);
    CHECK(ltc->sent >= 5);
    CHECK_INT(ltc->got, ltc->sent);
    CHECK(ltc->worst <= g_gap_max);
    CHECK(btc.events > 5 && btc.gap <= g_gap_max);
    if (ltc->worst > g_worst_gap) g_worst_gap = ltc->worst;
    if (k->text) CHECK(log.catchup_failures >= 1 && strstr(log.catchup, k->text) != NULL);
    else CHECK_INT(log.catchup_failures, 0);
    check_next_call(wb);
    if (test_failures_now)
        fprintf(stderr, "  manager %s: BTC call %lld ms, longest step %lld ms, LTC %d/%d events, slowest %lld ms, "
                "BTC %d events, gap %lld ms, log: %s\n", k->kind, ended_at - busy_at, worst, ltc->got, ltc->sent,
                ltc->worst, btc.events, btc.gap, log.catchup);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    free(ltc);
}

static void test_manager(void) {
    daemon_t dl;
    size_t i;
    if (daemon_start(&dl, ltc_argv) != 0) {
        CHECK(0 && "the C fake daemon did not start");
        return;
    }
    for (i = 0; i < NCATCHUP; i++) {
        int before = test_failures_now;
        check_manager(&dl, &catchup_cases[i]);
        if (test_failures_now != before) fprintf(stderr, "  (manager case %s)\n", catchup_cases[i].kind);
    }
    daemon_stop(&dl);
}

/* ---- a late step: the caller was away past rpc_timeout_ms ---- */

/* What arrived meanwhile is read, one slice at most, and the call then ends: a peer still
   sending (a trickle, a body larger than a slice) cannot hold a late step either. The sleep
   is the scenario (a caller busy elsewhere), not a synchronisation. */
static void test_late_step(void) {
    static const char *const kinds[] = {"trickle", "chunks1.4194304"};
    size_t i;
    for (i = 0; i < 2; i++) {
        log_t log;
        bce_coin_t *c = coin_for(kinds[i], 300, 1000, &log);
        struct timespec ts;
        long long t0 = now_ms(), dt;
        int rc = 1;
        CHECK_INT(bce_coin_start_polling(c, 60000), BCE_OK);
        while (c->solo->link.rpc.state != _BCE_RPC_RECEIVING && rc == 1 && now_ms() - t0 < 2000) {
            wait_coin(c, 20);
            timed_coin_step(c, &rc);
        }
        CHECK_INT(c->solo->link.rpc.state, _BCE_RPC_RECEIVING);
        ts.tv_sec = 0;
        ts.tv_nsec = 500 * 1000000L;            /* past the 300 ms deadline */
        nanosleep(&ts, NULL);
        dt = timed_coin_step(c, &rc);
        CHECK_INT(rc, 1);
        CHECK(dt <= g_step_max);
        CHECK(!_bce_rpc_busy(&c->solo->link.rpc));         /* the call ended in that one step */
        CHECK(strstr(log.catchup, "rpc_timeout_ms") != NULL);
        if (test_failures_now) fprintf(stderr, "  late step %s: %lld ms: %s\n", kinds[i], dt, log.catchup);
        bce_stop(c);
        CHECK_INT(bce_coin_step(c, 0), 0);
        bce_coin_destroy(c);
    }
}

/* ---- TLS: a peer that answers the ClientHello with endless warning alerts ---- */

#ifdef BCE_USE_MBEDTLS
/* Drives c through the caller's loop for ms: the longest step, how many steps, *rc as left. */
static long long drive_coin(bce_coin_t *c, int ms, int *steps, int *rc) {
    long long t0 = now_ms(), worst = 0, dt;
    while (*rc == 1 && now_ms() - t0 < ms) {
        wait_coin(c, 50);
        dt = timed_coin_step(c, rc);
        if (dt > worst) worst = dt;
        (*steps)++;
    }
    return worst;
}

/* mbedTLS skips each warning alert and reads the next record for as long as its input
   callback has bytes: the library's callback must stop at the step's budget, the deadline and
   the stop flag. bce_rpc ends at rpc_timeout_ms (shorter than connect_timeout_ms) or at
   connect_timeout_ms (the shorter), and polling steps stay short. */
static void test_tls_alerts(void) {
    static const int ms[2][2] = {{1000, 3000}, {3000, 500}};    /* rpc_timeout_ms, connect_timeout_ms */
    log_t log;
    bce_coin_t *c;
    long long t0, dt, worst = 0;
    int k, rc = 1, steps = 0;
    for (k = 0; k < 2; k++) {
        char out[64];
        size_t n = 0;
        int r, limit = ms[k][0] < ms[k][1] ? ms[k][0] : ms[k][1];
        c = coin_for("tls_alerts", ms[k][0], ms[k][1], &log);
        t0 = now_ms();
        r = bce_rpc(c, "get_updates", NULL, out, sizeof out, &n);
        dt = now_ms() - t0;
        CHECK_INT(r, BCE_ERR_TIMEOUT);
        CHECK(dt <= limit + g_margin);
        CHECK(strstr(bce_coin_last_error(c), k == 0 ? "rpc_timeout_ms" : "connect_timeout_ms") != NULL);
        printf("  bce_rpc against a TLS alert flood (rpc %d ms, connect %d ms): %lld ms, %s\n", ms[k][0], ms[k][1], dt,
               bce_coin_last_error(c));
        bce_coin_destroy(c);
    }
    c = coin_for("tls_alerts", 1000, 500, &log);
    CHECK_INT(bce_coin_start_polling(c, 100), BCE_OK);
    worst = drive_coin(c, 1200, &steps, &rc);
    CHECK_INT(rc, 1);
    CHECK(worst <= g_step_max);
    CHECK(strstr(log.last, "connect_timeout_ms") != NULL);
    printf("  polling against a TLS alert flood: %d steps, the longest %lld ms; log: %s\n", steps, worst, log.last);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
}

/* After a verified handshake, encrypted warning alerts in answer to the request: bce_rpc ends
   at rpc_timeout_ms, polling steps stay short, bce_stop ends bce_rpc and polling at once. */
static void test_tls_encrypted_alerts(void) {
    log_t log;
    bce_coin_t *c = coin_for("tls_post", 1000, 2000, &log);
    char out[64];
    size_t n = 0;
    long long t0 = now_ms(), dt, worst = 0;
    int r = bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), rc = 1, steps = 0;
    dt = now_ms() - t0;
    CHECK_INT(r, BCE_ERR_TIMEOUT);
    CHECK(dt <= 1000 + g_margin);
    CHECK(strstr(bce_coin_last_error(c), "rpc_timeout_ms") != NULL);
    printf("  bce_rpc against encrypted alerts after the handshake: %lld ms, %s\n", dt, bce_coin_last_error(c));
    bce_coin_destroy(c);
    c = coin_for("tls_post", 600, 2000, &log);
    CHECK_INT(bce_coin_start_polling(c, 100), BCE_OK);
    worst = drive_coin(c, 1000, &steps, &rc);
    CHECK_INT(rc, 1);
    CHECK(worst <= g_step_max);
    CHECK(strstr(log.last, "rpc_timeout_ms") != NULL);
    printf("  polling against encrypted alerts: %d steps, the longest %lld ms; log: %s\n", steps, worst, log.last);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    check_stop(RUN_RPC, "tls_post");
    check_stop(RUN_POLL, "tls_post");
}

/* A manager: BTC's daemon floods alerts at every TLS connect (websocket and catch-up), LTC's
   events (the C fake daemon) keep arriving in time and every step stays short. */
static void test_tls_manager(void) {
    daemon_t dl;
    bce_manager_t *m;
    bce_manager_desc_t md;
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    log_t log;
    ltc_t *ltc = (ltc_t *)calloc(1, sizeof *ltc);
    char url[128], lw[32];
    bce_coin_t *wl;
    long long t0, last_inject = 0, worst = 0;
    int rc = 1;
    if (daemon_start(&dl, ltc_argv) != 0) {
        CHECK(0 && "the C fake daemon did not start");
        free(ltc);
        return;
    }
    memset(&md, 0, sizeof md);
    memset(&log, 0, sizeof log);
    md.logger.fn = log_fn;
    md.logger.user_data = &log;
    m = bce_manager_create(&md);
    case_url(url, sizeof url, "tls_alerts");
    memset(&p, 0, sizeof p);
    p.url = url;
    p.rpc_timeout_ms = 1000;
    p.connect_timeout_ms = 500;
    p.tls.skip_verify = 1;
    p.logger = md.logger;
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
    p.url = dl.url;
    p.tls.skip_verify = 0;
    CHECK_INT(bce_manager_configure(m, "LTC", &p), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "w") != NULL);
    snprintf(lw, sizeof lw, "l%d", ++g_uniq);
    wl = bce_manager_add_wallet(m, "LTC", lw);
    bce_on(wl, "new_transaction", on_ltc, ltc);
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = -1;
    o.drain_interval_ms = -1;
    o.force_connect = 1;                    /* BTC's failed connects do not end the run */
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    t0 = now_ms();
    while (!daemon_loaded(dl.port, lw) && now_ms() - t0 < 3000) { wait_mgr(m, 20); timed_mgr_step(m, &rc); }
    t0 = now_ms();
    while (rc == 1 && now_ms() - t0 < 1500) {
        long long dt;
        if (now_ms() - last_inject >= 20 && ltc->sent < 4000) {
            ltc->sent_at[ltc->sent] = now_ms();
            daemon_inject_seq(dl.port, lw, ltc->sent, 1);
            ltc->sent++;
            last_inject = now_ms();
        }
        wait_mgr(m, 10);
        dt = timed_mgr_step(m, &rc);
        if (dt > worst) worst = dt;
    }
    t0 = now_ms();
    while (rc == 1 && ltc->got < ltc->sent && now_ms() - t0 < 1000) { wait_mgr(m, 10); timed_mgr_step(m, &rc); }
    CHECK_INT(rc, 1);
    CHECK(worst <= g_step_max);
    CHECK(ltc->sent >= 5);
    CHECK_INT(ltc->got, ltc->sent);
    CHECK(ltc->worst <= g_gap_max);
    if (ltc->worst > g_worst_gap) g_worst_gap = ltc->worst;
    printf("  manager, BTC flooding TLS alerts: longest step %lld ms, LTC %d/%d events, slowest %lld ms\n", worst,
           ltc->got, ltc->sent, ltc->worst);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    daemon_stop(&dl);
    free(ltc);
}
#endif

/* HOSTILE_ONLY=<part of a test's name> runs only the matching tests (TEST_ONLY=name, from
   tests/test.h, runs the test of that name) */
#define RUN_ONLY(fn) do { const char *only_ = getenv("HOSTILE_ONLY"); if (!only_ || strstr(#fn, only_)) RUN(fn); } while (0)

int main(void) {
    daemon_t peer;
#ifdef BCE_USE_MBEDTLS
    daemon_t tls_peer, tls_post;
#endif
    const char *pre = getenv("LD_PRELOAD");
    g_valgrind = pre && strstr(pre, "vgpreload") != NULL;
    g_margin = g_valgrind ? 400 : 100;
    /* generous against a loaded machine, and still far below the seconds a pinned loop took */
    g_step_max = g_valgrind ? 500 : UNDER_ASAN ? 100 : 50;
    g_gap_max = g_valgrind ? 1000 : 250;
    g_big = g_valgrind ? (size_t)256 << 10 : (size_t)4 << 20;
    signal(SIGPIPE, SIG_IGN);
    if (daemon_start(&peer, peer_argv) != 0) {
        fprintf(stderr, "could not start tests/http_peer.py (run from the repository root)\n");
        return 1;
    }
    g_port = peer.port;
#ifdef BCE_USE_MBEDTLS
    if (daemon_start(&tls_peer, tls_flood_argv) != 0) {
        fprintf(stderr, "could not start tests/tls_flood.py (run from the repository root)\n");
        daemon_stop(&peer);
        return 1;
    }
    g_tls_port = tls_peer.port;
    {
        const char *srv[] = {NULL, NULL, NULL, NULL};
        char cert[512], key[512], cmd[600];
        snprintf(g_ca, sizeof g_ca, "%s", build_path("certs/ca.pem"));
        snprintf(cert, sizeof cert, "%s", build_path("certs/good.pem"));
        snprintf(key, sizeof key, "%s", build_path("certs/good.key"));
        snprintf(cmd, sizeof cmd, "bash tests/make_certs.sh '%s'", build_path("certs"));
        srv[0] = build_path("tls_alert_server");
        srv[1] = cert;
        srv[2] = key;
        if (system(cmd) != 0 || daemon_start(&tls_post, srv) != 0) {
            fprintf(stderr, "could not make the certificates or start %s\n", srv[0]);
            daemon_stop(&tls_peer);
            daemon_stop(&peer);
            return 1;
        }
        g_tls_post_port = tls_post.port;
    }
#endif
    RUN_ONLY(test_rpc_deadlines);
    RUN_ONLY(test_one_byte_chunks);
    RUN_ONLY(test_polling_steps);
    RUN_ONLY(test_ws_handshake);
    RUN_ONLY(test_ws_flood);
    RUN_ONLY(test_catchup);
    RUN_ONLY(test_stop);
    RUN_ONLY(test_manager);
    RUN_ONLY(test_late_step);
#ifdef BCE_USE_MBEDTLS
    RUN_ONLY(test_tls_alerts);
    RUN_ONLY(test_tls_manager);
    RUN_ONLY(test_tls_encrypted_alerts);
#endif
    printf("  the longest step(..., 0): %lld ms; the slowest event of the other stream: %lld ms; "
           "the longest return after bce_stop: %lld ms\n", g_worst_step, g_worst_gap, g_worst_late);
    daemon_stop(&peer);
#ifdef BCE_USE_MBEDTLS
    daemon_stop(&tls_peer);
    daemon_stop(&tls_post);
#endif
    test_only_check("HOSTILE_ONLY");
    TEST_MAIN_END("test_hostile");
}
