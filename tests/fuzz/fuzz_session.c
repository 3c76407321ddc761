/* tests/fuzz/fuzz_session.c: a whole websocket session of a coin (or a manager with two
   currencies), driven by bce_coin_begin_websocket / bce_manager_begin_websocket (or, with
   bit 7 of [1], polling: bce_coin_start_polling / bce_manager_start_polling) and
   bce_*_step(.., 0) on a fake clock, every connection on a test transport whose reads come
   from a script in the input: the handshake answer, frames, JSON-RPC answers to the catch-up
   get_updates calls, would-blocks, resets, EOFs, failed opens and sends, silences that let
   pings, pong timeouts, drains and reconnect delays fire.
   The driver jumps the clock to the next timer whenever a step made no progress, the way a
   poll loop would sleep. Bounded: at most 400 steps per input.
   Checked: handlers (every accessor, refused re-entry), connect and disconnect callbacks,
   the descriptors and timeouts the coin reports, the requests the library sends (one upgrade
   GET, then masked client frames; JSON-RPC POSTs with a JSON body), every connection closed
   exactly once, no leak; with the small token limit of [1] bit 6, no token array larger than
   the limit.

   Input: 4 header bytes, then the script: chunks separated by "\n--\n", each starting with
   a directive byte:
     'w' DATA  the next read of the (first) websocket gets DATA; 'v' DATA: of the second one
     'r' DATA  the next read of the (first) JSON-RPC connection; 'q' DATA: of the second one
     '*' DATA  whichever connection reads next      'a'       the next read would block
     'e'       the next read sees EOF               'x'       the next read fails (reset)
     't' N     the clock jumps N ms                 's'       the next send fails
     'b'       the next 3 sends would block         'o'       the next connect fails
     any other byte: the whole chunk is data for whichever connection reads next.
   In data, "{ACCEPT}" becomes the connection's expected Sec-WebSocket-Accept and "{ID}" the
   id of the JSON-RPC call in flight, padded with spaces to 4 bytes.
     [0] bit 0: checking logger; bit 1: a manager (BTC and the currency of [1]); bit 2:
         force_connect; bit 3: disable_catch_up; bit 4: disable_reconnect; bit 5: an empty
         script reads as EOF (else as silence); bit 6: the coin has no wallet; bit 7: a
         handler calls bce_stop after 5 events
     [1] bits 0-5: the currency (of 10); bit 6: limits.max_json_tokens = 1 + [2] % 32, so that
         a JSON-RPC answer longer than 16 bytes a token is read by its members (the error
         object tokenized alone, a get_updates result one update at a time); bit 7: polling
         instead of the websocket
     [2] ping_interval_ms: 0 = the default, else [2] * 100; drain_interval_ms [2] * 50 + 100
     [3] max_message_bytes = 64 + [3] * 16; dedup_entries = 1 + [3] % 8 */
#include "fuzz_common.h"

#define SEP "\n--\n"
#define MAXC 4

static const char *const currencies[10] = {"BTC", "LTC", "ETH", "BCH", "XRG", "BNB", "MATIC", "TRX", "GRS", "XMR"};

typedef struct connst_t {
    _bce_conn_t *c;
    int ws;                     /* a websocket connection (else JSON-RPC) */
    int open;
    char *sent;
    size_t sent_len, sent_cap;
    int request_done;
} connst_t;

typedef struct sess_t {
    const uint8_t *p;
    size_t n, off;              /* the script */
    /* the chunk being delivered */
    int have, target;           /* target: 'w', 'v', 'r', 'q' or '*' */
    const uint8_t *raw;
    size_t raw_n;
    char *cur;
    size_t cur_n, cur_off, cur_cap;
    int expanded;
    /* armed faults */
    int read_fault;             /* 'a', 'e', 'x' or 0 */
    int fail_send, block_sends, fail_open;
    int eof_at_end;
    long consumed;              /* reads that returned data or an end: progress */
    connst_t conns[MAXC];
    int opens, closes;
    _bce_ws_t *ws[2];
    _bce_rpc_t *rpc[2];
    int nws, nrpc;
    fuzz_events_t fe;
    int stop_after;
    bce_coin_t *coin;
    bce_manager_t *m;
    long connects_cb, disconnects_cb;
} sess_t;

#ifdef BCE_FUZZ_REPLAY
#define TRACE(...) do { if (getenv("FUZZ_DEBUG") && atoi(getenv("FUZZ_DEBUG")) > 1) fprintf(stderr, __VA_ARGS__); } while (0)
#else
#define TRACE(...) ((void)0)
#endif

static connst_t *conn_state(sess_t *s, _bce_conn_t *c) {
    int i;
    for (i = 0; i < MAXC; i++)
        if (s->conns[i].c == c) return &s->conns[i];
    for (i = 0; i < MAXC; i++)
        if (!s->conns[i].c) { s->conns[i].c = c; return &s->conns[i]; }
    FUZZ_CHECK(!"more connections than the harness expects");
    return NULL;
}

static _bce_ws_t *ws_of(sess_t *s, _bce_conn_t *c) {
    int i;
    for (i = 0; i < s->nws; i++)
        if (&s->ws[i]->conn == c) return s->ws[i];
    return NULL;
}

static _bce_rpc_t *rpc_of(sess_t *s, _bce_conn_t *c) {
    int i;
    for (i = 0; i < s->nrpc; i++)
        if (&s->rpc[i]->conn == c) return s->rpc[i];
    return NULL;
}

/* Takes the next chunk off the script into raw/raw_n (directive in *dir). 0 at the end. */
static int next_chunk(sess_t *s, int *dir, const uint8_t **raw, size_t *raw_n) {
    const uint8_t *b = s->p + s->off, *e = s->p + s->n, *q;
    if (s->off >= s->n) return 0;
    for (q = b; q + 4 <= e && memcmp(q, SEP, 4) != 0; q++) {}
    if (q + 4 > e) q = e;
    s->off = q == e ? s->n : (size_t)(q - s->p) + 4;
    if (q == b) { *dir = 0; *raw = b; *raw_n = 0; return 1; }
    switch (b[0]) {
    case 'w': case 'v': case 'r': case 'q': case '*':
    case 'a': case 'e': case 'x': case 't': case 's': case 'b': case 'o':
        *dir = b[0];
        *raw = b + 1;
        *raw_n = (size_t)(q - b) - 1;
        break;
    default:
        *dir = '*';
        *raw = b;
        *raw_n = (size_t)(q - b);
        break;
    }
    return 1;
}

/* Handles the directives at the head of the script that are not reads. */
static void driver_directives(sess_t *s) {
    while (!s->have && !s->read_fault) {
        int dir = 0;
        const uint8_t *raw;
        size_t n;
        if (!next_chunk(s, &dir, &raw, &n)) return;
        switch (dir) {
        case 't': {
            long long ms = 0;
            size_t i;
            for (i = 0; i < n && i < 9 && raw[i] >= '0' && raw[i] <= '9'; i++) ms = ms * 10 + (raw[i] - '0');
            fuzz_clock_ms += ms;
            break;
        }
        case 's': s->fail_send = 1; break;
        case 'b': s->block_sends = 3; break;
        case 'o': s->fail_open = 1; break;
        case 'a': case 'e': case 'x': s->read_fault = dir; break;
        case 'w': case 'v': case 'r': case 'q': case '*':
            s->have = 1;
            s->target = dir;
            s->raw = raw;
            s->raw_n = n;
            s->expanded = 0;
            s->cur_off = s->cur_n = 0;
            break;
        default: break;                  /* an empty chunk */
        }
    }
}

static int t_open(_bce_conn_t *c, const _bce_url_t *u) {
    sess_t *s = (sess_t *)c->transport_ctx;
    connst_t *cs;
    FUZZ_CHECK(u != NULL);
    if (s->fail_open) {
        s->fail_open = 0;
        _bce_conn_error(c, "test transport: connect refused", NULL);
        return BCE_ERR_CONNECT;
    }
    c->fd = fuzz_ready_fd();
    if (c->fd < 0) return BCE_ERR_CONNECT;
    cs = conn_state(s, c);
    FUZZ_CHECK(!cs->open);
    cs->open = 1;
    cs->ws = ws_of(s, c) != NULL;
    FUZZ_CHECK(cs->ws || rpc_of(s, c) != NULL);
    cs->sent_len = 0;
    cs->request_done = 0;
    s->opens++;
    TRACE("    t=%lld open %s\n", fuzz_clock_ms, cs->ws ? "ws" : "rpc");
    return BCE_OK;
}

static void t_close(_bce_conn_t *c) {
    sess_t *s = (sess_t *)c->io_ctx;
    connst_t *cs = conn_state(s, c);
    FUZZ_CHECK(cs->open);
    cs->open = 0;
    s->closes++;
    TRACE("    t=%lld close %s: %s\n", fuzz_clock_ms, cs->ws ? "ws" : "rpc", c->error ? c->error : "");
}

static long t_recv(_bce_conn_t *c, char *buf, size_t len) {
    sess_t *s = (sess_t *)c->io_ctx;
    connst_t *cs = conn_state(s, c);
    size_t take;
    FUZZ_CHECK(cs->open && len > 0);
    driver_directives(s);
    if (s->read_fault) {
        int f = s->read_fault;
        s->read_fault = 0;
        TRACE("    t=%lld read %s fault %c\n", fuzz_clock_ms, cs->ws ? "ws" : "rpc", f);
        if (f == 'a') return _BCE_IO_AGAIN_READ;
        s->consumed++;
        if (f == 'e') return 0;
        _bce_conn_error(c, "test transport: connection reset", NULL);
        return BCE_ERR_CONNECT;
    }
    if (!s->have) {
        if (s->off >= s->n && s->eof_at_end) { s->consumed++; return 0; }
        return _BCE_IO_AGAIN_READ;
    }
    if (s->target != '*') {
        int want_ws = s->target == 'w' || s->target == 'v', idx = s->target == 'v' || s->target == 'q';
        if (want_ws != cs->ws) return _BCE_IO_AGAIN_READ;
        if (want_ws ? (idx >= s->nws || &s->ws[idx]->conn != c) : (idx >= s->nrpc || &s->rpc[idx]->conn != c))
            return _BCE_IO_AGAIN_READ;
    }
    if (!s->expanded) {
        /* fill in the markers for this connection */
        const char *accept = cs->ws ? ws_of(s, c)->accept : "";
        char id[24];
        size_t i, o = 0;
        _bce_rpc_t *rpc = cs->ws ? NULL : rpc_of(s, c);
        /* padded to the marker's 4 bytes, so that a Content-Length written around "{ID}"
           stays right (JSON allows the spaces) */
        snprintf(id, sizeof id, "%-4llu", rpc ? rpc->call_id : 0ull);
        if (s->cur_cap < s->raw_n * 4 + 64) {
            free(s->cur);
            s->cur_cap = s->raw_n * 4 + 64;
            s->cur = (char *)malloc(s->cur_cap);
            FUZZ_CHECK(s->cur != NULL);
        }
        for (i = 0; i < s->raw_n;) {
            if (s->raw_n - i >= 8 && memcmp(s->raw + i, "{ACCEPT}", 8) == 0) {
                memcpy(s->cur + o, accept, strlen(accept));
                o += strlen(accept);
                i += 8;
            } else if (s->raw_n - i >= 4 && memcmp(s->raw + i, "{ID}", 4) == 0) {
                memcpy(s->cur + o, id, strlen(id));
                o += strlen(id);
                i += 4;
            } else {
                s->cur[o++] = (char)s->raw[i++];
            }
        }
        s->cur_n = o;
        s->cur_off = 0;
        s->expanded = 1;
        if (o == 0) {           /* an empty data chunk: nothing to read */
            s->have = 0;
            return _BCE_IO_AGAIN_READ;
        }
    }
    take = s->cur_n - s->cur_off;
    if (take > len) take = len;
    TRACE("    t=%lld read %s %zu bytes\n", fuzz_clock_ms, cs->ws ? "ws" : "rpc", take);
    memcpy(buf, s->cur + s->cur_off, take);
    s->cur_off += take;
    if (s->cur_off == s->cur_n) s->have = 0;
    s->consumed++;
    return (long)take;
}

/* What the library sends: an upgrade GET then client frames, or JSON-RPC POSTs. */
static void check_sent(connst_t *cs) {
    for (;;) {
        if (!cs->request_done) {
            char *end;
            size_t hl;
            cs->sent[cs->sent_len] = 0;
            end = strstr(cs->sent, "\r\n\r\n");
            if (!end) return;
            hl = (size_t)(end + 4 - cs->sent);
            if (cs->ws) {
                FUZZ_CHECK(memcmp(cs->sent, "GET ", 4) == 0);
                FUZZ_CHECK(strstr(cs->sent, fuzz_auth_b64) != NULL);
                cs->request_done = 1;
            } else {
                const char *cl = strstr(cs->sent, "\r\nContent-Length: ");
                size_t blen;
                FUZZ_CHECK(memcmp(cs->sent, "POST ", 5) == 0 && cl && cl < end);
                blen = strtoul(cl + 18, NULL, 10);
                if (cs->sent_len < hl + blen) return;
                FUZZ_CHECK(bce_json_validate(cs->sent + hl, blen, 0, NULL) == BCE_OK);
                hl += blen;
            }
            memmove(cs->sent, cs->sent + hl, cs->sent_len - hl);
            cs->sent_len -= hl;
            if (!cs->ws) continue;
        }
        {
            size_t used = 0;
            for (;;) {
                int op = 0;
                size_t f = fuzz_check_client_frame((const unsigned char *)cs->sent + used, cs->sent_len - used, &op);
                if (!f) break;
                used += f;
            }
            memmove(cs->sent, cs->sent + used, cs->sent_len - used);
            cs->sent_len -= used;
        }
        return;
    }
}

static long t_send(_bce_conn_t *c, const char *buf, size_t len) {
    sess_t *s = (sess_t *)c->io_ctx;
    connst_t *cs = conn_state(s, c);
    FUZZ_CHECK(cs->open && len > 0);
    if (s->block_sends > 0) { s->block_sends--; return _BCE_IO_AGAIN_WRITE; }
    if (s->fail_send) {
        s->fail_send = 0;
        _bce_conn_error(c, "test transport: broken pipe", NULL);
        return BCE_ERR_CONNECT;
    }
    if (cs->sent_len + len + 1 > cs->sent_cap) {
        size_t ncap = (cs->sent_len + len + 1) * 2;
        char *nb = (char *)realloc(cs->sent, ncap);
        FUZZ_CHECK(nb != NULL);
        cs->sent = nb;
        cs->sent_cap = ncap;
    }
    memcpy(cs->sent + cs->sent_len, buf, len);
    cs->sent_len += len;
    check_sent(cs);
    return (long)len;
}

static const _bce_io_t t_io = {t_open, NULL, t_send, t_recv, t_close};

static void on_connect(bce_coin_t *coin, const char *currency, void *ud) {
    sess_t *s = (sess_t *)ud;
    char out[8];
    FUZZ_CHECK(coin != NULL && currency != NULL && strcmp(bce_coin_currency(coin), currency) == 0);
    /* a coin's own callback is refused blocking calls; a manager's stand-in coin is not (see
       the report: bce_rpc there would make a real blocking call), so only coins are tried */
    if (!s->m) FUZZ_CHECK(bce_rpc(coin, "get_updates", NULL, out, sizeof out, NULL) == BCE_ERR_STATE);
    s->connects_cb++;
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *ud) {
    sess_t *s = (sess_t *)ud;
    TRACE("    t=%lld disconnect %d %s\n", fuzz_clock_ms, code, reason ? reason : "");
    FUZZ_CHECK(coin != NULL && reason != NULL && strlen(reason) < 256);
    FUZZ_CHECK(code == 1005 || code == 1006 || _bce_ws_close_code_ok(code));
    s->disconnects_cb++;
}

static void on_event(const bce_event_t *ev, void *ud) {
    sess_t *s = (sess_t *)ud;
    fuzz_on_event(ev, &s->fe);
    if (s->stop_after && s->fe.calls >= s->stop_after) {
        if (s->m) bce_manager_stop(s->m);
        else bce_stop(bce_event_instance(ev));
    }
}

static void check_fds(sess_t *s) {
    bce_fd_t fds[16];
    int n = s->m ? bce_manager_fds(s->m, fds, 16) : bce_coin_fds(s->coin, fds, 16), i;
    int t = s->m ? bce_manager_timeout_ms(s->m) : bce_coin_timeout_ms(s->coin);
    FUZZ_CHECK(n >= 0 && n <= 16);
    for (i = 0; i < n; i++) FUZZ_CHECK(fds[i].fd >= 0 && fds[i].events != 0 && !(fds[i].events & ~3));
    FUZZ_CHECK(t >= -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in_t in = {data, size, 0};
    unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in);
    sess_t s;
    fuzz_alloc_t fa = {0, -1};
    bce_ws_opts_t opts;
    bce_logger_t lg;
    int step, idle = 0, after_end = 0, i, r = 1;
    const char *cur = currencies[(b1 & 63) % 10];
    uint32_t max_tokens = (b1 & 64) ? 1 + b2 % 32 : 0;
    int polling = (b1 & 128) != 0;
    if (size < 4) return 0;
    fuzz_secret_init(data, size);
    fuzz_clock_ms = 1000000;
    memset(&s, 0, sizeof s);
    fuzz_events_init(&s.fe);
    s.fe.reenter = 1;
    s.p = data + in.i;
    s.n = size - in.i;
    s.eof_at_end = (b0 & 32) != 0;
    s.stop_after = (b0 & 128) ? 5 : 0;
    lg = fuzz_logger(b0 & 1);
    memset(&opts, 0, sizeof opts);
    opts.on_connect = on_connect;
    opts.on_disconnect = on_disconnect;
    opts.user_data = &s;
    opts.force_connect = (b0 & 4) != 0;
    opts.disable_catch_up = (b0 & 8) != 0;
    opts.disable_reconnect = (b0 & 16) != 0;
    opts.ping_interval_ms = b2 ? (int)b2 * 100 : 0;
    opts.pong_timeout_ms = 500;
    opts.drain_interval_ms = (int)b2 * 50 + 100;
    opts.max_message_bytes = 64 + b3 * 16;
    opts.dedup_entries = 1 + b3 % 8;
    opts.reconnect_min_ms = 100;
    opts.reconnect_max_ms = 2000;

    if (b0 & 2) {
        bce_manager_desc_t md;
        bce_coin_desc_t params;
        memset(&md, 0, sizeof md);
        md.logger = lg;
        md.allocator = fuzz_allocator(&fa);
        md.limits.max_json_tokens = max_tokens;
        s.m = bce_manager_create(&md);
        FUZZ_CHECK(s.m != NULL);
        memset(&params, 0, sizeof params);
        params.url = "http://127.0.0.1:5000";
        params.password = fuzz_password;
        params.logger = lg;
        params.connect_timeout_ms = 2000;
        params.rpc_timeout_ms = 3000;
        params.limits.max_json_tokens = max_tokens;
        FUZZ_CHECK(bce_manager_configure(s.m, "BTC", &params) == BCE_OK);
        FUZZ_CHECK(bce_manager_configure(s.m, cur, &params) == BCE_OK);
        FUZZ_CHECK(bce_manager_add_wallet(s.m, "BTC", "xpubA") != NULL);
        FUZZ_CHECK(bce_manager_add_wallet(s.m, "BTC", "xpubB") != NULL);
        FUZZ_CHECK(bce_manager_add_wallet(s.m, cur, "xpubC") != NULL);
        FUZZ_CHECK(bce_manager_on(s.m, "new_block, new_transaction, new_payment, verified_tx", on_event, &s) == BCE_OK);
        for (i = 0; i < 10; i++) {
            if (strcmp(currencies[i], "BTC") != 0 && strcmp(currencies[i], cur) != 0) continue;
            FUZZ_CHECK(_bce_mcur_link(s.m, i) == BCE_OK);
            s.m->cur[i].rpc.conn.transport = &t_io;
            s.m->cur[i].rpc.conn.transport_ctx = &s;
            s.m->cur[i].ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
            s.m->cur[i].ep.transport_ctx = &s;
            s.rpc[s.nrpc++] = &s.m->cur[i].rpc;
            s.ws[s.nws++] = &s.m->cur[i].ws;
        }
        s.fe.manager = s.m;
        r = polling ? bce_manager_start_polling(s.m, (int)b2 * 20) : bce_manager_begin_websocket(s.m, NULL, &opts);
        FUZZ_CHECK(r == BCE_OK);
        for (i = 0; i < s.nws; i++) s.ws[i]->rng = 0x5eed + (uint64_t)i;
    } else {
        bce_coin_desc_t d;
        memset(&d, 0, sizeof d);
        d.currency = cur;
        d.url = "http://127.0.0.1:5000";
        d.password = fuzz_password;
        d.logger = lg;
        d.allocator = fuzz_allocator(&fa);
        d.connect_timeout_ms = 2000;
        d.rpc_timeout_ms = 3000;
        d.limits.max_json_tokens = max_tokens;
        if (!(b0 & 64)) d.xpub = "xpubA";
        s.coin = bce_coin_create(&d);
        FUZZ_CHECK(s.coin != NULL);
        FUZZ_CHECK(bce_on(s.coin, "new_block, new_transaction, new_payment, verified_tx", on_event, &s) == BCE_OK);
        s.coin->solo->link.rpc.conn.transport = &t_io;
        s.coin->solo->link.rpc.conn.transport_ctx = &s;
        s.coin->solo->link.ep.transport = &t_io;       /* the websocket, made later, takes the endpoint's */
        s.coin->solo->link.ep.transport_ctx = &s;
        s.rpc[s.nrpc++] = &s.coin->solo->link.rpc;
        s.ws[s.nws++] = &s.coin->solo->link.ws;
        if (polling && d.xpub) {
            FUZZ_CHECK(bce_coin_start_polling(s.coin, (int)b2 * 20) == BCE_OK);
        } else {
            FUZZ_CHECK(bce_coin_begin_websocket(s.coin, &opts) == BCE_OK);
            s.coin->solo->link.ws.rng = 0x5eed;
        }
    }

    for (step = 0; step < 400; step++) {
        long before;
        driver_directives(&s);
        before = s.consumed;
        r = s.m ? bce_manager_step(s.m, 0) : bce_coin_step(s.coin, 0);
        if (r <= 0) break;
        check_fds(&s);
        for (i = 0; max_tokens && i < s.nrpc; i++)      /* the small limit holds on every parse */
            FUZZ_CHECK(!s.rpc[i]->json || s.rpc[i]->json->capacity <= max_tokens);
        if (s.off >= s.n && !s.have && !s.read_fault && ++after_end > 32) break;   /* enough of the end */
        if (s.consumed != before) {
            idle = 0;
            fuzz_clock_ms += 1;
            continue;
        }
        /* nothing happened: sleep until the next timer, as a poll loop would */
        {
            int t = s.m ? bce_manager_timeout_ms(s.m) : bce_coin_timeout_ms(s.coin);
            fuzz_clock_ms += t < 0 || t > 60000 ? 60000 : t < 1 ? 1 : t;
        }
        if (++idle >= 8) {
            if (s.off >= s.n && !s.have && !s.read_fault) break;     /* the script is over */
            s.have = 0;                 /* nobody takes this chunk: drop it */
            s.read_fault = 0;
            idle = 0;
        }
    }
    FUZZ_CHECK(r == 1 || r == 0 || r == BCE_ERR_AUTH || r == BCE_ERR_CLOSED || r < 0);
    /* stop, as a program would, then the step that ends it */
    if (s.m) {
        bce_manager_stop(s.m);
        FUZZ_CHECK(bce_manager_step(s.m, 0) == 0);
        FUZZ_CHECK(bce_manager_fds(s.m, NULL, 0) == 0);
        bce_manager_destroy(s.m);
    } else {
        bce_stop(s.coin);
        FUZZ_CHECK(bce_coin_step(s.coin, 0) == 0);
        FUZZ_CHECK(bce_coin_fds(s.coin, NULL, 0) == 0);
        bce_coin_destroy(s.coin);
    }
#ifdef BCE_FUZZ_REPLAY
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "  session: %d steps, result %d, %d connections, %ld connects, %ld disconnects, "
                "%ld handler calls\n", step, r, s.opens, s.connects_cb, s.disconnects_cb, s.fe.calls);
#endif
    FUZZ_CHECK(fa.live == 0);
    FUZZ_CHECK(s.opens == s.closes);
    for (i = 0; i < MAXC; i++) {
        FUZZ_CHECK(!s.conns[i].open);
        free(s.conns[i].sent);
    }
    free(s.cur);
    fuzz_events_release(&s.fe);
    return 0;
}
