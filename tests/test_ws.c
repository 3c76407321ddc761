/* tests/test_ws.c: fault scenarios against the fake daemons, counting every update by
   sequence number: no gap, no duplicate. The websocket layers on their own (SHA-1, frame
   headers, UTF-8, the deduplication records) are in tests/test_frames.c. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"

static const char *const py_argv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", NULL};
static const char *const c_argv[] = {FAKE_DAEMON, "--port", "0", NULL};

/* ---- scenarios against the daemons ---- */

#include "tally.h"

static bce_coin_t *ws_coin(const daemon_t *d, const char *wallet, const char *password) {
    bce_coin_desc_t desc;
    memset(&desc, 0, sizeof desc);
    desc.url = d->url;
    desc.xpub = wallet;
    desc.password = password;
    desc.connect_timeout_ms = 2000;
    desc.rpc_timeout_ms = 5000;
    desc.logger.level = -1;
    return bce_coin_create(&desc);
}

static void ws_opts(bce_ws_opts_t *o, tally_t *t) {
    memset(o, 0, sizeof *o);
    o->on_connect = on_conn;
    o->on_disconnect = on_disc;
    o->user_data = t;
    o->reconnect_min_ms = 50;
    o->reconnect_max_ms = 400;
}

/* The daemon drops every socket twice while streaming; events sent meanwhile come back
   through catch-up, the ones delivered twice are dispatched once. */
static void check_drops_while_streaming(const char *const *argv) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    int seq = 0, round;
    CHECK_INT(daemon_start(&d, argv), 0);
    c = ws_coin(&d, "drop-w", NULL);
    bce_on(c, "new_transaction", on_seq, t);
    ws_opts(&o, t);
    o.drain_interval_ms = 300;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(d.port, "drop-w"), 5000);
    CHECK_INT(t->connects, 1);
    for (round = 0; round < 3; round++) {
        int k;
        for (k = 0; k < 10; k++) {          /* streaming: inject, step a little */
            daemon_inject_seq(d.port, "drop-w", seq, 20);
            seq += 20;
            bce_coin_step(c, 5);
        }
        if (round < 2) {
            http_request(d.port, "POST", "/_test/drop_ws", round == 0 ? "{\"mode\":\"reset\"}" : "{\"mode\":\"close\"}", NULL, 0);
            daemon_inject_seq(d.port, "drop-w", seq, 40);  /* while the socket is down: only the queue has these */
            seq += 40;
            STEP_UNTIL(bce_coin_step, c, t->connects == round + 2, 5000);
        }
    }
    STEP_UNTIL(bce_coin_step, c, t->total >= seq, 10000);
    CHECK_INT(t->total, seq);
    CHECK_INT(t->dups, 0);
    CHECK_INT(t->bad, 0);
    CHECK_INT(gaps(t, seq), 0);
    CHECK_INT(t->connects, 3);
    CHECK(t->disconnects >= 2);
    /* nothing more arrives after a few more drains */
    {
        long long t0 = _bce_now_ms();
        while (_bce_now_ms() - t0 < 800) bce_coin_step(c, 50);
    }
    CHECK_INT(t->total, seq);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}
static void test_drops_aiohttp(void) { check_drops_while_streaming(py_argv); }
static void test_drops_c_daemon(void) { check_drops_while_streaming(c_argv); }

/* The daemon is killed and started again empty on the same port: no wallet is loaded there.
   The client reconnects, catch-up loads the wallet again, events resume. */
static void test_daemon_restart(void) {
    daemon_t d, d2;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    char port[16];
    const char *argv2[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", port, NULL};
    CHECK_INT(daemon_start(&d, py_argv), 0);
    c = ws_coin(&d, "restart-w", NULL);
    bce_on(c, "new_transaction", on_seq, t);
    ws_opts(&o, t);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(d.port, "restart-w"), 5000);
    daemon_inject_seq(d.port, "restart-w", 0, 50);
    STEP_UNTIL(bce_coin_step, c, t->total == 50, 5000);
    kill(d.pid, SIGKILL);
    waitpid(d.pid, NULL, 0);
    STEP_UNTIL(bce_coin_step, c, t->disconnects >= 1, 5000);
    CHECK(t->disconnects >= 1);
    CHECK_INT(t->last_code, 1006);
    snprintf(port, sizeof port, "%d", d.port);
    CHECK_INT(daemon_start(&d2, argv2), 0);
    CHECK(!daemon_loaded(d2.port, "restart-w"));
    STEP_UNTIL(bce_coin_step, c, t->connects == 2 && daemon_loaded(d2.port, "restart-w"), 8000);
    CHECK_INT(t->connects, 2);
    CHECK(daemon_loaded(d2.port, "restart-w"));      /* the catch-up call loaded it again */
    daemon_inject_seq(d2.port, "restart-w", 50, 50);
    STEP_UNTIL(bce_coin_step, c, t->total == 100, 5000);
    CHECK_INT(t->total, 100);
    CHECK_INT(t->dups, 0);
    CHECK_INT(gaps(t, 100), 0);
    bce_coin_destroy(c);
    daemon_stop(&d2);
    free(t);
}

/* A frozen daemon (SIGSTOP) answers nothing: the client's ping goes unanswered and the
   connection is declared dead within ping + pong timeouts. */
static void test_frozen_daemon(void) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    long long t0, took;
    CHECK_INT(daemon_start(&d, py_argv), 0);
    c = ws_coin(&d, "frozen-w", NULL);
    bce_on(c, "new_transaction", on_seq, t);
    ws_opts(&o, t);
    o.ping_interval_ms = 300;
    o.pong_timeout_ms = 300;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(d.port, "frozen-w"), 5000);
    /* alive and idle: pings are answered, nothing is dropped */
    t0 = _bce_now_ms();
    while (_bce_now_ms() - t0 < 1000) bce_coin_step(c, 50);
    CHECK_INT(t->disconnects, 0);
    CHECK(stats_field(d.port, "pings") >= 1);
    kill(d.pid, SIGSTOP);
    t0 = _bce_now_ms();
    STEP_UNTIL(bce_coin_step, c, t->disconnects >= 1, 5000);
    took = _bce_now_ms() - t0;
    CHECK_INT(t->disconnects, 1);
    CHECK_INT(t->last_code, 1006);
    CHECK(took <= 300 + 300 + 400);
    kill(d.pid, SIGCONT);
    STEP_UNTIL(bce_coin_step, c, t->connects >= 2, 5000);
    CHECK(t->connects >= 2);
    daemon_inject_seq(d.port, "frozen-w", 0, 10);
    STEP_UNTIL(bce_coin_step, c, t->total == 10, 5000);
    CHECK_INT(t->total, 10);
    CHECK_INT(t->dups, 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}

/* Nothing listening: an error at once without force_connect; with it, retries with backoff
   until a daemon appears on that port. */
static void test_nothing_listening(void) {
    int port = free_loopback_port();
    char url[64], ports[16];
    bce_coin_desc_t desc;
    bce_coin_t *c;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    daemon_t d;
    const char *argv2[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", ports, NULL};
    long long t0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    memset(&desc, 0, sizeof desc);
    desc.url = url;
    desc.xpub = "late-w";
    desc.logger.level = -1;
    c = bce_coin_create(&desc);
    bce_on(c, "new_transaction", on_seq, t);
    ws_opts(&o, t);
    t0 = _bce_now_ms();
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_CONNECT);
    CHECK(_bce_now_ms() - t0 < 1000);
    CHECK_INT(t->disconnects, 1);
    CHECK_INT(t->last_code, 1006);
    CHECK(strstr(bce_coin_last_error(c), "refused") != NULL);
    o.force_connect = 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->disconnects >= 5, 5000);
    CHECK(t->disconnects >= 5);
    CHECK_INT(t->connects, 0);
    snprintf(ports, sizeof ports, "%d", port);
    CHECK_INT(daemon_start(&d, argv2), 0);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(d.port, "late-w"), 5000);
    CHECK_INT(t->connects, 1);
    daemon_inject_seq(d.port, "late-w", 0, 5);
    STEP_UNTIL(bce_coin_step, c, t->total == 5, 5000);
    CHECK_INT(t->total, 5);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}

static void test_wrong_password(void) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    long before;
    CHECK_INT(daemon_start(&d, py_argv), 0);
    c = ws_coin(&d, "pw-w", "nope");
    ws_opts(&o, t);
    o.force_connect = 1;          /* even so: authentication failures are final */
    before = stats_field(d.port, "connections");
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_AUTH);
    CHECK_INT(stats_field(d.port, "connections") - before, 2);   /* one attempt + this stats call */
    CHECK(strstr(bce_coin_last_error(c), "-32600") != NULL);
    CHECK_INT(t->connects, 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}

/* A manager's websocket run ends like a coin's: BCE_ERR_AUTH on a wrong password (even with
   force_connect), BCE_ERR_CONNECT when the first connection fails. It used to sit idle; the
   steps are bounded here so that such a regression fails instead of hanging. */
static int manager_run_result(bce_manager_t *m, const bce_ws_opts_t *o) {
    long long deadline = _bce_now_ms() + 5000;
    int r = bce_manager_begin_websocket(m, NULL, o);
    if (r != BCE_OK) return r;
    while ((r = bce_manager_step(m, 50)) == 1 && _bce_now_ms() < deadline) {}
    if (r == 1) {               /* still running after 5 s: the bug */
        bce_manager_stop(m);
        while (bce_manager_step(m, 50) == 1) {}
        return 1;
    }
    return r;
}

static void test_manager_run_ends(void) {
    daemon_t d;
    bce_manager_t *m;
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    char url[64];
    CHECK_INT(daemon_start(&d, py_argv), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", d.port);
    memset(&p, 0, sizeof p);
    p.url = url;
    p.password = "nope";
    m = bce_manager_create(NULL);
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "mgr-auth") != NULL);
    memset(&o, 0, sizeof o);
    o.force_connect = 1;
    CHECK_INT(manager_run_result(m, &o), BCE_ERR_AUTH);
    bce_manager_destroy(m);
    daemon_stop(&d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", free_loopback_port());
    p.password = NULL;
    m = bce_manager_create(NULL);
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "mgr-conn") != NULL);
    o.force_connect = 0;
    CHECK_INT(manager_run_result(m, &o), BCE_ERR_CONNECT);
    /* and a second run does not inherit the first one's result */
    CHECK_INT(manager_run_result(m, &o), BCE_ERR_CONNECT);
    bce_manager_destroy(m);
}

/* A manager with two daemons of two currencies, in one thread; each currency reconnects and
   catches up on its own. */
static void test_manager_two_daemons(void) {
    const char *btc_argv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", "--currency", "BTC", NULL};
    const char *ltc_argv[] = {FAKE_DAEMON, "--port", "0", "--currency", "LTC", NULL};
    daemon_t db, dl;
    tally_t *tb = (tally_t *)calloc(1, sizeof *tb), *tl = (tally_t *)calloc(1, sizeof *tl);
    tally_t *conn = (tally_t *)calloc(1, sizeof *conn);
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    bce_coin_t *wb, *wl;
    long long t0;
    CHECK_INT(daemon_start(&db, btc_argv), 0);
    CHECK_INT(daemon_start(&dl, ltc_argv), 0);
    memset(&p, 0, sizeof p);
    p.url = db.url;
    p.logger.level = -1;
    bce_manager_configure(m, "BTC", &p);
    p.url = dl.url;
    bce_manager_configure(m, "LTC", &p);
    wb = bce_manager_add_wallet(m, "BTC", "mb");
    wl = bce_manager_add_wallet(m, "LTC", "ml");
    bce_on(wb, "new_transaction", on_seq, tb);
    bce_on(wl, "new_transaction", on_seq, tl);
    ws_opts(&o, conn);
    o.drain_interval_ms = 200;
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (!(conn->connects == 2 && daemon_loaded(db.port, "mb") && daemon_loaded(dl.port, "ml")) && _bce_now_ms() - t0 < 5000)
        bce_manager_step(m, 20);
    CHECK_INT(conn->connects, 2);
    daemon_inject_seq(db.port, "mb", 0, 30);
    daemon_inject_seq(dl.port, "ml", 0, 40);
    daemon_inject_seq(dl.port, "someone-else", 100, 5);     /* unfiltered: routed to a stand-in coin, not ours */
    http_request(dl.port, "POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0);
    daemon_inject_seq(dl.port, "ml", 40, 20);
    t0 = _bce_now_ms();
    while (!(tb->total == 30 && tl->total == 60) && _bce_now_ms() - t0 < 8000) bce_manager_step(m, 20);
    CHECK_INT(tb->total, 30);
    CHECK_INT(tl->total, 60);
    CHECK_INT(tb->dups + tl->dups, 0);
    CHECK(tb->instance == wb);
    CHECK(tl->instance == wl);
    CHECK_STR(tb->currency, "BTC");
    CHECK_STR(tl->currency, "LTC");
    CHECK_INT(conn->connects, 3);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    daemon_stop(&db);
    daemon_stop(&dl);
    free(tb);
    free(tl);
    free(conn);
}

/* bce_stop ends the run in every state: waiting to reconnect, connecting, open. */
static void test_stop_everywhere(void) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    CHECK_INT(daemon_start(&d, py_argv), 0);
    c = ws_coin(&d, "stop-w", NULL);
    ws_opts(&o, t);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 1000), 0);        /* before it even connected */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1, 5000);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 1000), 0);        /* open */
    CHECK_INT(bce_coin_fds(c, NULL, 0), 0);
    /* in the backoff wait after a drop */
    o.reconnect_min_ms = o.reconnect_max_ms = 60000;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 2, 5000);
    http_request(d.port, "POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0);
    STEP_UNTIL(bce_coin_step, c, t->disconnects >= 1, 5000);
    CHECK(c->solo->link.ws.state == _BCE_WS_WAIT);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 1000), 0);
    /* a blocking call started again is BCE_ERR_STATE inside a handler-free context: none */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_ERR_STATE);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}

/* Catch-up order: updates the daemon queued while no socket was open (0-9) and updates sent
   over the new socket while the catch-up answer is still on its way (10-19, also queued) come
   out oldest first: the websocket's updates wait until the answer was dispatched. */
static int order_log[64], order_n;
static void on_order(const bce_event_t *ev, void *ud) {
    long long seq = -1;
    (void)ud;
    bce_event_int(ev, "seq", &seq);
    if (order_n < 64) order_log[order_n++] = (int)seq;
}

static int order_sorted(void) {
    int i;
    for (i = 1; i < order_n; i++)
        if (order_log[i] <= order_log[i - 1]) return 0;
    return 1;
}

static void check_catch_up_order(const char *const *argv, int manager, int hold_off) {
    daemon_t d;
    tally_t *conn = (tally_t *)calloc(1, sizeof *conn);
    bce_ws_opts_t o;
    bce_coin_t *c = NULL;
    bce_manager_t *m = NULL;
    char buf[4096];
    size_t len = 0;
    int i;
    CHECK_INT(daemon_start(&d, argv), 0);
    c = ws_coin(&d, "ord-w", NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, buf, sizeof buf, &len), BCE_OK);   /* loads the wallet */
    if (manager) {
        bce_coin_desc_t p;
        bce_coin_destroy(c);
        m = bce_manager_create(NULL);
        memset(&p, 0, sizeof p);
        p.url = d.url;
        p.logger.level = -1;
        bce_manager_configure(m, "BTC", &p);
        c = bce_manager_add_wallet(m, "BTC", "ord-w");
    }
    order_n = 0;
    bce_on(c, "new_transaction", on_order, NULL);
    daemon_inject_seq(d.port, "ord-w", 0, 10);          /* queued only: no socket yet */
    ws_opts(&o, conn);
    o.disable_catch_up_hold = hold_off;
    if (manager) CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    else CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    if (manager) STEP_UNTIL(bce_manager_step, m, conn->connects == 1, 5000);
    else STEP_UNTIL(bce_coin_step, c, conn->connects == 1, 5000);
    CHECK_INT(conn->connects, 1);
    daemon_inject_seq(d.port, "ord-w", 10, 10);         /* over the socket, and queued */
    if (manager) STEP_UNTIL(bce_manager_step, m, order_n >= 20, 5000);
    else STEP_UNTIL(bce_coin_step, c, order_n >= 20, 5000);
    CHECK_INT(order_n, 20);
    if (hold_off) {
        /* the earlier behaviour: the socket's updates (sent first, the request not yet) lead */
        CHECK(!order_sorted());
        CHECK_INT(order_log[0], 10);
    } else {
        CHECK(order_sorted());
    }
    if (!hold_off && !order_sorted()) {
        printf("    order:");
        for (i = 0; i < order_n; i++) printf(" %d", order_log[i]);
        printf("\n");
    }
    if (manager) {
        bce_manager_destroy(m);
    } else {
        bce_coin_destroy(c);
    }
    daemon_stop(&d);
    free(conn);
}
static void test_catch_up_order_coin(void) { check_catch_up_order(c_argv, 0, 0); }
static void test_catch_up_order_aiohttp(void) { check_catch_up_order(py_argv, 0, 0); }
static void test_catch_up_order_manager(void) { check_catch_up_order(c_argv, 1, 0); }
static void test_catch_up_hold_off(void) { check_catch_up_order(c_argv, 0, 1); check_catch_up_order(c_argv, 1, 1); }

/* ---- fidelity to the real daemon (issue 14) ---- */

#define GOOD_KEY "vpub5SLqN2bLY4WeYhnmHMuXjhpfwECoaMbMR8dagBghrTG3FWqtKHpfHbde9apJAw1f7ieFaUeV6MmewmGwzNNnRx2SGjRZwdjAPYZ2612wexW"
#define BAD_KEY "vpub5ExampleWallet"       /* a BIP32 prefix, not a key: the daemons answer -32005 */

/* Restarts daemon d with argv (whose port argument must already hold d's port). */
static int restart_daemon(daemon_t *d, const char *const *argv) {
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    return daemon_start(d, argv);
}

/* Catch-up off: after every (re)connect one getbalance names the wallet, so the daemon loads
   it (and its events flow); the queue is not drained. A manager names each of its wallets. */
static void check_no_catch_up_loads(const char *const *argv0, int python) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    bce_manager_t *m;
    bce_coin_desc_t p;
    char port[16], out[4096];
    const char *argv[] = {python ? "/usr/bin/python3" : FAKE_DAEMON, python ? "tests/fake_daemon.py" : "--port",
                          python ? "--port" : port, python ? port : NULL, NULL};
    CHECK_INT(daemon_start(&d, argv0), 0);
    snprintf(port, sizeof port, "%d", d.port);
    c = ws_coin(&d, "nocu-w", NULL);
    bce_on(c, "new_transaction", on_seq, t);
    ws_opts(&o, t);
    o.disable_catch_up = 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(d.port, "nocu-w"), 5000);
    CHECK(daemon_loaded(d.port, "nocu-w"));
    daemon_inject_seq(d.port, "nocu-w", 0, 5);
    STEP_UNTIL(bce_coin_step, c, t->total == 5, 5000);
    CHECK_INT(t->total, 5);
    CHECK_INT(daemon_rpc(d.port, "get_updates", "nocu-w", out, sizeof out), 0);
    CHECK(strstr(out, "\"seq\":4") != NULL);          /* not drained by the library */
    CHECK_INT(restart_daemon(&d, argv), 0);             /* a new daemon knows no wallet */
    STEP_UNTIL(bce_coin_step, c, t->connects == 2 && daemon_loaded(d.port, "nocu-w"), 8000);
    CHECK(daemon_loaded(d.port, "nocu-w"));
    daemon_inject_seq(d.port, "nocu-w", 5, 5);
    STEP_UNTIL(bce_coin_step, c, t->total == 10, 5000);
    CHECK_INT(t->total, 10);
    CHECK_INT(gaps(t, 10), 0);
    bce_coin_destroy(c);
    /* the manager: every wallet of the currency */
    m = bce_manager_create(NULL);
    memset(&p, 0, sizeof p);
    p.url = d.url;
    p.logger.level = -1;
    bce_manager_configure(m, "BTC", &p);
    bce_manager_add_wallet(m, "BTC", "nocu-m1");
    bce_manager_add_wallet(m, "BTC", "nocu-m2");
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    STEP_UNTIL(bce_manager_step, m, daemon_loaded(d.port, "nocu-m1") && daemon_loaded(d.port, "nocu-m2"), 5000);
    CHECK(daemon_loaded(d.port, "nocu-m1") && daemon_loaded(d.port, "nocu-m2"));
    bce_manager_destroy(m);
    daemon_stop(&d);
    free(t);
}
static void test_no_catch_up_loads_c(void) { check_no_catch_up_loads(c_argv, 0); }
static void test_no_catch_up_loads_py(void) { check_no_catch_up_loads(py_argv, 1); }

/* Runs a coin (poll 0: websocket) until it ends, at most 15 s; 1 when still running. */
static int coin_run_result(bce_coin_t *c, const bce_ws_opts_t *o, int poll) {
    long long deadline = _bce_now_ms() + 15000;
    int r = poll ? bce_coin_start_polling(c, 50) : bce_coin_begin_websocket(c, o);
    if (r != BCE_OK) return r;
    while ((r = bce_coin_step(c, 50)) == 1 && _bce_now_ms() < deadline) {}
    if (r == 1) {
        bce_stop(c);
        while (bce_coin_step(c, 50) == 1) {}
        return 1;
    }
    return r;
}

/* Counts the log lines about a wallet the daemon cannot load, and the last one's level. */
typedef struct wallet_log_t {
    int tries, last_level;
    char last[256];
} wallet_log_t;
static void wallet_log_fn(int level, const char *message, void *ud) {
    wallet_log_t *l = (wallet_log_t *)ud;
    if (!strstr(message, "cannot load wallet")) return;
    l->tries++;
    l->last_level = level;
    snprintf(l->last, sizeof l->last, "%s", message);
}

/* A key the daemon cannot load (-32005, which is also the daemon's answer to any failure while
   loading) ends every kind of run with BCE_ERR_WALLET once it came BCE_WALLET_ERROR_TRIES
   times in a row for the wallet: websocket with catch-up, without it, polling, and a
   manager's; each attempt is logged naming the wallet; the daemon's code and whole message
   are kept. */
static void check_permanent_wallet_error(const char *const *argv) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    bce_manager_t *m;
    bce_coin_desc_t p;
    wallet_log_t wl;
    const char *msg = NULL;
    int mode;
    CHECK_INT(daemon_start(&d, argv), 0);
    for (mode = 0; mode < 3; mode++) {
        bce_coin_desc_t desc;
        memset(&desc, 0, sizeof desc);
        memset(&wl, 0, sizeof wl);
        desc.url = d.url;
        desc.xpub = BAD_KEY;
        desc.logger.fn = wallet_log_fn;
        desc.logger.user_data = &wl;
        c = bce_coin_create(&desc);
        ws_opts(&o, t);
        o.disable_catch_up = mode == 1;
        CHECK_INT(coin_run_result(c, &o, mode == 2), BCE_ERR_WALLET);
        CHECK_INT(wl.tries, BCE_WALLET_ERROR_TRIES);
        CHECK_INT(wl.last_level, BCE_LOG_ERROR);
        CHECK(strstr(wl.last, "vpub5Exa") != NULL);      /* names the wallet (the key's start) */
        CHECK_INT(bce_coin_last_rpc_error(c, &msg), -32005);
        CHECK_STR(msg, "Seed or key not recognized");
        bce_coin_destroy(c);
    }
    for (mode = 0; mode < 2; mode++) {
        bce_coin_t *bad;
        long long deadline = _bce_now_ms() + 15000;
        int r;
        bce_manager_desc_t md;
        memset(&md, 0, sizeof md);
        memset(&wl, 0, sizeof wl);
        md.logger.fn = wallet_log_fn;
        md.logger.user_data = &wl;
        m = bce_manager_create(&md);
        memset(&p, 0, sizeof p);
        p.url = d.url;
        p.logger.level = -1;
        bce_manager_configure(m, "BTC", &p);
        bce_manager_add_wallet(m, "BTC", "fine-w");
        bad = bce_manager_add_wallet(m, "BTC", BAD_KEY);
        ws_opts(&o, t);
        r = mode ? bce_manager_start_polling(m, 50) : bce_manager_begin_websocket(m, NULL, &o);
        CHECK_INT(r, BCE_OK);
        while ((r = bce_manager_step(m, 50)) == 1 && _bce_now_ms() < deadline) {}
        CHECK_INT(r, BCE_ERR_WALLET);
        CHECK_INT(wl.tries, BCE_WALLET_ERROR_TRIES);
        CHECK_INT(bce_coin_last_rpc_error(bad, &msg), -32005);   /* the wallet that ended it */
        CHECK_STR(msg, "Seed or key not recognized");
        CHECK_INT(bce_coin_last_rpc_error(bce_manager_wallet(m, "BTC", "fine-w"), NULL), 0);
        if (r == 1) {
            bce_manager_stop(m);
            while (bce_manager_step(m, 50) == 1) {}
        }
        bce_manager_destroy(m);
    }
    daemon_stop(&d);
    free(t);
}
static void test_permanent_wallet_error_c(void) { check_permanent_wallet_error(c_argv); }
static void test_permanent_wallet_error_py(void) { check_permanent_wallet_error(py_argv); }

/* The last JSON-RPC error as data: the code and the whole message (bounded, no control
   bytes); the error's name and docstring from /spec, fetched once. */
static void check_rpc_error_data(const char *const *argv) {
    daemon_t d;
    bce_coin_t *c;
    static char params[8192], out[64];
    char name[64], doc[128];
    const char *msg = NULL;
    size_t n, o = 0, i;
    long before;
    CHECK_INT(daemon_start(&d, argv), 0);
    c = ws_coin(&d, "err-w", NULL);
    CHECK_INT(bce_coin_last_rpc_error(c, &msg), 0);
    CHECK_STR(msg, "");
    o += (size_t)snprintf(params + o, sizeof params - o, "[-32603, \"line1\\nline2\\u0007\\u00e9 ");
    for (i = 0; i < 1500; i++) params[o++] = (char)('a' + i % 26);
    o += (size_t)snprintf(params + o, sizeof params - o, " end\"]");
    CHECK_INT(bce_rpc(c, "test_error", params, out, sizeof out, &n), BCE_ERR_RPC);
    CHECK_INT(bce_coin_last_rpc_error(c, &msg), -32603);
    CHECK_INT(strlen(msg), BCE_RPC_MESSAGE_MAX - 1);
    CHECK(strncmp(msg, "line1?line2?\xc3\xa9 abcdefghijklmnopqrstuvwxyzabc", 40) == 0);
    for (i = 0; msg[i]; i++) CHECK((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f);
    CHECK(strlen(bce_coin_last_error(c)) < BCE_LOG_LINE_MAX);      /* the log text stays short */
    /* bce_rpc: a JSON-RPC error is BCE_ERR_AUTH or BCE_ERR_RPC, -32005 too (the code is data) */
    CHECK_INT(bce_rpc(c, "test_error", "[-32005, \"Seed or key not recognized\"]", out, sizeof out, &n), BCE_ERR_RPC);
    CHECK_INT(bce_coin_last_rpc_error(c, &msg), -32005);
    CHECK_STR(msg, "Seed or key not recognized");
    CHECK_INT(bce_rpc(c, "test_echo", "[1]", out, sizeof out, &n), BCE_OK);
    CHECK_INT(bce_coin_last_rpc_error(c, NULL), -32005);             /* the last error is kept */
    before = stats_field(d.port, "requests");
    CHECK_INT(bce_rpc_error_name(c, -32601, name, sizeof name, doc, sizeof doc), BCE_OK);
    CHECK_STR(name, "ProcedureNotFoundError");
    CHECK_STR(doc, "Procedure not found");
    CHECK_INT(bce_rpc_error_name(c, -32000, name, sizeof name, NULL, 0), BCE_OK);
    CHECK_STR(name, "WalletNotLoadedError");
    CHECK_INT(bce_rpc_error_name(c, -32005, name, sizeof name, doc, sizeof doc), BCE_OK);   /* as btc.json */
    CHECK_STR(name, "LoadingWalletError");
    CHECK_STR(doc, "Error loading wallet: seed or key not recognized");
    CHECK_INT(bce_rpc_error_name(c, -32600, name, sizeof name, NULL, 0), BCE_OK);  /* not in the spec */
    CHECK_STR(name, "UnauthorizedError");
    CHECK_INT(bce_rpc_error_name(c, -31999, name, sizeof name, NULL, 0), BCE_ERR_UNSUPPORTED);
    CHECK_INT(bce_rpc_error_name(c, -32601, name, 5, NULL, 0), BCE_ERR_LIMIT);
    CHECK_INT(stats_field(d.port, "requests") - before, 2);   /* one GET /spec + the stats call itself */
    bce_coin_destroy(c);
    daemon_stop(&d);
}
static void test_rpc_error_data_c(void) { check_rpc_error_data(c_argv); }
static void test_rpc_error_data_py(void) { check_rpc_error_data(py_argv); }

static long long g_heights[4];
static void on_height(const bce_event_t *ev, void *ud) {
    long long h = 0;
    (void)ud;
    if (bce_event_int(ev, "height", &h) && h >= 100 && h < 104) g_heights[h - 100]++;
}

/* new_block: a daemon's own repeat (the height it announces again after a restart) is
   delivered; a catch-up copy of a block the websocket delivered (and the reverse) is not. */
static void check_block_rule(int python) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_t *c;
    char port[16];
    const char *argv[] = {python ? "/usr/bin/python3" : FAKE_DAEMON, python ? "tests/fake_daemon.py" : "--port",
                          python ? "--port" : port, python ? port : "--height", python ? "--height" : "100",
                          python ? "100" : NULL, NULL};
    const char *argv0[] = {python ? "/usr/bin/python3" : FAKE_DAEMON, python ? "tests/fake_daemon.py" : "--port",
                           python ? "--port" : "0", python ? "0" : "--height", python ? "--height" : "100",
                           python ? "100" : NULL, NULL};
    memset(g_heights, 0, sizeof g_heights);
    CHECK_INT(daemon_start(&d, argv0), 0);
    snprintf(port, sizeof port, "%d", d.port);
    c = ws_coin(&d, "block-w", NULL);
    bce_on(c, "new_block", on_height, NULL);
    ws_opts(&o, t);
    o.drain_interval_ms = 100;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, g_heights[0] == 1 && daemon_loaded(d.port, "block-w"), 5000);
    CHECK_INT(g_heights[0], 1);
    daemon_inject(d.port, NULL, "[{\"event\":\"new_block\",\"height\":101}]");   /* websocket and queue */
    STEP_UNTIL(bce_coin_step, c, 0, 500);
    CHECK_INT(g_heights[1], 1);
    CHECK_INT(restart_daemon(&d, argv), 0);
    STEP_UNTIL(bce_coin_step, c, g_heights[0] == 2 && daemon_loaded(d.port, "block-w"), 8000);
    CHECK_INT(g_heights[0], 2);          /* announced again by the restarted daemon: delivered */
    daemon_inject(d.port, NULL, "[{\"event\":\"new_block\",\"height\":102}]");
    STEP_UNTIL(bce_coin_step, c, 0, 500);
    CHECK_INT(g_heights[2], 1);
    CHECK_INT(g_heights[1], 1);
    CHECK_INT(t->connects, 2);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}
static void test_block_rule_c(void) { check_block_rule(0); }
static void test_block_rule_py(void) { check_block_rule(1); }

/* A password with ':' is warned about when configured, and the daemon's HTTP 500 names it. */
static void check_colon_password(int python) {
    const char *argv[] = {python ? "/usr/bin/python3" : FAKE_DAEMON, python ? "tests/fake_daemon.py" : "--port",
                          python ? "--port" : "0", python ? "0" : "--password", python ? "--password" : "pa:ss",
                          python ? "pa:ss" : NULL, NULL};
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    test_log_t log;
    bce_coin_desc_t desc;
    bce_ws_opts_t o;
    bce_coin_t *c;
    bce_manager_t *m;
    char out[64];
    size_t n;
    CHECK_INT(daemon_start(&d, argv), 0);
    memset(&log, 0, sizeof log);
    memset(&desc, 0, sizeof desc);
    desc.url = d.url;
    desc.xpub = "colon-w";
    desc.password = "pa:ss";
    desc.logger.fn = test_log_fn;
    desc.logger.user_data = &log;
    c = bce_coin_create(&desc);
    CHECK(c != NULL);
    CHECK_INT(log.count, 1);
    CHECK_INT(log.last_level, BCE_LOG_WARN);
    CHECK(strstr(log.last, "':'") != NULL);
    CHECK(strstr(log.last, "pa:ss") == NULL);        /* never the password itself */
    desc.logger.level = -1;
    ws_opts(&o, t);
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_HTTP);
    CHECK(strstr(bce_coin_last_error(c), "HTTP 500") != NULL);
    CHECK(strstr(bce_coin_last_error(c), "':'") != NULL);
    CHECK_INT(bce_rpc(c, "test_echo", "[1]", out, sizeof out, &n), BCE_ERR_HTTP);
    CHECK(strstr(bce_coin_last_error(c), "':'") != NULL);
    bce_coin_destroy(c);
    memset(&log, 0, sizeof log);
    desc.xpub = NULL;
    desc.logger.level = 0;
    m = bce_manager_create(NULL);
    CHECK_INT(bce_manager_configure(m, "BTC", &desc), BCE_OK);
    CHECK_INT(log.count, 1);
    CHECK(strstr(log.last, "':'") != NULL);
    bce_manager_destroy(m);
    /* a password without ':' says nothing of the kind */
    memset(&log, 0, sizeof log);
    desc.password = "plain";
    c = bce_coin_create(&desc);
    CHECK_INT(log.count, 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}
static void test_colon_password_c(void) { check_colon_password(0); }
static void test_colon_password_py(void) { check_colon_password(1); }

/* ---- an answer that arrived in time survives a late step (issue 13 follow-up) ---- */

static void sleep_ms(long n) {
    struct timespec ts;
    ts.tv_sec = n / 1000;
    ts.tv_nsec = (n % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* A caller that blocks longer than rpc_timeout_ms between two steps (a slow handler, a long
   --exec) must not lose the catch-up answer the daemon sent meanwhile: the daemon emptied its
   queue when it answered. The sleep is the scenario, not a synchronisation. The same for the
   websocket upgrade answer against connect_timeout_ms. */
static void check_late_step(const char *const *argv) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_coin_desc_t desc;
    bce_coin_t *c;
    char out[256];
    size_t n;
    long long t0;
    CHECK_INT(daemon_start(&d, argv), 0);
    memset(&desc, 0, sizeof desc);
    desc.url = d.url;
    desc.xpub = "late-w";
    desc.rpc_timeout_ms = 300;
    desc.connect_timeout_ms = 300;
    desc.logger.level = -1;
    c = bce_coin_create(&desc);
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_rpc(c, "getbalance", NULL, out, sizeof out, &n), BCE_OK);     /* the daemon loads it */
    daemon_inject_seq(d.port, "late-w", 0, 2);          /* queued only: no websocket yet */
    ws_opts(&o, t);
    o.force_connect = 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (t->connects == 0 && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 5);
    CHECK(_bce_rpc_busy(&c->solo->link.rpc) && c->solo->link.rpc.state != _BCE_RPC_RECEIVING);      /* catch-up begun, not sent */
    kill(d.pid, SIGSTOP);                               /* so that no step can read the answer */
    while (c->solo->link.rpc.state != _BCE_RPC_RECEIVING && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 5);
    CHECK_INT(c->solo->link.rpc.state, _BCE_RPC_RECEIVING);        /* the catch-up call went out */
    kill(d.pid, SIGCONT);
    {
        struct pollfd p;
        p.fd = c->solo->link.rpc.conn.fd;
        p.events = POLLIN;
        CHECK_INT(poll(&p, 1, 5000), 1);
    }
    sleep_ms(600);                                      /* blocked past rpc_timeout_ms */
    bce_coin_step(c, 0);
    CHECK_INT(t->total, 2);                             /* the answer that came meanwhile counts */
    CHECK_INT(gaps(t, 2), 0);
    STEP_UNTIL(bce_coin_step, c, 0, 100);
    CHECK_INT(t->total, 2);
    bce_stop(c);
    while (bce_coin_step(c, 20) == 1) {}
    /* the upgrade answer: the request went out, the caller blocks past connect_timeout_ms */
    memset(t, 0, sizeof *t);
    o.disable_catch_up = 1;
    o.disable_wallet_load = 1;
    kill(d.pid, SIGSTOP);                               /* the kernel accepts; nobody answers yet */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (c->solo->link.ws.state != _BCE_WS_HANDSHAKE && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 5);
    CHECK_INT(c->solo->link.ws.state, _BCE_WS_HANDSHAKE);
    kill(d.pid, SIGCONT);
    {   /* the answer arrives (no step reads it) */
        struct pollfd p;
        p.fd = c->solo->link.ws.conn.fd;
        p.events = POLLIN;
        CHECK_INT(poll(&p, 1, 5000), 1);
    }
    sleep_ms(600);
    bce_coin_step(c, 0);
    CHECK_INT(t->connects, 1);
    CHECK_INT(t->disconnects, 0);
    CHECK_INT(c->solo->link.ws.state, _BCE_WS_OPEN);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(t);
}
static void test_late_step_c(void) { check_late_step(c_argv); }
static void test_late_step_py(void) { check_late_step(py_argv); }

/* A manager that logs nothing, with BTC's settings pointing at daemon d. */
static bce_manager_t *quiet_btc_manager(const daemon_t *d) {
    bce_manager_desc_t md;
    bce_coin_desc_t p;
    bce_manager_t *m;
    memset(&md, 0, sizeof md);
    md.logger.level = -1;
    m = bce_manager_create(&md);
    memset(&p, 0, sizeof p);
    p.url = d->url;
    p.logger.level = -1;
    bce_manager_configure(m, "BTC", &p);
    return m;
}

/* A manager's failed catch-up call releases the websocket updates held for the round at once,
   as a coin's does, instead of at the end of the round (with N wallets and a hanging daemon
   they would wait N x rpc_timeout_ms): while the round goes on with the next wallet, nothing
   is held any more. */
static void test_manager_release_at_failure(void) {
    daemon_t d;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_ws_opts_t o;
    bce_manager_t *m;
    bce_coin_t *bad;
    _bce_link_t *mc;
    size_t k, ibad = 0, after = 0;
    long long t0;
    int seen = 0;
    char name[16];
    CHECK_INT(daemon_start(&d, c_argv), 0);
    m = quiet_btc_manager(&d);
    bad = bce_manager_add_wallet(m, "BTC", BAD_KEY);
    for (k = 0; k < 6; k++) {
        snprintf(name, sizeof name, "rel-%u", (unsigned)k);
        bce_manager_add_wallet(m, "BTC", name);
    }
    mc = &m->cur[_bce_currency_find("BTC")];
    for (k = 0; k < mc->nslots; k++)
        if (mc->slots[k] == bad) ibad = k;
    for (k = ibad + 1; k < mc->nslots; k++) after += mc->slots[k] != NULL;
    CHECK(after > 0);               /* the round goes on after the bad wallet */
    ws_opts(&o, t);
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (!seen && _bce_now_ms() - t0 < 5000 && bce_manager_step(m, 20) == 1) {
        if (bce_coin_last_rpc_error(bad, NULL) == -32005 && mc->in_round && mc->cursor > ibad + 1
            && mc->current && mc->current != bad && _bce_rpc_busy(&mc->rpc)) {
            CHECK_INT(mc->hold.on, 0);  /* released at the failure, not at the end of the round */
            seen = 1;
        }
    }
    CHECK(seen);
    bce_manager_destroy(m);
    daemon_stop(&d);
    free(t);
}

/* The count behind BCE_ERR_WALLET: consecutive -32005/-32000 answers for one wallet; a success
   resets it, other failures neither count nor reset it. */
static void test_wallet_error_count(void) {
    bce_coin_desc_t desc;
    bce_coin_t *c;
    _bce_rpc_t rpc;
    int i;
    memset(&desc, 0, sizeof desc);
    desc.xpub = "count-w";
    desc.logger.level = -1;
    c = bce_coin_create(&desc);
    memset(&rpc, 0, sizeof rpc);
    rpc.rpc_code = -32005;
    for (i = 0; i < 5; i++) {          /* a passing failure: two, a success, two, a success ... */
        CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_OK);
        CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_OK);
        CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_OK), BCE_OK);
    }
    CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_OK);
    CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_TIMEOUT), BCE_OK);  /* not counted */
    rpc.rpc_code = -32000;
    CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_OK);
    rpc.rpc_code = -32603;
    CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_OK);      /* another code */
    rpc.rpc_code = -32005;
    CHECK_INT(_bce_wallet_tries(c, &c->desc.logger, &rpc, BCE_ERR_RPC), BCE_ERR_WALLET);   /* the third */
    bce_coin_destroy(c);
}

/* Periodic drains are paced per currency (drain_rate, default 20 calls a second), the catch-up
   round after a connect is not. 40 wallets, drains due every 50 ms: unpaced that is hundreds
   of get_updates a second; paced, at most 20 (+2 for the window's edges and this test's own
   stats requests, which the daemon counts too). */
static long drain_calls(const char *const *argv, int rate, long long *round_ms) {
    daemon_t d;
    bce_manager_t *m;
    bce_ws_opts_t o;
    _bce_link_t *l;
    long r0, r1;
    long long t0;
    char name[16];
    int k, opened = 0;
    CHECK_INT(daemon_start(&d, argv), 0);
    m = quiet_btc_manager(&d);
    for (k = 0; k < 40; k++) {
        snprintf(name, sizeof name, "drain-%d", k);
        bce_manager_add_wallet(m, "BTC", name);
    }
    memset(&o, 0, sizeof o);
    o.drain_interval_ms = 50;
    o.drain_rate = rate;
    l = &m->cur[_bce_currency_find("BTC")];
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    t0 = _bce_now_ms();
    /* the first round: every wallet once, back to back */
    while (_bce_now_ms() - t0 < 5000 && bce_manager_step(m, 10) == 1) {
        if (l->ws.state == _BCE_WS_OPEN && l->in_round) opened = 1;
        if (opened && !l->in_round) break;
    }
    CHECK(opened && !l->in_round);
    *round_ms = _bce_now_ms() - t0;
    r0 = stats_field(d.port, "requests");
    t0 = _bce_now_ms();
    while (_bce_now_ms() - t0 < 1000) CHECK_INT(bce_manager_step(m, 10), 1);
    r1 = stats_field(d.port, "requests");
    bce_manager_destroy(m);
    daemon_stop(&d);
    return r1 - r0 - 1;
}

static void check_drain_rate(const char *const *argv) {
    long long round_ms = 0;
    long paced = drain_calls(argv, 0, &round_ms), unpaced;
    CHECK(round_ms < 3000);                 /* the catch-up round itself is not paced */
    if (paced > 22 || paced < 10) fprintf(stderr, "  paced: %ld calls in 1 s\n", paced);
    CHECK(paced <= 22);
    CHECK(paced >= 10);
    unpaced = drain_calls(argv, -1, &round_ms);
    if (unpaced <= 60) fprintf(stderr, "  unpaced: %ld calls in 1 s\n", unpaced);
    CHECK(unpaced > 60);
}

static void test_drain_rate_c(void) { check_drain_rate(c_argv); }
static void test_drain_rate_py(void) { check_drain_rate(py_argv); }

/* Review of issue 15. Wallets added while a manager runs get their share of the deduplication
   records (they were all sharing the share of the wallets held at start: the drain delivered
   the websocket's updates a second time). */
#define RT_W 4
#define RT_PER 8
static int rt_count[RT_W][RT_PER], rt_connected;
static void rt_on_tx(const bce_event_t *ev, void *ud) {
    const char *w = bce_event_wallet(ev), *tx = bce_event_str(ev, "tx");
    int wi, ti;
    (void)ud;
    if (w && tx && sscanf(w, "rt%d", &wi) == 1 && sscanf(tx, "t%d", &ti) == 1 && wi >= 0 && wi < RT_W && ti >= 0
        && ti < RT_PER)
        rt_count[wi][ti]++;
}
static void rt_on_conn(bce_coin_t *c, const char *cur, void *ud) { (void)c; (void)cur; (void)ud; rt_connected = 1; }
static void test_wallets_added_while_running(void) {
    daemon_t d;
    bce_manager_t *m;
    bce_ws_opts_t o;
    char key[16], out[512], buf[4096];
    int i, k, dups = 0, miss = 0;
    long long t0;
    memset(rt_count, 0, sizeof rt_count);
    rt_connected = 0;
    CHECK_INT(daemon_start(&d, c_argv), 0);
    m = quiet_btc_manager(&d);
    bce_manager_on(m, "new_transaction", rt_on_tx, NULL);
    memset(&o, 0, sizeof o);
    o.on_connect = rt_on_conn;
    o.dedup_entries = 16;
    o.drain_interval_ms = 1000;
    o.drain_rate = -1;
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    STEP_UNTIL(bce_manager_step, m, rt_connected, 5000);
    for (i = 0; i < RT_W; i++) {        /* invoices were created: wallets arrive while it runs */
        snprintf(key, sizeof key, "rt%d", i);
        CHECK(bce_manager_add_wallet(m, "BTC", key) != NULL);
        daemon_rpc(d.port, "getbalance", key, out, sizeof out);     /* loaded, as a first drain would */
    }
    CHECK_INT(m->cur[_bce_currency_find("BTC")].seen.max, 16 * RT_W);
    for (i = 0; i < RT_W; i++) {
        size_t n = (size_t)snprintf(buf, sizeof buf, "[");
        for (k = 0; k < RT_PER; k++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\"}", k ? "," : "", k);
        snprintf(buf + n, sizeof buf - n, "]");
        snprintf(key, sizeof key, "rt%d", i);
        daemon_inject(d.port, key, buf);
    }
    t0 = _bce_now_ms();                 /* the websocket delivers them all, then a drain round */
    while (_bce_now_ms() - t0 < 2500) bce_manager_step(m, 20);
    for (i = 0; i < RT_W; i++)
        for (k = 0; k < RT_PER; k++) {
            dups += rt_count[i][k] > 1;
            miss += rt_count[i][k] == 0;
        }
    CHECK_INT(dups, 0);
    CHECK_INT(miss, 0);
    bce_manager_destroy(m);
    daemon_stop(&d);
}

/* Review of issue 15. A failed round is retried after BCE_CATCHUP_RETRY_MS unpaced, like the
   catch-up round: drain_rate paces periodic drains only. 60 wallets and one the daemon cannot
   load: BCE_ERR_WALLET after three rounds, about 2 * BCE_CATCHUP_RETRY_MS (paced retries took
   3 s more each). */
static void test_retry_not_paced(void) {
    daemon_t d;
    bce_manager_t *m;
    bce_ws_opts_t o;
    char key[16];
    long long t0;
    int i, r;
    CHECK_INT(daemon_start(&d, c_argv), 0);
    m = quiet_btc_manager(&d);
    for (i = 0; i < 60; i++) {
        snprintf(key, sizeof key, "retry-%d", i);
        bce_manager_add_wallet(m, "BTC", key);
    }
    bce_manager_add_wallet(m, "BTC", BAD_KEY);
    memset(&o, 0, sizeof o);
    o.drain_interval_ms = -1;
    t0 = _bce_now_ms();
    r = bce_manager_start_websocket(m, &o);
    CHECK_INT(r, BCE_ERR_WALLET);
    if (_bce_now_ms() - t0 >= 2 * BCE_CATCHUP_RETRY_MS + 2000)
        fprintf(stderr, "  BCE_ERR_WALLET after %lld ms\n", _bce_now_ms() - t0);
    CHECK(_bce_now_ms() - t0 < 2 * BCE_CATCHUP_RETRY_MS + 2000);
    bce_manager_destroy(m);
    daemon_stop(&d);
}

/* Review of issue 15. A websocket message naming a currency outside the run (a daemon speaking
   for another currency, or a message without "currency": BTC) is deduplicated in the records
   of the link that received it: the other link's records are not kept (they leaked at its
   next setup). */
static int ol_opens, ol_got;
static void ol_on_conn(bce_coin_t *c, const char *cur, void *ud) { (void)c; (void)cur; (void)ud; ol_opens++; }
static void ol_on_tx(const bce_event_t *ev, void *ud) { (void)ev; (void)ud; ol_got++; }
static void test_other_currency_records(void) {
    static const char *const ltc_argv[] = {FAKE_DAEMON, "--port", "0", "--currency", "LTC", NULL};
    daemon_t d;
    bce_manager_t *m;
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    _bce_link_t *ltc;
    long long t0;
    ol_opens = ol_got = 0;
    CHECK_INT(daemon_start(&d, ltc_argv), 0);
    m = quiet_btc_manager(&d);
    memset(&p, 0, sizeof p);
    p.url = d.url;
    p.logger.level = -1;
    bce_manager_configure(m, "LTC", &p);
    bce_manager_add_wallet(m, "LTC", "other-ltc");
    bce_manager_on(m, "new_transaction", ol_on_tx, NULL);
    memset(&o, 0, sizeof o);
    o.on_connect = ol_on_conn;
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);      /* first both currencies ... */
    STEP_UNTIL(bce_manager_step, m, ol_opens == 2, 5000);
    bce_manager_stop(m);
    while (bce_manager_step(m, 10) > 0) {}
    bce_manager_configure(m, "LTC", &p);                              /* LTC's link released */
    ol_opens = 0;
    CHECK_INT(bce_manager_begin_websocket(m, "BTC", &o), BCE_OK);     /* ... then BTC only; its daemon speaks for LTC */
    STEP_UNTIL(bce_manager_step, m, ol_opens == 1, 5000);
    {
        char out[512];
        daemon_rpc(d.port, "getbalance", "other-ltc", out, sizeof out);
    }
    daemon_inject(d.port, "other-ltc", "[{\"event\":\"new_transaction\",\"tx\":\"t1\"}]");
    STEP_UNTIL(bce_manager_step, m, ol_got == 1, 5000);
    CHECK_INT(ol_got, 1);
    ltc = &m->cur[_bce_currency_find("LTC")];
    CHECK_INT(ltc->seen.n + ltc->gseen.n, 0);
    t0 = _bce_now_ms();
    while (_bce_now_ms() - t0 < 100) bce_manager_step(m, 10);
    bce_manager_stop(m);
    while (bce_manager_step(m, 10) > 0) {}
    ol_opens = 0;
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);      /* LTC's link made again */
    STEP_UNTIL(bce_manager_step, m, ol_opens == 2, 5000);
    bce_manager_stop(m);
    while (bce_manager_step(m, 10) > 0) {}
    bce_manager_destroy(m);
    daemon_stop(&d);
}

/* Review of issue 15. drain_rate's pacing in whole milliseconds, without overflow. */
static void test_drain_rate_values(void) {
    static const struct { int rate, gap; } cases[] = {{1, 1000}, {3, 334}, {20, 50}, {999, 2}, {1000, 1},
                                                      {5000, 1}, {INT_MAX, 1}, {-1, 0}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        _bce_run_t run;
        bce_ws_opts_t o;
        memset(&run, 0, sizeof run);
        memset(&o, 0, sizeof o);
        run.wake[0] = run.wake[1] = -1;
        o.drain_rate = cases[i].rate;
        CHECK_INT(_bce_run_begin(&run, _BCE_MODE_WS, 0, &o), BCE_OK);
        CHECK_INT(run.drain_gap_ms, cases[i].gap);
        _bce_close_fd(&run.wake[0]);
        _bce_close_fd(&run.wake[1]);
    }
}

int main(void) {
    signal(SIGPIPE, SIG_DFL);
    RUN(test_drops_aiohttp);
    RUN(test_drops_c_daemon);
    RUN(test_daemon_restart);
    RUN(test_frozen_daemon);
    RUN(test_nothing_listening);
    RUN(test_wrong_password);
    RUN(test_manager_run_ends);
    RUN(test_manager_two_daemons);
    RUN(test_stop_everywhere);
    RUN(test_catch_up_order_coin);
    RUN(test_catch_up_order_aiohttp);
    RUN(test_catch_up_order_manager);
    RUN(test_catch_up_hold_off);
    RUN(test_no_catch_up_loads_c);
    RUN(test_no_catch_up_loads_py);
    RUN(test_permanent_wallet_error_c);
    RUN(test_permanent_wallet_error_py);
    RUN(test_rpc_error_data_c);
    RUN(test_rpc_error_data_py);
    RUN(test_block_rule_c);
    RUN(test_block_rule_py);
    RUN(test_colon_password_c);
    RUN(test_colon_password_py);
    RUN(test_late_step_c);
    RUN(test_late_step_py);
    RUN(test_manager_release_at_failure);
    RUN(test_wallet_error_count);
    RUN(test_drain_rate_c);
    RUN(test_drain_rate_py);
    RUN(test_wallets_added_while_running);
    RUN(test_retry_not_paced);
    RUN(test_other_currency_records);
    RUN(test_drain_rate_values);
    TEST_MAIN_END("test_ws");
}
