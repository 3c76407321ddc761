/* tests/test_config.c: what the library keeps from a desc or options, and the sums of limits.

   Reconfiguring a manager's currency (issue 13, finding 5): configure copies every string;
   a currency configured again while the manager is stopped runs with the new settings at the
   next start (its polling and websocket connections are rebuilt from them); while the manager
   runs, configure is refused with BCE_ERR_STATE and says why. The TLS case reads tls.ca_file
   after a reconfiguration (it used to be the freed copy of the first one).

   Sums of limits (finding 6): limits whose sum, with the library's slack, does not fit a
   size_t (32-bit builds) are refused at create / begin with BCE_ERR_INVALID_ARG and the
   reason; the websocket frame parser never adds a peer's frame length to anything that can
   wrap. The same tests run on 64-bit (the sums fit: the values are accepted) and, through
   `make m32`, on 32-bit.

   The servers are listening sockets on 127.0.0.1 (kernel-chosen ports) that never accept:
   the kernel completes the TCP handshake, which is all a test needs to see which one the
   library dialled. Built with TLS unless TEST_NO_TLS (the -m32 build: no 32-bit mbedTLS). */
#ifndef TEST_NO_TLS
#define BCE_USE_MBEDTLS
#endif
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"

/* 1 when size_t is 32 bits wide: the sums below overflow there. */
#define NARROW ((size_t)-1 <= 0xFFFFFFFFu)

/* ---- every log line, for "did it say why" ---- */

typedef struct logbook_t {
    int count;
    char lines[32][BCE_LOG_LINE_MAX + 16];
} logbook_t;

static void log_all(int level, const char *message, void *ud) {
    logbook_t *l = (logbook_t *)ud;
    (void)level;
    if (l->count < 32) snprintf(l->lines[l->count], sizeof l->lines[0], "%s", message);
    l->count++;
}

static int logged(const logbook_t *l, const char *needle) {
    int i;
    for (i = 0; i < l->count && i < 32; i++)
        if (strstr(l->lines[i], needle)) return 1;
    return 0;
}

static void print_log(const logbook_t *l) {
    int i;
    for (i = 0; i < l->count && i < 32; i++) fprintf(stderr, "  log: %s\n", l->lines[i]);
}

/* ---- listeners that never accept ---- */

static int listen_any(int *port) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0
        || getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* 1 when a connection waits in the listener's queue. */
static int pending(int lfd) {
    struct pollfd p;
    p.fd = lfd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) == 1;
}

static void drop_pending(int lfd) {
    while (pending(lfd)) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) break;
        close(fd);
    }
}

/* Steps the manager until the listener has a connection waiting, for at most ms. */
static int step_until_dialled(bce_manager_t *m, int lfd, int ms) {
    long long end = _bce_now_ms() + ms;
    while (!pending(lfd) && _bce_now_ms() < end)
        if (bce_manager_step(m, 20) < 0) break;
    return pending(lfd);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = (char *)malloc(n);
    memcpy(d, s, n);
    return d;
}

/* Plays a daemon on the listener, single-threaded between the coin's steps: accepts the
   websocket upgrade, answers 101, then sends `tail`. Returns 1 when all of it was sent. */
static int serve_upgrade(bce_coin_t *c, int lfd, const unsigned char *tail, size_t n) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char req[4096], ans[256], b64[32];
    size_t have = 0;
    long long end = _bce_now_ms() + 3000;
    int fd = -1;
    const char *k;
    _bce_sha1_t sh;
    unsigned char dg[20];
    while (!pending(lfd) && _bce_now_ms() < end) bce_coin_step(c, 20);
    if (!pending(lfd) || (fd = accept(lfd, NULL, NULL)) < 0) return 0;
    while (!strstr(req, "\r\n\r\n") && _bce_now_ms() < end) {
        ssize_t r;
        bce_coin_step(c, 20);
        r = recv(fd, req + have, sizeof req - 1 - have, MSG_DONTWAIT);
        if (r > 0) have += (size_t)r;
        req[have] = 0;
    }
    k = strstr(req, "Sec-WebSocket-Key: ");
    if (!k || strlen(k) < 19 + 24) { close(fd); return 0; }
    _bce_sha1_init(&sh);
    _bce_sha1_update(&sh, k + 19, 24);
    _bce_sha1_update(&sh, guid, sizeof guid - 1);
    _bce_sha1_final(&sh, dg);
    b64[_bce_base64(dg, 20, b64)] = 0;
    snprintf(ans, sizeof ans, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", b64);
    if (send(fd, ans, strlen(ans), MSG_NOSIGNAL) != (ssize_t)strlen(ans)
        || send(fd, tail, n, MSG_NOSIGNAL) != (ssize_t)n) { close(fd); return 0; }
    end = _bce_now_ms() + 300;
    while (_bce_now_ms() < end && bce_coin_step(c, 20) > 0) {}
    close(fd);
    return 1;
}

/* ---- reconfiguration ---- */

static bce_manager_t *manager_with_log(logbook_t *lb) {
    bce_manager_desc_t md;
    memset(&md, 0, sizeof md);
    md.logger.fn = log_all;
    md.logger.user_data = lb;
    md.logger.level = BCE_LOG_DEBUG;
    return bce_manager_create(&md);
}

/* The URL given again while stopped is the one the next start dials (it used to keep
   dialling the first); given while running, it is refused. */
static void test_reconfigure_url(void) {
    logbook_t lb;
    int pa, pb, a = listen_any(&pa), b = listen_any(&pb);
    char url[64];
    char *s;
    bce_coin_desc_t d;
    bce_manager_t *m;
    memset(&lb, 0, sizeof lb);
    CHECK(a >= 0 && b >= 0);
    m = manager_with_log(&lb);
    CHECK(m != NULL);
    if (!m || a < 0 || b < 0) return;
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", pa);
    d.url = s = dup_str(url);
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    free(s);                                            /* configure copied it */
    CHECK(bce_manager_add_wallet(m, "BTC", "xpub_one") != NULL);
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    CHECK(step_until_dialled(m, a, 3000));

    snprintf(url, sizeof url, "http://127.0.0.1:%d", pb);
    d.url = url;
    lb.count = 0;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_ERR_STATE);     /* running */
    CHECK(logged(&lb, "bce_manager_configure: not while the manager runs"));
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    drop_pending(a);

    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);            /* stopped: next start */
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    CHECK(step_until_dialled(m, b, 3000));
    CHECK(!pending(a));
    if (test_failures_now) print_log(&lb);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);

    /* the websocket too: it is built from the same settings */
    drop_pending(b);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", pa);
    d.url = url;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK_INT(bce_manager_begin_websocket(m, NULL, NULL), BCE_OK);
    CHECK(step_until_dialled(m, a, 3000));
    CHECK(!pending(b));
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_ERR_STATE);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    close(a);
    close(b);
}

/* Inside a handler of bce_manager_process_updates, configure is refused too (the stand-in
   coin the handler holds belongs to the currency's settings). */
static bce_manager_t *in_handler_m;
static int in_handler_result = 1;
static void configure_from_handler(const bce_event_t *ev, void *ud) {
    (void)ev;
    (void)ud;
    in_handler_result = bce_manager_configure(in_handler_m, "BTC", NULL);
}

static void test_reconfigure_in_handler(void) {
    logbook_t lb;
    static const char upd[] = "[{\"event\":\"new_block\",\"height\":1}]";
    memset(&lb, 0, sizeof lb);
    in_handler_m = manager_with_log(&lb);
    CHECK(in_handler_m != NULL);
    if (!in_handler_m) return;
    CHECK_INT(bce_manager_on(in_handler_m, "new_block", configure_from_handler, NULL), BCE_OK);
    CHECK_INT(bce_manager_process_updates(in_handler_m, "BTC", NULL, upd, sizeof upd - 1), 1);
    CHECK_INT(in_handler_result, BCE_ERR_STATE);
    CHECK_INT(bce_manager_configure(in_handler_m, "BTC", NULL), BCE_OK);
    CHECK_INT(bce_manager_process_updates(in_handler_m, "BTC", NULL, upd, sizeof upd - 1), 1);
    bce_manager_destroy(in_handler_m);
}

#ifndef TEST_NO_TLS
/* https with tls.ca_file: started and stopped before any connection, configured again, started:
   the TLS setup must read the second file name (it read the freed first one: ASan
   heap-use-after-free in fopen). Neither file exists, so the error names the file read. */
static void test_reconfigure_ca_file(void) {
    logbook_t lb;
    int port, l = listen_any(&port);
    char url[64];
    char *ca;
    bce_coin_desc_t d;
    bce_manager_t *m;
    long long end;
    memset(&lb, 0, sizeof lb);
    CHECK(l >= 0);
    m = manager_with_log(&lb);
    CHECK(m != NULL);
    if (!m || l < 0) return;
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    d.url = url;
    d.tls.ca_file = ca = dup_str("build/no-such-ca-first.pem");
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    free(ca);
    CHECK(bce_manager_add_wallet(m, "BTC", "xpub_one") != NULL);
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);               /* nothing was dialled */

    d.tls.ca_file = ca = dup_str("build/no-such-ca-second.pem");
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    free(ca);
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    end = _bce_now_ms() + 3000;
    while (!logged(&lb, "no-such-ca-") && _bce_now_ms() < end)
        if (bce_manager_step(m, 20) < 0) break;
    CHECK(logged(&lb, "cannot read tls.ca_file build/no-such-ca-second.pem"));
    CHECK(!logged(&lb, "no-such-ca-first"));
    bce_manager_stop(m);
    bce_manager_step(m, 0);
    bce_manager_destroy(m);
    close(l);
}

/* tls.ca_pem is copied like every string of a desc: by a coin at create and by a manager at
   configure, so the caller's buffer may be freed at once (ASan: heap-use-after-free when it is
   not). Text that holds no certificate is refused when the TLS configuration is made. */
static void test_ca_pem_copied(void) {
    logbook_t lb;
    int port, l = listen_any(&port);
    char url[64], out[64];
    char *pem;
    bce_coin_desc_t d;
    bce_coin_t *c;
    bce_manager_t *m;
    long long end;
    memset(&lb, 0, sizeof lb);
    CHECK(l >= 0);
    if (l < 0) return;
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    d.url = url;
    d.xpub = "xpub_pem";
    d.logger.level = -1;
    d.tls.ca_pem = pem = dup_str("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    c = bce_coin_create(&d);
    free(pem);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, NULL), BCE_ERR_TLS);
        CHECK_STR(bce_coin_last_error(c), "TLS: tls.ca_pem holds no certificate mbedTLS can parse");
        bce_coin_destroy(c);
    }
    m = manager_with_log(&lb);
    CHECK(m != NULL);
    if (!m) { close(l); return; }
    d.xpub = NULL;
    memset(&d.logger, 0, sizeof d.logger);
    d.tls.ca_pem = pem = dup_str("no certificate here");
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    free(pem);
    CHECK(bce_manager_add_wallet(m, "BTC", "xpub_one") != NULL);
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    end = _bce_now_ms() + 3000;
    while (!logged(&lb, "tls.ca_pem") && _bce_now_ms() < end)
        if (bce_manager_step(m, 20) < 0) break;
    CHECK(logged(&lb, "TLS: tls.ca_pem holds no certificate mbedTLS can parse"));
    bce_manager_stop(m);
    bce_manager_step(m, 0);
    bce_manager_destroy(m);
    close(l);
}
#endif

/* ---- sums of limits ---- */

/* limits.max_header_bytes + limits.max_response_bytes (+ the receive slack) is one buffer's
   bound: refused when it does not fit a size_t, for a coin and for a manager's currency. */
static void test_http_limit_sum(void) {
    logbook_t lb;
    bce_coin_desc_t d;
    bce_coin_t *c;
    bce_manager_t *m;
    int r;
    memset(&lb, 0, sizeof lb);
    memset(&d, 0, sizeof d);
    d.url = "http://127.0.0.1:1";
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    d.limits.max_header_bytes = 0xFFFFFFFFu;
    d.limits.max_response_bytes = 0xFFFFFFFFu;
    c = bce_coin_create(&d);
    if (NARROW) {
        CHECK(c == NULL);
        CHECK(logged(&lb, "limits.max_header_bytes + limits.max_response_bytes too large for this build"));
    } else {
        CHECK(c != NULL);
    }
    bce_coin_destroy(c);

    d.limits.max_header_bytes = 16384;
    d.limits.max_response_bytes = 0xFFFFFFFFu - 16384;
    c = bce_coin_create(&d);
    CHECK_INT(c == NULL, NARROW);
    bce_coin_destroy(c);
    d.limits.max_header_bytes = 0;                      /* the defaults fit everywhere */
    d.limits.max_response_bytes = 0;
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    bce_coin_destroy(c);

    m = manager_with_log(&lb);
    CHECK(m != NULL);
    if (!m) return;
    lb.count = 0;
    d.limits.max_header_bytes = 0xFFFFFFFFu;
    d.limits.max_response_bytes = 0xFFFFFFFFu;
    r = bce_manager_configure(m, "BTC", &d);
    CHECK_INT(r, NARROW ? BCE_ERR_INVALID_ARG : BCE_OK);
    if (NARROW) CHECK(logged(&lb, "too large for this build"));
    bce_manager_destroy(m);
}

/* max_message_bytes + the header limit + the send slack: refused at begin when it does not
   fit, with the reason in bce_coin_last_error. On 32-bit, UINT32_MAX ("no limit") was taken,
   and a frame of length 2^32 - 10 then passed the "complete frame" test (header + length
   wrapped to 0): the UTF-8 check read past the 32 KiB receive buffer. */
static void test_ws_limit_sum(void) {
    logbook_t lb;
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    bce_coin_t *c;
    bce_manager_t *m;
    int r, port, l = listen_any(&port);
    char url[64];
    memset(&lb, 0, sizeof lb);
    memset(&d, 0, sizeof d);
    CHECK(l >= 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    d.url = url;
    d.xpub = "xpub_one";
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    if (!c) return;
    memset(&o, 0, sizeof o);
    o.max_message_bytes = 0xFFFFFFFFu;
    o.disable_catch_up = 1;
    r = bce_coin_begin_websocket(c, &o);
    if (NARROW) {
        CHECK_INT(r, BCE_ERR_INVALID_ARG);
        CHECK(strstr(bce_coin_last_error(c), "max_message_bytes") != NULL);
        CHECK(strstr(bce_coin_last_error(c), "too large for this build") != NULL);
        CHECK_INT(bce_coin_step(c, 0), 0);              /* nothing runs */
    } else {
        CHECK_INT(r, BCE_OK);
    }
    if (NARROW && r == BCE_OK) {    /* the unfixed library: show what a peer can do with it */
        static unsigned char frame[10 + 65536] = {0x81, 127, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF6};
        memset(frame + 10, 'a', sizeof frame - 10);     /* valid UTF-8 past the receive buffer */
        CHECK(serve_upgrade(c, l, frame, sizeof frame));
    }
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    o.max_message_bytes = 0;                            /* the default fits everywhere */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);

    m = manager_with_log(&lb);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(bce_manager_add_wallet(m, "BTC", "xpub_one") != NULL);
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    lb.count = 0;
    o.max_message_bytes = 0xFFFFFFFFu;
    r = bce_manager_begin_websocket(m, NULL, &o);
    CHECK_INT(r, NARROW ? BCE_ERR_INVALID_ARG : BCE_OK);
    if (NARROW) CHECK(logged(&lb, "max_message_bytes"));
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    close(l);
}

/* The frame parser itself: a declared length that a size_t cannot hold with its header is
   refused (1009) whatever max_len says, and the completeness test does not add it to anything. */
static void test_ws_frame_length(void) {
    static const unsigned char big[] = {0x81, 127, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF6, '[', ']'};
    static const unsigned char huge[] = {0x81, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF6, '[', ']'};
    _bce_ws_frame_t f;
    int r = _bce_ws_frame_header(big, sizeof big, (size_t)-1, &f);
    if (NARROW) {
        CHECK_INT(r, -1009);
    } else {
        CHECK_INT(r, 1);
        CHECK(f.len == (size_t)0xFFFFFFF6u);
        CHECK(sizeof big - f.header < f.len);           /* incomplete */
    }
    r = _bce_ws_frame_header(huge, sizeof huge, (size_t)-1, &f);
    if (NARROW) CHECK_INT(r, -1009);
    else CHECK(r == 1 && f.header + f.len > f.len);     /* no wrap */
    CHECK_INT(_bce_ws_frame_header(big, sizeof big, 1u << 20, &f), -1009);
}

/* ---- secrets are wiped before their memory is freed ---- */

/* An allocator that remembers each block's size and, when a block is freed, looks in it for
   the password and for the Authorization header's base64 of "user:password". */
#define SECRET "S3cret-pw-f00d"
static char g_secret_b64[64];
static int g_secret_frees;      /* freed blocks that still held the secret */

static int holds(const unsigned char *p, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0) return 1;
    return 0;
}

static void *sized_alloc(size_t size, void *ud) {
    unsigned char *p = (unsigned char *)malloc(size + 16);
    (void)ud;
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    memset(p + 16, 0, size);        /* the scan in sized_free reads every byte */
    return p + 16;
}

static void sized_free(void *ptr, void *ud) {
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t size;
    (void)ud;
    memcpy(&size, p, sizeof size);
    if (holds(p + 16, size, SECRET) || holds(p + 16, size, g_secret_b64)) g_secret_frees++;
    free(p);
}

static void test_secrets_wiped(void) {
    static const char cred[] = "electrum:" SECRET;
    int port, l = listen_any(&port);
    char url[64];
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    bce_coin_t *c;
    bce_manager_t *m;
    bce_manager_desc_t md;
    long long end;
    g_secret_b64[_bce_base64((const unsigned char *)cred, sizeof cred - 1, g_secret_b64)] = 0;
    g_secret_frees = 0;
    CHECK(l >= 0);
    if (l < 0) return;
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    d.url = url;
    d.xpub = "xpub_one";
    d.password = SECRET;
    d.allocator.alloc = sized_alloc;
    d.allocator.free = sized_free;
    d.logger.level = -1;

    /* a coin: a JSON-RPC request built and sent, then the websocket handshake sent */
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    if (!c) { close(l); return; }
    CHECK_INT(bce_coin_start_polling(c, 1000), BCE_OK);
    end = _bce_now_ms() + 3000;
    while (!pending(l) && _bce_now_ms() < end) bce_coin_step(c, 20);
    CHECK(pending(l));
    bce_coin_step(c, 20);                               /* the request goes out */
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    drop_pending(l);
    memset(&o, 0, sizeof o);
    o.disable_catch_up = 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    end = _bce_now_ms() + 3000;
    while (!pending(l) && _bce_now_ms() < end) bce_coin_step(c, 20);
    CHECK(pending(l));
    bce_coin_step(c, 20);                               /* the handshake goes out */
    CHECK_INT(c->solo->link.ws.state, _BCE_WS_HANDSHAKE);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    drop_pending(l);
    CHECK_INT(g_secret_frees, 0);

    /* a manager: the configured password, its polling client, and a reconfiguration */
    g_secret_frees = 0;
    memset(&md, 0, sizeof md);
    md.allocator = d.allocator;
    md.logger.level = -1;
    m = bce_manager_create(&md);
    CHECK(m != NULL);
    if (!m) { close(l); return; }
    d.xpub = NULL;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "xpub_one") != NULL);
    CHECK_INT(bce_manager_start_polling(m, 1000), BCE_OK);
    CHECK(step_until_dialled(m, l, 3000));
    bce_manager_step(m, 20);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);     /* frees the first copies */
    bce_manager_destroy(m);
    drop_pending(l);
    CHECK_INT(g_secret_frees, 0);
    close(l);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    RUN(test_reconfigure_url);
    RUN(test_reconfigure_in_handler);
#ifndef TEST_NO_TLS
    RUN(test_reconfigure_ca_file);
    RUN(test_ca_pem_copied);
#endif
    RUN(test_http_limit_sum);
    RUN(test_ws_limit_sum);
    RUN(test_ws_frame_length);
    RUN(test_secrets_wiped);
    TEST_MAIN_END("test_config");
}
