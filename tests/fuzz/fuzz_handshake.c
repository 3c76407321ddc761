/* tests/fuzz/fuzz_handshake.c: the websocket opening handshake, from the connect through the
   server's answer (_bce_ws_io in the HANDSHAKE state: _bce_http_feed with the upgrade flag,
   interim answers, a body that ends at the close, then _bce_ws_check_handshake) into the first
   frames, for a coin's or a manager's websocket on a test transport and a fake clock.
   The input is the server's answer. Every "{ACCEPT}" in it is replaced by the
   Sec-WebSocket-Accept value the connection expects, so the 101 path is reachable as easily as
   the refusals (wrong or missing headers, redirects, 401, 200 with JSON-RPC error -32600,
   extensions, truncated answers, timeouts).
   Checked: the request the library sends (one GET with the key, the version and the
   credentials, then only masked client frames), that a connection opens only on a 101 answer
   carrying the right Accept value, that BCE_ERR_AUTH comes only from a -32600 answer, that
   every connection is closed once, and no leak.

   Input: 4 header bytes, then the answer.
     [0] bit 0: checking logger; bit 1: the answer ends with EOF (else silence, then the
         connect_timeout_ms deadline); bit 2: force_connect (a failed handshake is retried, on
         an empty stream); bit 3: a manager's websocket; bit 4: large clock steps;
         bit 5: the first sends would block
     [1], [2] the seed of the chunking
     [3] limits.max_header_bytes: 0 = the default, else 64 + [3] * 16 */
#include "fuzz_common.h"

typedef struct hsctx_t {
    fuzz_rng_t rng;
    const uint8_t *raw;
    size_t raw_n;
    char *ans;                  /* the answer of the current connection, accept filled in */
    size_t ans_n, off;
    int expanded, eof_at_end, blocked_sends;
    char accept[32];            /* what the first connection expected */
    _bce_ws_t *w;
    char *req;                  /* what the library sent on the current connection */
    size_t req_len, req_cap;
    int request_done, opens, closes, connects;
    fuzz_events_t fe;
} hsctx_t;

static int t_open(_bce_conn_t *c, const _bce_url_t *u) {
    hsctx_t *x = (hsctx_t *)c->transport_ctx;
    FUZZ_CHECK(u != NULL && strcmp(u->host, "127.0.0.1") == 0);
    c->fd = -1;
    x->connects++;
    x->expanded = 0;
    x->off = 0;
    x->req_len = 0;
    x->request_done = 0;
    return BCE_OK;
}

static long t_recv(_bce_conn_t *c, char *buf, size_t len) {
    hsctx_t *x = (hsctx_t *)c->io_ctx;
    size_t take;
    FUZZ_CHECK(len > 0);
    /* (the library may read while its request is still partly unsent: a hostile server can
       answer early) */
    if (!x->expanded) {
        /* the first connection gets the input; later ones an empty stream */
        x->expanded = 1;
        if (x->connects == 1) {
            memcpy(x->accept, x->w->accept, sizeof x->accept);
            x->ans_n = fuzz_expand_accept((const char *)x->raw, x->raw_n, x->w->accept, x->ans);
        }
    }
    if (x->connects > 1 || x->off >= x->ans_n) return x->eof_at_end ? 0 : _BCE_IO_AGAIN_READ;
    if (fuzz_below(&x->rng, 8) == 0) return _BCE_IO_AGAIN_READ;
    take = x->ans_n - x->off;
    if (fuzz_below(&x->rng, 3) != 0) {
        size_t k = 1 + fuzz_below(&x->rng, 48);
        if (k < take) take = k;
    }
    if (take > len) take = len;
    memcpy(buf, x->ans + x->off, take);
    x->off += take;
    return (long)take;
}

static void check_request(const char *r, size_t n) {
    const char *key;
    FUZZ_CHECK(n > 16 && memcmp(r, "GET /ws HTTP/1.1\r\n", 18) == 0);
    FUZZ_CHECK(memcmp(r + n - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(strstr(r, "\r\nHost: 127.0.0.1:5000\r\n") != NULL);
    FUZZ_CHECK(strstr(r, "\r\nUpgrade: websocket\r\n") != NULL);
    FUZZ_CHECK(strstr(r, "\r\nConnection: Upgrade\r\n") != NULL);
    FUZZ_CHECK(strstr(r, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
    FUZZ_CHECK(strstr(r, fuzz_auth_b64) != NULL);
    key = strstr(r, "\r\nSec-WebSocket-Key: ");
    FUZZ_CHECK(key != NULL && key[21 + 22] == '=' && key[21 + 23] == '=' && key[21 + 24] == '\r');
}

static long t_send(_bce_conn_t *c, const char *buf, size_t len) {
    hsctx_t *x = (hsctx_t *)c->io_ctx;
    size_t take = len;
    FUZZ_CHECK(len > 0);
    if (x->blocked_sends > 0) { x->blocked_sends--; return _BCE_IO_AGAIN_WRITE; }
    if (fuzz_below(&x->rng, 4) == 0) take = 1 + fuzz_below(&x->rng, len);
    if (x->req_len + take + 1 > x->req_cap) {
        size_t ncap = (x->req_len + take + 1) * 2;
        char *nb = (char *)realloc(x->req, ncap);
        FUZZ_CHECK(nb != NULL);
        x->req = nb;
        x->req_cap = ncap;
    }
    memcpy(x->req + x->req_len, buf, take);
    x->req_len += take;
    x->req[x->req_len] = 0;
    if (!x->request_done) {
        char *end = strstr(x->req, "\r\n\r\n");
        if (end) {
            size_t n = (size_t)(end + 4 - x->req);
            check_request(x->req, n);
            x->request_done = 1;
            memmove(x->req, x->req + n, x->req_len - n + 1);
            x->req_len -= n;
        }
    }
    if (x->request_done) {                  /* then only client frames */
        size_t used = 0;
        for (;;) {
            int op = 0;
            size_t f = fuzz_check_client_frame((const unsigned char *)x->req + used, x->req_len - used, &op);
            if (!f) break;
            used += f;
        }
        memmove(x->req, x->req + used, x->req_len - used + 1);
        x->req_len -= used;
    }
    return (long)take;
}

static void t_close(_bce_conn_t *c) {
    hsctx_t *x = (hsctx_t *)c->io_ctx;
    x->closes++;
}

static const _bce_io_t t_io = {t_open, NULL, t_send, t_recv, t_close};

static void on_connect(bce_coin_t *coin, const char *currency, void *ud) {
    hsctx_t *x = (hsctx_t *)ud;
    FUZZ_CHECK(coin != NULL && strcmp(currency, "BTC") == 0);
    x->opens++;
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *ud) {
    (void)ud;
    FUZZ_CHECK(coin != NULL && reason != NULL);
    FUZZ_CHECK(code == 1005 || code == 1006 || _bce_ws_close_code_ok(code));
}

static int contains(const char *h, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (memcmp(h + i, needle, k) == 0) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in_t in = {data, size, 0};
    unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in);
    hsctx_t x;
    fuzz_alloc_t fa = {0, -1};
    bce_ws_opts_t opts;
    bce_coin_t *coin = NULL;
    bce_manager_t *m = NULL;
    _bce_ws_t *w;
    long long now;
    int iter;
    if (size < 4) return 0;
    fuzz_secret_init(data, size);
    fuzz_clock_ms = 1000000;
    memset(&x, 0, sizeof x);
    fuzz_events_init(&x.fe);
    x.rng.s = (uint64_t)b1 << 8 | b2;
    x.raw = data + in.i;
    x.raw_n = size - in.i;
    x.ans = (char *)malloc(x.raw_n * 4 + 64);
    FUZZ_CHECK(x.ans != NULL);
    x.eof_at_end = (b0 & 2) != 0;
    x.blocked_sends = (b0 & 32) ? 3 : 0;
    memset(&opts, 0, sizeof opts);
    opts.force_connect = (b0 & 4) != 0;
    opts.on_connect = on_connect;
    opts.on_disconnect = on_disconnect;
    opts.user_data = &x;
    opts.max_message_bytes = 4096;
    opts.disable_catch_up = 1;

    if (b0 & 8) {
        bce_manager_desc_t md;
        bce_coin_desc_t params;
        memset(&md, 0, sizeof md);
        md.logger = fuzz_logger(b0 & 1);
        md.allocator = fuzz_allocator(&fa);
        m = bce_manager_create(&md);
        FUZZ_CHECK(m != NULL);
        memset(&params, 0, sizeof params);
        params.url = "http://127.0.0.1:5000";
        params.password = fuzz_password;
        params.logger = md.logger;
        params.connect_timeout_ms = 1000;
        params.limits.max_header_bytes = b3 ? 64 + b3 * 16 : 0;
        FUZZ_CHECK(bce_manager_configure(m, "BTC", &params) == BCE_OK);
        FUZZ_CHECK(bce_manager_add_wallet(m, "BTC", "xpubA") != NULL);
        FUZZ_CHECK(bce_manager_on(m, "new_block, new_transaction, new_payment, verified_tx", fuzz_on_event, &x.fe) == BCE_OK);
        FUZZ_CHECK(_bce_mcur_link(m, 0) == BCE_OK);
        m->cur[0].rpc.conn.transport = &t_io;
        m->cur[0].rpc.conn.transport_ctx = &x;
        m->cur[0].ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
        m->cur[0].ep.transport_ctx = &x;
        FUZZ_CHECK(bce_manager_begin_websocket(m, "BTC", &opts) == BCE_OK);
        w = &m->cur[0].ws;
        x.fe.manager = m;
    } else {
        bce_coin_desc_t d;
        memset(&d, 0, sizeof d);
        d.url = "http://127.0.0.1:5000";
        d.password = fuzz_password;
        d.xpub = "xpubA";
        d.logger = fuzz_logger(b0 & 1);
        d.allocator = fuzz_allocator(&fa);
        d.connect_timeout_ms = 1000;
        d.limits.max_header_bytes = b3 ? 64 + b3 * 16 : 0;
        coin = bce_coin_create(&d);
        FUZZ_CHECK(coin != NULL);
        FUZZ_CHECK(bce_on(coin, "new_block, new_transaction, new_payment, verified_tx", fuzz_on_event, &x.fe) == BCE_OK);
        coin->solo->link.rpc.conn.transport = &t_io;
        coin->solo->link.rpc.conn.transport_ctx = &x;
        coin->solo->link.ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
        coin->solo->link.ep.transport_ctx = &x;
        FUZZ_CHECK(bce_coin_begin_websocket(coin, &opts) == BCE_OK);
        w = &coin->solo->link.ws;
    }
    x.fe.reenter = 1;
    x.w = w;
    w->rng = 0x5eed;
    now = fuzz_clock_ms;

    for (iter = 0; iter < 2048; iter++) {
        unsigned step = (unsigned)fuzz_below(&x.rng, 16);
        now += (b0 & 16) ? step * 100 : step == 15 ? 400 : step % 3;
        fuzz_clock_ms = now;
        if (w->state == _BCE_WS_OFF) break;
        if (w->state == _BCE_WS_WAIT) {
            if (x.connects >= 3) break;
            _bce_ws_tick(w, now);           /* the (re)connect, when due */
            continue;
        }
        if (w->state == _BCE_WS_OPEN && (x.connects > 1 || x.off >= x.ans_n) && !x.eof_at_end) break;   /* quiet */
        _bce_ws_io(w, POLLIN | POLLOUT, now);
        if (w->state != _BCE_WS_OFF && w->state != _BCE_WS_WAIT) _bce_ws_tick(w, now);
        FUZZ_CHECK(w->in_len <= w->in_cap);
    }

    /* a connection opened only on a 101 carrying the expected Accept value (later connections
       get an empty stream and cannot open) */
    FUZZ_CHECK((unsigned long long)x.opens == w->opens && x.opens <= 1);
    if (w->opens) {
        FUZZ_CHECK(contains(x.ans, x.ans_n, " 101"));
        FUZZ_CHECK(strlen(x.accept) == 28 && contains(x.ans, x.ans_n, x.accept));
    }
    if (w->result == BCE_ERR_AUTH) FUZZ_CHECK(contains(x.ans, x.ans_n, "-32600"));
    if (!opts.force_connect && w->state == _BCE_WS_OFF) FUZZ_CHECK(!w->ever_open && w->result != BCE_OK);
#ifdef BCE_FUZZ_REPLAY
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "  handshake: %d connections, %d opened, result %d, %ld handler calls, last error: %s\n",
                x.connects, x.opens, w->result, x.fe.calls, w->error);
#endif
    if (m) bce_manager_destroy(m);
    else bce_coin_destroy(coin);
    FUZZ_CHECK(fa.live == 0);
    FUZZ_CHECK(x.closes == x.connects);
    fuzz_events_release(&x.fe);
    free(x.ans);
    free(x.req);
    return 0;
}
