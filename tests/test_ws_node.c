/* tests/test_ws_node.c: the websocket client against an independent server, the npm `ws`
   package (tests/ws_node_server.js, installed with `npm ci --prefix tests`): delivery, pings,
   close codes, dropped connections and a refused password.

   The client is driven step by step (bce_coin_begin_websocket + bce_coin_step) so the test can
   make the server act between steps. Every wait is bounded by a deadline. The node server has
   no JSON-RPC, so catch-up is disabled. Run from the repository root; NODE overrides the path
   of the node binary (default /usr/bin/node); BCE_TEST_VERBOSE=1 shows the library's log. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"
#include <stdarg.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------------------- */

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start_server(daemon_t *d) {
    const char *node = getenv("NODE");
    const char *argv[3];
    argv[0] = node && *node ? node : "/usr/bin/node";
    argv[1] = "tests/ws_node_server.js";
    argv[2] = NULL;
    if (daemon_start(d, argv) < 0) {
        fprintf(stderr, "tests/ws_node_server.js did not start: run from the repository root, after "
                        "`npm ci --prefix tests` (BCE_TEST_VERBOSE=1 shows node's errors)\n");
        return -1;
    }
    return 0;
}

/* POST a control request whose body is built from fmt; the answer goes to out. */
static int control(int port, const char *path, char *out, size_t cap, const char *fmt, ...) {
    char body[8192], tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return http_request(port, "POST", path, body, out ? out : tmp, out ? cap : sizeof tmp);
}

static long json_field(const char *json, const char *field) {
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\"%s\":", field);
    p = strstr(json, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void quiet_log(int level, const char *message, void *user_data) {
    (void)user_data;
    if (getenv("BCE_TEST_VERBOSE")) fprintf(stderr, "  [bce %d] %s\n", level, message);
}

/* ---- what the callbacks saw ---------------------------------------------------------- */

#define MAX_SEQ 2048
static size_t expect_size[MAX_SEQ];     /* tx length the server sends for each seq */

typedef struct ctx_t {
    int connects, disconnects;
    int last_code, reason_null;
    char last_reason[128];
    char connect_currency[16];
    int events, order_errors, content_errors;
    long long next_seq, first_bad_seq;
    int global_events, own_events, other_events;
    size_t longest_tx;
} ctx_t;

static void on_connect(bce_coin_t *coin, const char *currency, void *user_data) {
    ctx_t *c = (ctx_t *)user_data;
    (void)coin;
    c->connects++;
    snprintf(c->connect_currency, sizeof c->connect_currency, "%s", currency ? currency : "(null)");
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *user_data) {
    ctx_t *c = (ctx_t *)user_data;
    (void)coin;
    c->disconnects++;
    c->last_code = code;
    c->reason_null = reason == NULL;
    snprintf(c->last_reason, sizeof c->last_reason, "%s", reason ? reason : "");
}

static int tx_ok(const char *tx, long long seq) {
    size_t j, n;
    if (!tx || seq < 0 || seq >= MAX_SEQ) return 0;
    n = strlen(tx);
    if (n != expect_size[seq]) return 0;
    for (j = 0; j < n; j++)
        if (tx[j] != (char)('a' + (int)(((unsigned long long)seq + j) % 26))) return 0;
    return 1;
}

static void on_tx(const bce_event_t *ev, void *user_data) {
    ctx_t *c = (ctx_t *)user_data;
    const char *tx = bce_event_str(ev, "tx"), *wallet = bce_event_wallet(ev);
    long long seq = -1;
    c->events++;
    if (!bce_event_int(ev, "seq", &seq) || seq != c->next_seq) {
        if (c->order_errors++ == 0) c->first_bad_seq = seq;
    }
    c->next_seq = seq + 1;
    if (!tx_ok(tx, seq)) c->content_errors++;
    if (tx && strlen(tx) > c->longest_tx) c->longest_tx = strlen(tx);
    if (!wallet) c->global_events++;
    else if (strcmp(wallet, "w1") == 0) c->own_events++;
    else c->other_events++;
}

/* Steps the coin until cond holds, the activity ends (rc != 1) or ms pass. */
#define PUMP(coin, cond, ms, rc) do { long long dl_ = now_ms() + (ms); \
    while (!(cond) && now_ms() < dl_) { (rc) = bce_coin_step((coin), 50); if ((rc) != 1) break; } } while (0)

static bce_coin_t *make_coin(const daemon_t *d, const char *xpub, const char *password) {
    bce_coin_desc_t desc;
    memset(&desc, 0, sizeof desc);
    desc.currency = "BTC";
    desc.url = d->url;
    desc.xpub = xpub;
    desc.password = password;
    desc.connect_timeout_ms = 3000;
    desc.logger.fn = quiet_log;
    desc.logger.level = BCE_LOG_INFO;
    return bce_coin_create(&desc);
}

static void base_opts(bce_ws_opts_t *o, ctx_t *c) {
    memset(o, 0, sizeof *o);
    o->on_connect = on_connect;
    o->on_disconnect = on_disconnect;
    o->user_data = c;
    o->disable_catch_up = 1;
    o->disable_wallet_load = 1;    /* the node server speaks only the websocket */
}

/* Starts the websocket and steps until on_connect fired. */
static int connect_coin(bce_coin_t *coin, const bce_ws_opts_t *o, ctx_t *c) {
    int rc = 1;
    if (bce_coin_begin_websocket(coin, o) != BCE_OK) return 0;
    PUMP(coin, c->connects >= 1, 5000, rc);
    return rc == 1 && c->connects == 1;
}

/* ---- delivery -------------------------------------------------------------------------- */

/* The length of the websocket message for seq with an empty tx (the server uses JSON.stringify). */
static size_t overhead(long long seq, const char *wallet) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"\",\"seq\":%lld}],"
                     "\"wallet\":\"%s\",\"currency\":\"BTC\"}", seq, wallet);
    return (size_t)n;
}

/* Sends count events starting at seq_start with tx sizes cycled from sizes[]; remembers the
   expected sizes. Returns how many messages the server delivered (to all clients). */
static long send_events(int port, const char *wallet, long long seq_start, int count, const size_t *sizes, int nsizes) {
    char body[4096], out[256], w[64];
    size_t len;
    int i;
    if (wallet) snprintf(w, sizeof w, "\"%s\"", wallet);
    else snprintf(w, sizeof w, "null");
    len = (size_t)snprintf(body, sizeof body, "{\"count\":%d,\"wallet\":%s,\"seq_start\":%lld,\"sizes\":[", count, w, seq_start);
    for (i = 0; i < nsizes; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "%s%lu", i ? "," : "", (unsigned long)sizes[i]);
    snprintf(body + len, sizeof body - len, "]}");
    for (i = 0; i < count; i++)
        if (seq_start + i < MAX_SEQ) expect_size[seq_start + i] = sizes[i % nsizes];
    if (control(port, "/_test/send", out, sizeof out, "%s", body) < 0) return -1;
    return json_field(out, "delivered");
}

static void test_delivery(void) {
    daemon_t d;
    ctx_t c;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    char sub[256];
    size_t a[16], b[] = {0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 65536, 102400};
    int na = 0, i, rc = 1, nb = (int)(sizeof b / sizeof b[0]);
    static const size_t frame_len[] = {125, 126, 127, 65535, 65536, 65537};
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&c, 0, sizeof c);
    coin = make_coin(&d, "w1", NULL);
    CHECK(coin != NULL);
    if (!coin) { daemon_stop(&d); return; }
    CHECK_INT(bce_on(coin, "new_transaction", on_tx, &c), BCE_OK);
    base_opts(&o, &c);
    CHECK(connect_coin(coin, &o, &c));
    CHECK_STR(c.connect_currency, "BTC");

    /* the subscription: exactly one message, {"xpub":"w1"} */
    PUMP(coin, stats_field(d.port, "messages") >= 1, 5000, rc);
    CHECK_INT(rc, 1);
    CHECK_INT(stats_field(d.port, "messages"), 1);
    CHECK(http_request(d.port, "GET", "/_test/subscription", NULL, sub, sizeof sub) == 0);
    CHECK_STR(sub, "{\"xpub\":\"w1\"}");

    /* batch A: message lengths on both sides of the 7-bit/16-bit/64-bit length boundaries,
       an empty tx, ~100 KiB and ~500 KB */
    for (i = 0; i < 6; i++) { a[na] = frame_len[i] - overhead(na, "w1"); na++; }
    a[na++] = 0;
    a[na++] = 1;
    a[na++] = 100 * 1024;
    a[na++] = 500000;
    CHECK_INT(send_events(d.port, "w1", 0, na, a, na), na);
    /* batch B: the rest of 1000 events, sizes cycled (two of every twenty are > 65535) */
    CHECK_INT(send_events(d.port, "w1", na, 1000 - na, b, nb), 1000 - na);
    PUMP(coin, c.events >= 1000, 20000, rc);
    CHECK_INT(rc, 1);
    CHECK_INT(c.events, 1000);
    CHECK_INT(c.order_errors, 0);
    if (c.order_errors) fprintf(stderr, "  first out-of-order seq: %lld\n", c.first_bad_seq);
    CHECK_INT(c.content_errors, 0);
    CHECK_INT(c.next_seq, 1000);
    CHECK_INT(c.own_events, 1000);
    CHECK_INT((long long)c.longest_tx, 500000);

    /* another wallet's events are filtered out by the server; global ones come through */
    {
        size_t s10 = 10, s20 = 20;
        CHECK_INT(send_events(d.port, "w2", 1500, 50, &s10, 1), 0);
        CHECK_INT(send_events(d.port, NULL, 1000, 10, &s20, 1), 10);
        PUMP(coin, c.events >= 1010, 5000, rc);
        CHECK_INT(rc, 1);
        CHECK_INT(c.events, 1010);
        CHECK_INT(c.global_events, 10);
        CHECK_INT(c.other_events, 0);
        CHECK_INT(c.order_errors, 0);
        CHECK_INT(c.content_errors, 0);
        CHECK_INT(c.next_seq, 1010);
    }
    CHECK_INT(c.disconnects, 0);
    CHECK_INT(c.connects, 1);
    CHECK_INT(stats_field(d.port, "connections"), 1);

    bce_stop(coin);
    CHECK_INT(bce_coin_step(coin, 1000), 0);
    bce_coin_destroy(coin);
    daemon_stop(&d);
}

/* ---- pings ----------------------------------------------------------------------------- */

static void test_pings(void) {
    daemon_t d;
    ctx_t c;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    int rc = 1;
    long pings;
    size_t s5 = 5;
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&c, 0, sizeof c);
    coin = make_coin(&d, "w1", NULL);
    if (!coin) { CHECK(0); daemon_stop(&d); return; }
    bce_on(coin, "new_transaction", on_tx, &c);
    base_opts(&o, &c);
    o.ping_interval_ms = 200;
    o.pong_timeout_ms = 400;     /* pongs that went unnoticed would drop the connection */
    CHECK(connect_coin(coin, &o, &c));

    /* 1.2 s of silence from the server, the client stepping all along */
    PUMP(coin, 0, 1200, rc);
    CHECK_INT(rc, 1);
    pings = stats_field(d.port, "pings");
    CHECK(pings >= 1);
    printf("pings: the server received %ld pings in 1.2 s (interval 200 ms)\n", pings);
    CHECK_INT(c.disconnects, 0);
    CHECK_INT(c.connects, 1);
    CHECK_INT(stats_field(d.port, "open"), 1);
    CHECK_INT(stats_field(d.port, "connections"), 1);

    /* and the connection still carries events */
    expect_size[0] = 5;
    CHECK_INT(send_events(d.port, "w1", 0, 1, &s5, 1), 1);
    PUMP(coin, c.events >= 1, 3000, rc);
    CHECK_INT(c.events, 1);
    CHECK_INT(c.content_errors, 0);

    bce_stop(coin);
    CHECK_INT(bce_coin_step(coin, 1000), 0);
    bce_coin_destroy(coin);
    daemon_stop(&d);
}

/* ---- close codes ----------------------------------------------------------------------- */

typedef struct close_case_t {
    int code;                   /* 0: a close frame without a code (the client reports 1005) */
    const char *reason;
} close_case_t;

static const close_case_t close_cases[] = {
    {1000, "normal shutdown"}, {1001, "going away"}, {4000, "custom: wallet reloaded"}, {0, ""},
};

static void ask_close(int port, const close_case_t *cc) {
    char out[256];
    if (cc->code) control(port, "/_test/close", out, sizeof out, "{\"code\":%d,\"reason\":\"%s\"}", cc->code, cc->reason);
    else control(port, "/_test/close", out, sizeof out, "{}");
    CHECK_INT(json_field(out, "closed"), 1);
}

/* Default options: every close is reported with its code and reason, then the client is back
   (and subscribed again). */
static void test_close_reconnect(void) {
    daemon_t d;
    ctx_t c;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    int rc = 1, k, n = (int)(sizeof close_cases / sizeof close_cases[0]);
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&c, 0, sizeof c);
    coin = make_coin(&d, "w1", NULL);
    if (!coin) { CHECK(0); daemon_stop(&d); return; }
    base_opts(&o, &c);
    CHECK(connect_coin(coin, &o, &c));
    for (k = 0; k < n; k++) {
        const close_case_t *cc = &close_cases[k];
        int want = cc->code ? cc->code : 1005;
        ask_close(d.port, cc);
        PUMP(coin, c.disconnects >= k + 1 && c.connects >= k + 2, 8000, rc);
        CHECK_INT(rc, 1);
        CHECK_INT(c.disconnects, k + 1);
        CHECK_INT(c.connects, k + 2);
        CHECK_INT(c.last_code, want);
        CHECK(!c.reason_null);
        CHECK_STR(c.last_reason, cc->reason);
        /* the client answered the close frame (ws reports 1006 when none came back) */
        if (cc->code) CHECK_INT(stats_field(d.port, "last_close_code"), cc->code);
        else CHECK(stats_field(d.port, "last_close_code") != 1006);
        /* the new connection subscribes again */
        PUMP(coin, stats_field(d.port, "messages") >= k + 2, 5000, rc);
        CHECK_INT(stats_field(d.port, "messages"), k + 2);
        CHECK_INT(stats_field(d.port, "connections"), k + 2);
        CHECK_INT(stats_field(d.port, "open"), 1);
    }
    bce_stop(coin);
    CHECK_INT(bce_coin_step(coin, 1000), 0);
    bce_coin_destroy(coin);
    daemon_stop(&d);
}

/* disable_reconnect = 1: the close ends the activity with BCE_ERR_CLOSED. */
static void test_close_no_reconnect(void) {
    daemon_t d;
    int k, n = (int)(sizeof close_cases / sizeof close_cases[0]);
    if (start_server(&d) < 0) { CHECK(0); return; }
    for (k = 0; k < n; k++) {
        const close_case_t *cc = &close_cases[k];
        ctx_t c;
        bce_ws_opts_t o;
        bce_coin_t *coin;
        int rc = 1;
        memset(&c, 0, sizeof c);
        coin = make_coin(&d, "w1", NULL);
        if (!coin) { CHECK(0); break; }
        base_opts(&o, &c);
        o.disable_reconnect = 1;
        CHECK(connect_coin(coin, &o, &c));
        PUMP(coin, stats_field(d.port, "open") == 1 && stats_field(d.port, "messages") >= k + 1, 5000, rc);
        ask_close(d.port, cc);
        PUMP(coin, 0, 5000, rc);                 /* until the activity ends */
        CHECK_INT(rc, BCE_ERR_CLOSED);
        CHECK_INT(c.disconnects, 1);
        CHECK_INT(c.connects, 1);
        CHECK_INT(c.last_code, cc->code ? cc->code : 1005);
        CHECK_STR(c.last_reason, cc->reason);
        bce_coin_destroy(coin);
    }
    /* one connection per coin: nobody reconnected */
    CHECK_INT(stats_field(d.port, "connections"), n);
    daemon_stop(&d);
}

/* ---- dropped TCP connection ------------------------------------------------------------ */

static void test_terminate(void) {
    daemon_t d;
    ctx_t c;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    char out[256];
    int rc = 1;
    size_t s7 = 7;
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&c, 0, sizeof c);
    coin = make_coin(&d, "w1", NULL);
    if (!coin) { CHECK(0); daemon_stop(&d); return; }
    bce_on(coin, "new_transaction", on_tx, &c);
    base_opts(&o, &c);
    CHECK(connect_coin(coin, &o, &c));
    PUMP(coin, stats_field(d.port, "messages") >= 1, 5000, rc);
    CHECK(control(d.port, "/_test/terminate", out, sizeof out, "{}") == 0);
    CHECK_INT(json_field(out, "terminated"), 1);
    PUMP(coin, c.disconnects >= 1 && c.connects >= 2, 8000, rc);
    CHECK_INT(rc, 1);
    CHECK_INT(c.disconnects, 1);
    CHECK_INT(c.last_code, 1006);
    CHECK_INT(c.connects, 2);
    CHECK_INT(stats_field(d.port, "connections"), 2);
    /* subscribed again, and events flow on the new connection */
    PUMP(coin, stats_field(d.port, "messages") >= 2, 5000, rc);
    CHECK_INT(stats_field(d.port, "messages"), 2);
    CHECK_INT(send_events(d.port, "w1", 0, 3, &s7, 1), 3);
    PUMP(coin, c.events >= 3, 3000, rc);
    CHECK_INT(c.events, 3);
    CHECK_INT(c.order_errors, 0);
    CHECK_INT(c.content_errors, 0);
    bce_stop(coin);
    CHECK_INT(bce_coin_step(coin, 1000), 0);
    bce_coin_destroy(coin);
    daemon_stop(&d);
}

/* ---- FIN right behind the data ----------------------------------------------------------- */

/* A daemon that exits, or a server that does not wait for the client's close frame, leaves
   its last bytes and the FIN in the socket together. What came before the FIN is still owed
   to the application: the events, and the close frame's code and reason. */
static void test_fin_after_data(void) {
    daemon_t d;
    ctx_t c;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    char out[256];
    int rc = 1, k;
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&c, 0, sizeof c);
    coin = make_coin(&d, "w1", NULL);
    if (!coin) { CHECK(0); daemon_stop(&d); return; }
    bce_on(coin, "new_transaction", on_tx, &c);
    base_opts(&o, &c);
    CHECK(connect_coin(coin, &o, &c));
    PUMP(coin, stats_field(d.port, "messages") >= 1, 5000, rc);

    /* five events, then FIN without a close frame */
    for (k = 0; k < 5; k++) expect_size[k] = 3;
    CHECK(control(d.port, "/_test/send", out, sizeof out,
                  "{\"count\":5,\"wallet\":\"w1\",\"size\":3,\"seq_start\":0,\"end\":true}") == 0);
    CHECK_INT(json_field(out, "delivered"), 5);
    PUMP(coin, c.disconnects >= 1 && c.connects >= 2, 8000, rc);
    CHECK_INT(c.events, 5);
    CHECK_INT(c.order_errors, 0);
    CHECK_INT(c.content_errors, 0);
    CHECK_INT(c.disconnects, 1);
    CHECK_INT(c.last_code, 1006);
    CHECK_INT(c.connects, 2);

    /* a close frame, then FIN at once */
    PUMP(coin, stats_field(d.port, "open") == 1, 5000, rc);
    CHECK(control(d.port, "/_test/close", out, sizeof out, "{\"code\":4001,\"reason\":\"closing now\",\"end\":true}") == 0);
    CHECK_INT(json_field(out, "closed"), 1);
    PUMP(coin, c.disconnects >= 2 && c.connects >= 3, 8000, rc);
    CHECK_INT(c.disconnects, 2);
    CHECK_INT(c.last_code, 4001);
    CHECK_STR(c.last_reason, "closing now");
    CHECK_INT(c.connects, 3);

    bce_stop(coin);
    CHECK_INT(bce_coin_step(coin, 1000), 0);
    bce_coin_destroy(coin);
    daemon_stop(&d);
}

/* ---- wrong password -------------------------------------------------------------------- */

static bce_coin_t *volatile alarm_coin;
static volatile sig_atomic_t alarm_fired;
static void on_alarm(int sig) {
    (void)sig;
    alarm_fired = 1;
    if (alarm_coin) bce_stop(alarm_coin);   /* documented as safe from a signal handler */
}

/* bce_start_websocket (blocking) returns BCE_ERR_AUTH after exactly one attempt, with and
   without force_connect. A 10 s alarm stops a client that would retry forever. */
static void test_wrong_password(void) {
    daemon_t d;
    struct sigaction sa;
    int force;
    if (start_server(&d) < 0) { CHECK(0); return; }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    for (force = 0; force <= 1; force++) {
        ctx_t c;
        bce_ws_opts_t o;
        bce_coin_t *coin;
        int rc;
        memset(&c, 0, sizeof c);
        coin = make_coin(&d, "w1", "wrong");
        if (!coin) { CHECK(0); break; }
        base_opts(&o, &c);
        o.force_connect = force;
        alarm_fired = 0;
        alarm_coin = coin;
        alarm(10);
        rc = bce_start_websocket(coin, &o);
        alarm(0);
        alarm_coin = NULL;
        CHECK_INT(alarm_fired, 0);
        CHECK_INT(rc, BCE_ERR_AUTH);
        CHECK_INT(c.connects, 0);
        CHECK(strstr(bce_coin_last_error(coin), "-32600") != NULL);
        if (!strstr(bce_coin_last_error(coin), "-32600"))
            fprintf(stderr, "  last error: %s\n", bce_coin_last_error(coin));
        CHECK_INT(stats_field(d.port, "upgrades"), force + 1);
        CHECK_INT(stats_field(d.port, "auth_failures"), force + 1);
        bce_coin_destroy(coin);
    }
    CHECK_INT(stats_field(d.port, "connections"), 0);
    daemon_stop(&d);
}

int main(void) {
    long long t0 = now_ms();
    signal(SIGPIPE, SIG_IGN);
    RUN(test_delivery);
    RUN(test_pings);
    RUN(test_close_reconnect);
    RUN(test_close_no_reconnect);
    RUN(test_terminate);
    RUN(test_fin_after_data);
    RUN(test_wrong_password);
    printf("test_ws_node: ran in %lld ms\n", now_ms() - t0);
    TEST_MAIN_END("test_ws_node");
}
