/* tests/test_net.c: JSON-RPC and polling against the fake daemons (C, and Python on aiohttp:
   the real daemon's server stack). The URL and HTTP response parsers on their own are in
   tests/test_http.c. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"
#include <pthread.h>
#include <sys/time.h>

static const char *const c_daemon[] = {FAKE_DAEMON, "--port", "0", NULL};
static const char *const py_daemon[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", NULL};

static long long ms_now(void) { return _bce_now_ms(); }

/* ---- against the daemons ---- */

static bce_coin_t *coin_for(const daemon_t *d, const char *xpub, const char *password, test_log_t *log) {
    bce_coin_desc_t desc;
    memset(&desc, 0, sizeof desc);
    desc.url = d->url;
    desc.xpub = xpub;
    desc.password = password;
    desc.rpc_timeout_ms = 10000;
    if (log) {
        desc.logger.fn = test_log_fn;
        desc.logger.user_data = log;
    }
    return bce_coin_create(&desc);
}

static void check_rpc(const daemon_t *d) {
    char out[256];
    size_t n = 0;
    test_log_t log;
    bce_coin_t *c;
    bce_coin_desc_t desc;
    memset(&log, 0, sizeof log);
    c = coin_for(d, "vpub5Y\"q", NULL, &log);
    CHECK_INT(bce_rpc(c, "test_echo", "[1, \"two\", [3]]", out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[1,\"two\",[3],{\"xpub\":\"vpub5Y\\\"q\"}]");
    CHECK_INT(n, strlen(out));
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":\"vpub5Y\\\"q\"}]");
    CHECK_INT(bce_rpc(c, "test_echo", " [ ] ", out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":\"vpub5Y\\\"q\"}]");
    /* too small: the size needed, nothing written past the buffer */
    memset(out, '#', sizeof out);
    CHECK_INT(bce_rpc(c, "test_big", "[100]", out, 50, &n), BCE_ERR_LIMIT);
    CHECK_INT(n, 103);
    CHECK_INT(out[50], '#');
    CHECK_INT(bce_rpc(c, "test_big", "[100]", out, 103, &n), BCE_OK);
    CHECK_INT(n, 102);
    /* JSON-RPC errors */
    CHECK_INT(bce_rpc(c, "no_such_method", NULL, out, sizeof out, &n), BCE_ERR_RPC);
    CHECK(strstr(bce_coin_last_error(c), "JSON-RPC error -32601") != NULL);
    CHECK_INT(bce_rpc(c, "test_error", "[-32005, \"wallet failed to load\"]", out, sizeof out, &n), BCE_ERR_RPC);
    CHECK_INT(bce_coin_last_rpc_error(c, NULL), -32005);
    CHECK_STR(bce_coin_last_error(c), "JSON-RPC error -32005: wallet failed to load");
    CHECK_INT(bce_rpc(c, "test_error", "[-32600, \"Unauthorized\"]", out, sizeof out, &n), BCE_ERR_AUTH);
    /* bad arguments never reach the daemon */
    CHECK_INT(bce_rpc(c, "test_echo", "{\"a\":1}", out, sizeof out, &n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_rpc(c, "test_echo", "[1,", out, sizeof out, &n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_rpc(c, NULL, NULL, out, sizeof out, &n), BCE_ERR_INVALID_ARG);
    bce_coin_destroy(c);
    /* token and XMR wallets send the object form */
    memset(&desc, 0, sizeof desc);
    desc.url = d->url;
    desc.currency = "ETH";
    desc.xpub = "0xAbC";
    desc.contract = "0xdAC1";
    c = bce_coin_create(&desc);
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":{\"xpub\":\"0xAbC\",\"contract\":\"0xdAC1\"}}]");
    bce_coin_destroy(c);
    desc.currency = "XMR";
    desc.contract = NULL;
    desc.address = "4addr";
    c = bce_coin_create(&desc);
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":{\"xpub\":\"0xAbC\",\"address\":\"4addr\"}}]");
    bce_coin_destroy(c);
    /* a long path prefix still makes a request (the daemon answers 404 for it) */
    {
        char url[700];
        int k = snprintf(url, sizeof url, "%s/", d->url);
        memset(url + k, 'p', 480);
        url[k + 480] = 0;
        desc.url = url;
        desc.currency = "BTC";
        desc.xpub = "w";
        desc.address = NULL;
        c = bce_coin_create(&desc);
        CHECK(c != NULL);
        CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_ERR_HTTP);
        CHECK(strstr(bce_coin_last_error(c), "HTTP 404") != NULL);
        bce_coin_destroy(c);
        desc.url = d->url;
        desc.currency = "XMR";
        desc.xpub = "0xAbC";
        desc.address = "4addr";
    }
    /* no wallet: null */
    desc.xpub = NULL;
    desc.address = NULL;
    c = bce_coin_create(&desc);
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":null}]");
    bce_coin_destroy(c);
}

static void check_auth(const daemon_t *d) {
    char out[64];
    size_t n;
    long before;
    int r;
    test_log_t log;
    bce_coin_t *c;
    memset(&log, 0, sizeof log);
    c = coin_for(d, "w", "wrong", &log);
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_ERR_AUTH);
    CHECK(strstr(bce_coin_last_error(c), "-32600") != NULL);
    /* polling stops on the first authentication failure: no retry loop */
    before = stats_field(d->port, "requests");
    r = bce_poll_updates(c, 10);
    CHECK_INT(r, BCE_ERR_AUTH);
    CHECK_INT(stats_field(d->port, "requests") - before, 2);   /* the call and this stats request */
    CHECK_INT(log.last_level, BCE_LOG_ERROR);
    CHECK(strstr(log.last, "BCE_ERR_AUTH") != NULL);
    CHECK(strstr(log.last, "wrong") == NULL);   /* never the password */
    bce_coin_destroy(c);
}

typedef struct stream_t {
    int next;           /* next expected sequence number */
    int errors;
    int calls;
    bce_coin_t *stop_at_coin;
    int stop_at;
} stream_t;

static void on_seq(const bce_event_t *ev, void *ud) {
    stream_t *s = (stream_t *)ud;
    long long seq = -1;
    s->calls++;
    if (!bce_event_int(ev, "seq", &seq) || seq != s->next) s->errors++;
    s->next = (int)seq + 1;
    if (s->stop_at_coin && s->next == s->stop_at) bce_stop(s->stop_at_coin);
}

/* Polling through the non-blocking core: batches injected between steps arrive in order, with
   no gap, over one kept-alive connection. */
static void check_polling_stream(const daemon_t *d) {
    stream_t s;
    bce_coin_t *c;
    int batch = 0, steps = 0;
    long conns_before, conns;
    char out[64];
    size_t n;
    memset(&s, 0, sizeof s);
    c = coin_for(d, "wallet-stream", NULL, NULL);
    CHECK_INT(bce_on(c, "new_transaction", on_seq, &s), BCE_OK);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_OK);   /* loads the wallet */
    conns_before = stats_field(d->port, "connections");
    CHECK_INT(bce_coin_start_polling(c, 5), BCE_OK);
    CHECK_INT(bce_coin_start_polling(c, 5), BCE_ERR_STATE);
    while (s.next < 2000 && steps < 200000) {
        if (s.next == batch * 100) {
            daemon_inject_seq(d->port, "wallet-stream", batch * 100, 100);
            batch++;
        }
        CHECK(bce_coin_step(c, 100) == 1);
        steps++;
    }
    CHECK_INT(s.next, 2000);
    CHECK_INT(s.errors, 0);
    conns = stats_field(d->port, "connections") - conns_before;
    /* one per inject (20), one per stats call (1): the coin itself opened none */
    CHECK_INT(conns, 21);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 1000), 0);
    CHECK_INT(bce_coin_fds(c, NULL, 0), 0);
    bce_coin_destroy(c);
}

/* The daemon closes idle keep-alive connections: the next call reconnects transparently. */
static void check_idle_close(const daemon_t *d) {
    char out[64];
    size_t n;
    bce_coin_t *c = coin_for(d, "w-idle", NULL, NULL);
    int i;
    for (i = 0; i < 3; i++) {
        CHECK_INT(bce_rpc(c, "test_echo", "[1]", out, sizeof out, &n), BCE_OK);
        http_request(d->port, "POST", "/_test/close_idle", "{}", NULL, 0);
        CHECK_INT(bce_rpc(c, "test_echo", "[2]", out, sizeof out, &n), BCE_OK);
        CHECK_STR(out, "[2,{\"xpub\":\"w-idle\"}]");
    }
    bce_coin_destroy(c);
}

static void check_stop_from_handler(const daemon_t *d) {
    stream_t s;
    bce_coin_t *c;
    char out[64];
    size_t n;
    memset(&s, 0, sizeof s);
    c = coin_for(d, "w-stop", NULL, NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    daemon_inject_seq(d->port, "w-stop", 0, 10);
    s.stop_at_coin = c;
    s.stop_at = 5;
    bce_on(c, "new_transaction", on_seq, &s);
    CHECK_INT(bce_poll_updates(c, 60000), BCE_OK);
    CHECK_INT(s.next, 10);   /* the updates of the call that was running are all delivered */
    bce_coin_destroy(c);
}

static bce_coin_t *volatile signal_coin;
static void on_alarm(int sig) { (void)sig; bce_stop(signal_coin); }

static void *stop_later(void *arg) {
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    bce_stop((bce_coin_t *)arg);
    return NULL;
}

/* bce_stop from a signal handler and from another thread ends a 60 s interval wait at once. */
static void check_stop_signal_and_thread(const daemon_t *d) {
    bce_coin_t *c = coin_for(d, "w-sig", NULL, NULL);
    struct sigaction sa;
    struct itimerval it;
    pthread_t th;
    long long t0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 200000;
    signal_coin = c;
    t0 = ms_now();
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_INT(bce_poll_updates(c, 60000), BCE_OK);
    CHECK(ms_now() - t0 < 5000);
    t0 = ms_now();
    pthread_create(&th, NULL, stop_later, c);
    CHECK_INT(bce_poll_updates(c, 60000), BCE_OK);
    CHECK(ms_now() - t0 < 5000);
    pthread_join(th, NULL);
    signal(SIGALRM, SIG_DFL);
    bce_coin_destroy(c);
}

typedef struct mgr_seen_t {
    int btc, ltc, wrong;
    bce_coin_t *wb, *wl;
} mgr_seen_t;

static void on_mgr(const bce_event_t *ev, void *ud) {
    mgr_seen_t *s = (mgr_seen_t *)ud;
    if (bce_event_instance(ev) == s->wb && strcmp(bce_event_currency(ev), "BTC") == 0) s->btc++;
    else if (bce_event_instance(ev) == s->wl && strcmp(bce_event_currency(ev), "LTC") == 0) s->ltc++;
    else s->wrong++;
}

static void check_manager_polling(const daemon_t *d) {
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_desc_t p;
    mgr_seen_t s;
    char out[64];
    size_t n;
    int steps = 0;
    bce_fd_t fds[4];
    memset(&p, 0, sizeof p);
    memset(&s, 0, sizeof s);
    p.url = d->url;
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_OK);
    CHECK_INT(bce_manager_configure(m, "LTC", &p), BCE_OK);
    s.wb = bce_manager_add_wallet(m, "BTC", "mw-btc");
    s.wl = bce_manager_add_wallet(m, "LTC", "mw-ltc");
    bce_manager_add_wallet(m, "LTC", "mw-ltc-2");
    CHECK_INT(bce_rpc(s.wb, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_INT(bce_rpc(s.wl, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    daemon_inject_seq(d->port, "mw-btc", 0, 30);
    daemon_inject_seq(d->port, "mw-ltc", 0, 20);
    CHECK_INT(bce_manager_on(m, "new_transaction", on_mgr, &s), BCE_OK);
    CHECK_INT(bce_manager_start_polling(m, 10), BCE_OK);
    /* driven from our own poll(2) loop */
    while ((s.btc < 30 || s.ltc < 20) && steps++ < 10000) {
        struct pollfd pf[4];
        int k, nf = bce_manager_fds(m, fds, 4);
        CHECK(nf >= 1 && nf <= 4);
        if (nf < 1 || nf > 4) break;
        for (k = 0; k < nf; k++) {
            pf[k].fd = fds[k].fd;
            pf[k].events = (short)(((fds[k].events & BCE_WANT_READ) ? POLLIN : 0) | ((fds[k].events & BCE_WANT_WRITE) ? POLLOUT : 0));
        }
        poll(pf, (nfds_t)nf, bce_manager_timeout_ms(m));
        CHECK_INT(bce_manager_step(m, 0), 1);
    }
    CHECK_INT(s.btc, 30);
    CHECK_INT(s.ltc, 20);
    CHECK_INT(s.wrong, 0);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
}

static void run_daemon_suite(const char *const *argv, const char *extra) {
    daemon_t d;
    (void)extra;
    if (daemon_start(&d, argv) != 0) {
        CHECK(0 && "daemon did not start");
        return;
    }
    RUN_WITH(check_rpc, &d);
    RUN_WITH(check_auth, &d);
    RUN_WITH(check_polling_stream, &d);
    RUN_WITH(check_idle_close, &d);
    RUN_WITH(check_stop_from_handler, &d);
    RUN_WITH(check_stop_signal_and_thread, &d);
    RUN_WITH(check_manager_polling, &d);
    daemon_stop(&d);
}

/* Chunked and trickled answers (one byte per write) from the C daemon. */
static void check_framing(const char *mode) {
    const char *argv[] = {FAKE_DAEMON, "--port", "0", mode, NULL};
    daemon_t d;
    char *out = (char *)malloc(300000);
    size_t n = 0;
    bce_coin_t *c;
    stream_t s;
    if (daemon_start(&d, argv) != 0) { CHECK(0 && "daemon did not start"); free(out); return; }
    c = coin_for(&d, "w-frame", NULL, NULL);
    {   /* one byte per write is slow on purpose: keep that answer small */
        int big = strcmp(mode, "--trickle") == 0 ? 3000 : 200000;
        char params[32];
        snprintf(params, sizeof params, "[%d]", big);
        CHECK_INT(bce_rpc(c, "test_big", params, out, 300000, &n), BCE_OK);
        CHECK_INT(n, (size_t)big + 2);
        CHECK_INT(out[0], '"');
        CHECK_INT(out[big / 2], 'x');
    }
    CHECK_INT(bce_rpc(c, "test_echo", "[\"k\"]", out, 300000, &n), BCE_OK);
    CHECK_STR(out, "[\"k\",{\"xpub\":\"w-frame\"}]");
    memset(&s, 0, sizeof s);
    daemon_inject_seq(d.port, "w-frame", 0, 50);
    s.stop_at_coin = c;
    s.stop_at = 50;
    bce_on(c, "new_transaction", on_seq, &s);
    CHECK_INT(bce_poll_updates(c, 10), BCE_OK);
    CHECK_INT(s.next, 50);
    CHECK_INT(s.errors, 0);
    bce_coin_destroy(c);
    daemon_stop(&d);
    free(out);
}
static void test_chunked(void) { check_framing("--chunked"); }
static void test_trickle(void) { check_framing("--trickle"); }

/* Nothing listening: refused at once. A listener that never answers: the rpc timeout. A full
   accept queue: the connect timeout. */
static void test_connect_failures(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), port;
    char url[64], out[64];
    size_t n;
    bce_coin_desc_t desc;
    bce_coin_t *c;
    long long t0;
    int fill[8], i, r;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&a, sizeof a);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    port = ntohs(a.sin_port);
    close(lfd);   /* the port is free again: nothing listens */
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    memset(&desc, 0, sizeof desc);
    desc.url = url;
    desc.connect_timeout_ms = 500;
    desc.rpc_timeout_ms = 500;
    desc.logger.level = -1;
    c = bce_coin_create(&desc);
    t0 = ms_now();
    CHECK_INT(bce_rpc(c, "x", NULL, out, sizeof out, &n), BCE_ERR_CONNECT);
    CHECK(ms_now() - t0 < 500);
    CHECK(strstr(bce_coin_last_error(c), "refused") != NULL);
    bce_coin_destroy(c);
    /* a listener that accepts (the kernel does) but never answers */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    bind(lfd, (struct sockaddr *)&a, sizeof a);
    listen(lfd, 1);
    c = bce_coin_create(&desc);
    t0 = ms_now();
    CHECK_INT(bce_rpc(c, "x", NULL, out, sizeof out, &n), BCE_ERR_TIMEOUT);
    CHECK(ms_now() - t0 >= 450 && ms_now() - t0 < 3000);
    CHECK(strstr(bce_coin_last_error(c), "rpc_timeout_ms") != NULL);
    bce_coin_destroy(c);
    /* fill the accept queue so that further SYNs are dropped */
    for (i = 0; i < 8; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM, 0);
        _bce_set_nonblocking(fill[i]);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    c = bce_coin_create(&desc);
    t0 = ms_now();
    r = bce_rpc(c, "x", NULL, out, sizeof out, &n);
    CHECK_INT(r, BCE_ERR_TIMEOUT);
    CHECK(ms_now() - t0 >= 450 && ms_now() - t0 < 3000);
    bce_coin_destroy(c);
    for (i = 0; i < 8; i++) close(fill[i]);
    close(lfd);
    /* https without TLS built in */
    desc.url = "https://127.0.0.1:1";
    c = bce_coin_create(&desc);
    CHECK_INT(bce_rpc(c, "x", NULL, out, sizeof out, &n), BCE_ERR_TLS);
    CHECK(strstr(bce_coin_last_error(c), "BCE_USE_MBEDTLS") != NULL);
    bce_coin_destroy(c);
    /* polling needs a wallet */
    c = bce_coin_create(NULL);
    CHECK_INT(bce_poll_updates(c, 10), BCE_ERR_INVALID_ARG);
    bce_coin_destroy(c);
}

/* IPv6 literals, and a name with several addresses where the first refuses: "localhost" is
   ::1 and 127.0.0.1 here, and the daemon listens on one family at a time. */
static void test_ipv6_and_every_address(void) {
    const char *argv6[] = {FAKE_DAEMON, "--host", "::1", "--port", "0", NULL};
    const char *argv4[] = {FAKE_DAEMON, "--host", "127.0.0.1", "--port", "0", NULL};
    daemon_t d;
    char url[64], out[64];
    size_t n;
    bce_coin_desc_t desc;
    bce_coin_t *c;
    memset(&desc, 0, sizeof desc);
    desc.xpub = "w6";
    if (daemon_start(&d, argv6) == 0) {
        snprintf(url, sizeof url, "http://[::1]:%d/", d.port);
        desc.url = url;
        c = bce_coin_create(&desc);
        CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
        CHECK_STR(out, "[{\"xpub\":\"w6\"}]");
        bce_coin_destroy(c);
        daemon_stop(&d);
    } else {
        fprintf(stderr, "note: no IPv6 loopback on this machine; [::1] case not run\n");
    }
    CHECK_INT(daemon_start(&d, argv4), 0);
    snprintf(url, sizeof url, "http://localhost:%d", d.port);
    desc.url = url;
    c = bce_coin_create(&desc);
    CHECK_INT(bce_rpc(c, "test_echo", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_STR(out, "[{\"xpub\":\"w6\"}]");
    /* every address is tried: a list whose first entry refuses (a closed port) */
    {
        struct sockaddr_in bad, good;
        struct addrinfo a1, a2;
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        socklen_t al = sizeof bad;
        memset(&bad, 0, sizeof bad);
        bad.sin_family = AF_INET;
        bad.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(lfd, (struct sockaddr *)&bad, sizeof bad);
        getsockname(lfd, (struct sockaddr *)&bad, &al);
        close(lfd);
        good = bad;
        good.sin_port = htons((unsigned short)d.port);
        memset(&a1, 0, sizeof a1);
        a1.ai_family = AF_INET;
        a1.ai_socktype = SOCK_STREAM;
        a1.ai_addr = (struct sockaddr *)&bad;
        a1.ai_addrlen = sizeof bad;
        a2 = a1;
        a2.ai_addr = (struct sockaddr *)&good;
        a1.ai_next = &a2;
        _bce_rpc_disconnect(&c->solo->link.rpc);
        CHECK_INT(_bce_rpc_build(&c->solo->link.rpc, "test_echo", NULL, 0, c->wallet_json), BCE_OK);
        c->solo->link.rpc.in_len = 0;
        _bce_http_reset(&c->solo->link.rpc.resp, 16384, 1u << 20);
        c->solo->link.rpc.deadline = c->solo->link.rpc.conn.deadline = ms_now() + 5000;
        c->solo->link.rpc.conn.ai = NULL;
        c->solo->link.rpc.conn.ai_next = &a1;
        CHECK_INT(_bce_conn_next(&c->solo->link.rpc.conn), BCE_OK);
        c->solo->link.rpc.state = _BCE_RPC_CONNECTING;
        _bce_rpc_wait(&c->solo->link.rpc, -1, NULL);
        CHECK_INT(c->solo->link.rpc.result, BCE_OK);
        CHECK_INT(c->solo->link.rpc.state, _BCE_RPC_DONE);
        CHECK(c->solo->link.rpc.conn.ai_next == NULL);
    }
    bce_coin_destroy(c);
    daemon_stop(&d);
}

static void test_c_daemon(void) { run_daemon_suite(c_daemon, NULL); }
static void test_python_aiohttp_daemon(void) { run_daemon_suite(py_daemon, NULL); }

int main(void) {
    signal(SIGPIPE, SIG_DFL);   /* the library must never raise it */
    RUN(test_connect_failures);
    RUN(test_ipv6_and_every_address);
    RUN(test_chunked);
    RUN(test_trickle);
    RUN(test_c_daemon);
    RUN(test_python_aiohttp_daemon);
    TEST_MAIN_END("test_net");
}
