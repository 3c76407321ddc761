/* tests/fuzz/fuzz_ws_frames.c: the websocket receive path (_bce_ws_io -> _bce_ws_read ->
   _bce_ws_frames -> _bce_ws_frame), with fragments, control frames, close codes, UTF-8 checks,
   the message limit, pings and pong timeouts on a fake clock, and every text message handed to
   the library's own delivery (coin or manager routing, dedup records, handlers calling every
   accessor). The connection is a coin's (or a manager's) websocket, put straight into the open
   state; the server's bytes come from the input through the transport's recv in chunks, and
   what the library sends is checked to be well-formed masked client frames.
   When the connection closes, it is opened again (up to 4 times) and the stream goes on.

   Input: 4 header bytes, then the server's byte stream.
     [0] max_message_bytes = 16 + [0] * 16 (16 to 4096)
     [1] bit 0: checking logger at every level; bit 1: a manager's websocket (else a coin's);
         bit 2: the peer never reads (every send would block); bit 3: sends may fail;
         bit 4: the stream ends with EOF (else it goes quiet); bit 5: catch-up and dedup on;
         bit 6: disable_reconnect; bit 7: a handler calls bce_stop after 3 events
     [2], [3] the seed of the chunking, would-blocks and clock steps */
#include "fuzz_common.h"

typedef struct wsctx_t {
    fuzz_rng_t rng;
    const uint8_t *p;
    size_t n, off;
    int eof_at_end, never_read, send_errors, stop_after;
    unsigned char *sent;
    size_t sent_len, sent_cap;
    long frames_out, texts, closes;
    unsigned max_msg;
    _bce_ws_t *w;
    int (*lib_text)(void *owner, const char *text, size_t len, long long now);
    fuzz_events_t fe;
    bce_coin_t *coin;
    bce_manager_t *m;
    int opens, closes_io;
} wsctx_t;

static wsctx_t *g_ctx;      /* for on_text, whose only argument is the owner */

static long t_recv(_bce_conn_t *c, char *buf, size_t len) {
    wsctx_t *x = (wsctx_t *)c->io_ctx;
    size_t take;
    FUZZ_CHECK(len > 0);
    if (x->off >= x->n) return x->eof_at_end ? 0 : _BCE_IO_AGAIN_READ;
    if (fuzz_below(&x->rng, 8) == 0) return _BCE_IO_AGAIN_READ;
    take = x->n - x->off;
    if (fuzz_below(&x->rng, 4) != 0) {
        size_t k = 1 + fuzz_below(&x->rng, 64);
        if (k < take) take = k;
    }
    if (take > len) take = len;
    memcpy(buf, x->p + x->off, take);
    x->off += take;
    return (long)take;
}

static long t_send(_bce_conn_t *c, const char *buf, size_t len) {
    wsctx_t *x = (wsctx_t *)c->io_ctx;
    size_t take = len, used;
    FUZZ_CHECK(len > 0);
    if (x->never_read) return _BCE_IO_AGAIN_WRITE;
    if (x->send_errors && fuzz_below(&x->rng, 32) == 0) return BCE_ERR_CONNECT;
    if (fuzz_below(&x->rng, 4) == 0) take = 1 + fuzz_below(&x->rng, len);
    if (x->sent_len + take > x->sent_cap) {
        size_t ncap = (x->sent_len + take) * 2;
        unsigned char *nb = (unsigned char *)realloc(x->sent, ncap);
        FUZZ_CHECK(nb != NULL);
        x->sent = nb;
        x->sent_cap = ncap;
    }
    memcpy(x->sent + x->sent_len, buf, take);
    x->sent_len += take;
    /* the client frames, parsed as a server would */
    used = 0;
    for (;;) {
        int op = 0;
        size_t f = fuzz_check_client_frame(x->sent + used, x->sent_len - used, &op);
        if (!f) break;
        if (op == 8) FUZZ_CHECK(f == 2 + 4 + 2);        /* our close frames carry just a code */
        used += f;
        x->frames_out++;
    }
    memmove(x->sent, x->sent + used, x->sent_len - used);
    x->sent_len -= used;
    return (long)take;
}

static void t_close(_bce_conn_t *c) {
    wsctx_t *x = (wsctx_t *)c->io_ctx;
    x->closes_io++;
    x->sent_len = 0;            /* a new connection starts a new frame stream */
}

static const _bce_io_t t_io = {NULL, NULL, t_send, t_recv, t_close};

/* The library's on_text checks the text's UTF-8 (the JSON scan, or its own check of text that
   is not JSON): it must say "not valid" exactly when _bce_utf8_valid does. */
static int on_text(void *owner, const char *text, size_t len, long long now) {
    wsctx_t *x = g_ctx;
    int valid = _bce_utf8_valid((const unsigned char *)text, len), bad;
    FUZZ_CHECK(len <= x->max_msg);
    x->texts++;
    bad = x->lib_text(owner, text, len, now);
    FUZZ_CHECK((bad != 0) == !valid);
    return bad;
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *ud) {
    wsctx_t *x = (wsctx_t *)ud;
    FUZZ_CHECK(coin != NULL && reason != NULL);
    FUZZ_CHECK(strlen(reason) < 124);
    FUZZ_CHECK(_bce_utf8_valid((const unsigned char *)reason, strlen(reason)));
    FUZZ_CHECK(code == 1005 || code == 1006 || _bce_ws_close_code_ok(code));
    x->closes++;
}

static void on_event(const bce_event_t *ev, void *ud) {
    wsctx_t *x = (wsctx_t *)ud;
    fuzz_on_event(ev, &x->fe);
    if (x->stop_after && x->fe.calls >= x->stop_after) {
        if (x->m) bce_manager_stop(x->m);
        else bce_stop(bce_event_instance(ev));
    }
}

/* What the handshake leaves behind: an open connection on the test transport. */
static void force_open(_bce_ws_t *w, wsctx_t *x, long long now) {
    w->conn.io = &t_io;
    w->conn.io_ctx = x;
    w->conn.fd = -1;
    w->conn.state = _BCE_CONN_OPEN;
    w->state = _BCE_WS_OPEN;
    w->ever_open = 1;
    w->opened_at = w->last_rx = now;
    w->close_code = 0;
    x->opens++;
}

static void check_ws(const _bce_ws_t *w, const wsctx_t *x) {
    FUZZ_CHECK(w->in_len <= w->in_cap);
    FUZZ_CHECK(w->out_off <= w->out_len && w->out_len <= w->out_cap);
    FUZZ_CHECK(w->msg_len <= x->max_msg);
    FUZZ_CHECK(w->in_cap <= (size_t)x->max_msg + w->ep->max_header + 65536 + 32768);
    FUZZ_CHECK(w->out_cap <= (size_t)x->max_msg + 65536);
    if (w->state != _BCE_WS_OPEN && w->state != _BCE_WS_CLOSING) FUZZ_CHECK(w->in_len == 0 && w->msg_len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in_t in = {data, size, 0};
    unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in);
    wsctx_t x;
    fuzz_alloc_t fa = {0, -1};
    bce_ws_opts_t opts;
    _bce_ws_t *w;
    long long now;
    int iter;
    volatile sig_atomic_t *stop;

    if (size < 4) return 0;
    fuzz_secret_init(data, size);
    fuzz_clock_ms = 1000000;
    memset(&x, 0, sizeof x);
    g_ctx = &x;
    fuzz_events_init(&x.fe);
    x.fe.reenter = 1;
    x.rng.s = (uint64_t)b2 << 8 | b3;
    x.p = data + in.i;
    x.n = size - in.i;
    x.never_read = (b1 & 4) != 0;
    x.send_errors = (b1 & 8) != 0;
    x.eof_at_end = (b1 & 16) != 0;
    x.stop_after = (b1 & 128) ? 3 : 0;
    x.max_msg = 16 + b0 * 16;
    memset(&opts, 0, sizeof opts);
    opts.max_message_bytes = x.max_msg;
    opts.disable_catch_up = !(b1 & 32);
    opts.disable_reconnect = (b1 & 64) != 0;
    opts.on_disconnect = on_disconnect;
    opts.user_data = &x;
    opts.dedup_entries = 4;     /* small: the rings wrap */

    if (b1 & 2) {
        bce_manager_desc_t md;
        bce_coin_desc_t params;
        memset(&md, 0, sizeof md);
        md.logger = fuzz_logger(b1 & 1);
        md.allocator = fuzz_allocator(&fa);
        x.m = bce_manager_create(&md);
        FUZZ_CHECK(x.m != NULL);
        memset(&params, 0, sizeof params);
        params.password = fuzz_password;
        params.logger = md.logger;
        FUZZ_CHECK(bce_manager_configure(x.m, "BTC", &params) == BCE_OK);
        FUZZ_CHECK(bce_manager_add_wallet(x.m, "BTC", "xpubA") != NULL);
        FUZZ_CHECK(bce_manager_add_wallet(x.m, "LTC", "xpubL") != NULL);
        FUZZ_CHECK(bce_manager_on(x.m, "new_block, new_transaction, new_payment, verified_tx", on_event, &x) == BCE_OK);
        FUZZ_CHECK(_bce_mcur_link(x.m, 0) == BCE_OK);
        x.m->cur[0].rpc.conn.transport = &t_io;
        x.m->cur[0].rpc.conn.transport_ctx = &x;
        x.m->cur[0].ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
        x.m->cur[0].ep.transport_ctx = &x;
        FUZZ_CHECK(bce_manager_begin_websocket(x.m, "BTC", &opts) == BCE_OK);
        w = &x.m->cur[0].ws;
        x.fe.manager = x.m;
        stop = &x.m->run.stop_requested;
    } else {
        bce_coin_desc_t d;
        memset(&d, 0, sizeof d);
        d.password = fuzz_password;
        d.logger = fuzz_logger(b1 & 1);
        d.allocator = fuzz_allocator(&fa);
        if (b1 & 32) d.xpub = "xpubA";
        x.coin = bce_coin_create(&d);
        FUZZ_CHECK(x.coin != NULL);
        FUZZ_CHECK(bce_on(x.coin, "new_block, new_transaction, new_payment, verified_tx", on_event, &x) == BCE_OK);
        x.coin->solo->link.rpc.conn.transport = &t_io;
        x.coin->solo->link.rpc.conn.transport_ctx = &x;
        x.coin->solo->link.ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
        x.coin->solo->link.ep.transport_ctx = &x;
        FUZZ_CHECK(bce_coin_begin_websocket(x.coin, &opts) == BCE_OK);
        w = &x.coin->solo->link.ws;
        stop = &x.coin->solo->run.stop_requested;
    }
    FUZZ_CHECK(w->conn.transport == &t_io);
    x.w = w;
    w->rng = 0x5eed;
    x.lib_text = w->on_text;
    w->on_text = on_text;
    now = fuzz_clock_ms;
    force_open(w, &x, now);

    for (iter = 0; iter < 4096 && !*stop; iter++) {
        unsigned step = (unsigned)fuzz_below(&x.rng, 64);
        now += step < 60 ? step % 4 : step == 63 ? 20000 : 2000;    /* now and then a long silence */
        fuzz_clock_ms = now;
        if (w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING) {
            size_t before = x.off;
            _bce_ws_io(w, POLLIN | POLLOUT, now);
            check_ws(w, &x);
            if (w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING) _bce_ws_tick(w, now);
            check_ws(w, &x);
            /* the stream is over and nothing is left to parse */
            if (x.off >= x.n && before == x.off && !x.eof_at_end && w->state == _BCE_WS_OPEN && iter > 64) break;
        } else if (w->state == _BCE_WS_WAIT && x.opens < 5 && x.off < x.n) {
            FUZZ_CHECK(w->result == BCE_OK);
            force_open(w, &x, now);
        } else {
            break;
        }
    }
#ifdef BCE_FUZZ_REPLAY
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "  ws_frames: %d opens, %ld closes, %ld texts, %ld frames sent, %ld handler calls\n",
                x.opens, x.closes, x.texts, x.frames_out, x.fe.calls);
#endif
    if (x.m) bce_manager_destroy(x.m);
    else bce_coin_destroy(x.coin);
    FUZZ_CHECK(fa.live == 0);
    FUZZ_CHECK(x.closes_io == x.opens);         /* every connection was closed, once */
    fuzz_events_release(&x.fe);
    free(x.sent);
    g_ctx = NULL;
    return 0;
}
