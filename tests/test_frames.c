/* tests/test_frames.c: the websocket layers on their own, over buffers (no server, no
   socket): SHA-1 and the accept key, frame headers, UTF-8 and close codes, the deduplication
   records, and control frames inside a big message. tests/test_ws.c runs the websocket
   against the fake daemons. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"

static void test_sha1_and_accept(void) {
    static const struct { const char *in; const char *hex; } v[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    };
    size_t i, k;
    for (i = 0; i < 3; i++) {
        _bce_sha1_t s;
        unsigned char d[20];
        char hex[41];
        _bce_sha1_init(&s);
        /* fed in uneven pieces */
        for (k = 0; k < strlen(v[i].in); k += 7)
            _bce_sha1_update(&s, v[i].in + k, strlen(v[i].in) - k < 7 ? strlen(v[i].in) - k : 7);
        _bce_sha1_final(&s, d);
        for (k = 0; k < 20; k++) sprintf(hex + 2 * k, "%02x", d[k]);
        CHECK_STR(hex, v[i].hex);
    }
    {   /* a million 'a' */
        _bce_sha1_t s;
        unsigned char d[20];
        char hex[41], buf[1000];
        memset(buf, 'a', sizeof buf);
        _bce_sha1_init(&s);
        for (k = 0; k < 1000; k++) _bce_sha1_update(&s, buf, sizeof buf);
        _bce_sha1_final(&s, d);
        for (k = 0; k < 20; k++) sprintf(hex + 2 * k, "%02x", d[k]);
        CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }
    {   /* RFC 6455 section 1.3 */
        _bce_sha1_t s;
        unsigned char d[20];
        char out[32];
        const char *key = "dGhlIHNhbXBsZSBub25jZQ==", *guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        _bce_sha1_init(&s);
        _bce_sha1_update(&s, key, strlen(key));
        _bce_sha1_update(&s, guid, strlen(guid));
        _bce_sha1_final(&s, d);
        _bce_base64(d, 20, out);
        CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}

typedef struct frame_case_t {
    const char *bytes;
    size_t n;
    int result;         /* 1 header complete, 0 more needed, or -close code */
    int fin, opcode;
    size_t header, len;
} frame_case_t;

#define FB(s) s, sizeof(s) - 1
static const frame_case_t frame_cases[] = {
    {FB("\x81\x05hello"), 1, 1, 1, 2, 5},
    {FB("\x01\x03hel"), 1, 0, 1, 2, 3},
    {FB("\x80\x00"), 1, 1, 0, 2, 0},
    {FB("\x89\x00"), 1, 1, 9, 2, 0},
    {FB("\x8A\x7D"), 1, 1, 10, 2, 125},
    {FB("\x88\x02\x03\xE8"), 1, 1, 8, 2, 2},
    {FB("\x82\x7E\x00\x7E"), 1, 1, 2, 4, 126},
    {FB("\x81\x7E\xFF\xFF"), 1, 1, 1, 4, 65535},
    {FB("\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00"), 1, 1, 1, 10, 65536},
    {FB("\x81"), 0, 0, 0, 0, 0},
    {FB("\x81\x7E\x00"), 0, 0, 0, 0, 0},
    {FB("\x81\x7F\x00\x00\x00\x00\x00\x01\x00"), 0, 0, 0, 0, 0},
    {FB("\xC1\x00"), -1002, 0, 0, 0, 0},                  /* RSV1 */
    {FB("\xA1\x00"), -1002, 0, 0, 0, 0},                  /* RSV2 */
    {FB("\x91\x00"), -1002, 0, 0, 0, 0},                  /* RSV3 */
    {FB("\x83\x00"), -1002, 0, 0, 0, 0},                  /* opcode 3 */
    {FB("\x87\x00"), -1002, 0, 0, 0, 0},                  /* opcode 7 */
    {FB("\x8B\x00"), -1002, 0, 0, 0, 0},                  /* opcode 11 */
    {FB("\x8F\x00"), -1002, 0, 0, 0, 0},                  /* opcode 15 */
    {FB("\x81\x85\x01\x02\x03\x04hello"), -1002, 0, 0, 0, 0},   /* masked by the server */
    {FB("\x09\x00"), -1002, 0, 0, 0, 0},                  /* fragmented ping */
    {FB("\x89\x7E\x00\x7E"), -1002, 0, 0, 0, 0},          /* control frame over 125 */
    {FB("\x81\x7E\x00\x05"), -1002, 0, 0, 0, 0},          /* 16-bit length that fits in 7 */
    {FB("\x81\x7F\x00\x00\x00\x00\x00\x00\xFF\xFF"), -1002, 0, 0, 0, 0},   /* 64-bit that fits in 16 */
    {FB("\x81\x7F\x80\x00\x00\x00\x00\x00\x00\x01"), -1002, 0, 0, 0, 0},   /* top bit set */
    {FB("\x81\x7F\x00\x00\x00\x01\x00\x00\x00\x00"), -1009, 0, 0, 0, 0},   /* 4 GiB: over the limit */
};

static void test_frame_headers(void) {
    size_t i, k;
    for (i = 0; i < sizeof frame_cases / sizeof frame_cases[0]; i++) {
        const frame_case_t *c = &frame_cases[i];
        _bce_ws_frame_t f;
        int r = _bce_ws_frame_header((const unsigned char *)c->bytes, c->n, 1u << 20, &f);
        if (r != c->result) fprintf(stderr, "frame case %u: %d\n", (unsigned)i, r);
        CHECK_INT(r, c->result);
        if (r == 1) {
            CHECK_INT(f.fin, c->fin);
            CHECK_INT(f.opcode, c->opcode);
            CHECK_INT(f.header, c->header);
            CHECK_INT(f.len, c->len);
        }
        /* every shorter prefix either needs more or already knows the verdict */
        for (k = 0; k < c->n; k++) {
            int p = _bce_ws_frame_header((const unsigned char *)c->bytes, k, 1u << 20, &f);
            CHECK(p == 0 || p == c->result);
        }
    }
    {   /* a frame we build parses back; the mask is applied */
        unsigned char out[300], payload[200];
        _bce_ws_frame_t f;
        size_t n;
        for (k = 0; k < sizeof payload; k++) payload[k] = (unsigned char)k;
        n = _bce_ws_frame_build(out, _BCE_WS_TEXT, payload, sizeof payload, 0x11223344u);
        CHECK_INT(n, 2 + 2 + 4 + 200);
        CHECK_INT(out[0], 0x81);
        CHECK_INT(out[1], 0x80 | 126);
        CHECK_INT(out[8] ^ 0x11, 0);
        CHECK_INT(out[9] ^ 0x22, 1);
        CHECK_INT(out[11] ^ 0x44, 3);
        out[1] &= 0x7F;   /* unmasked copy for our own parser */
        CHECK_INT(_bce_ws_frame_header(out, n, 1000, &f), 1);
        CHECK_INT(f.len, 200);
    }
}

static void test_utf8_and_close_codes(void) {
    static const struct { const char *s; int ok; } u[] = {
        {"", 1}, {"plain ascii", 1}, {"\xC2\x80", 1}, {"\xDF\xBF", 1}, {"\xE0\xA0\x80", 1}, {"\xEF\xBF\xBF", 1},
        {"\xF0\x90\x80\x80", 1}, {"\xF4\x8F\xBF\xBF", 1}, {"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", 1},
        {"\xC0\x80", 0}, {"\xC1\xBF", 0}, {"\xE0\x9F\xBF", 0}, {"\xED\xA0\x80", 0}, {"\xF0\x8F\xBF\xBF", 0},
        {"\xF4\x90\x80\x80", 0}, {"\xF5\x80\x80\x80", 0}, {"\xFF", 0}, {"\x80", 0}, {"\xC2", 0},
        {"\xE1\x80", 0}, {"abcdefgh\xC2", 0}, {"abcdefghijklmnop\xED\xBF\xBF", 0},
    };
    static const int ok_codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const int bad_codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
    size_t i;
    for (i = 0; i < sizeof u / sizeof u[0]; i++) CHECK_INT(_bce_utf8_valid((const unsigned char *)u[i].s, strlen(u[i].s)), u[i].ok);
    for (i = 0; i < sizeof ok_codes / sizeof ok_codes[0]; i++) CHECK(_bce_ws_close_code_ok(ok_codes[i]));
    for (i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) CHECK(!_bce_ws_close_code_ok(bad_codes[i]));
}

static void test_dedup_records(void) {
    bce_allocator_t a;
    _bce_seen_t w, g;
    _bce_dedup_t ws, q;
    const char *u1 = "{\"event\":\"new_transaction\",\"tx\":\"a\"}";
    const char *u1_spaced = "{ \"event\": \"new_transaction\", \"tx\": \"a\" }";
    const char *u2 = "{\"event\":\"new_transaction\",\"tx\":\"a b\"}";
    const char *u2_other = "{\"event\":\"new_transaction\",\"tx\":\"ab\"}";
    const char *blk = "{\"event\":\"new_block\",\"height\":7}";
    memset(&a, 0, sizeof a);
    _bce_seen_init(&w, &a, 8, 4);
    _bce_seen_init(&g, &a, 4, 0);
    memset(&ws, 0, sizeof ws);
    ws.wallet = &w;
    ws.global = &g;
    ws.from_ws = 1;
    ws.now = 1000;
    q = ws;
    q.from_ws = 0;
    q.ws_open = 1;
    /* whitespace outside strings does not matter, inside strings it does */
    CHECK(_bce_update_hash(u1, strlen(u1)) == _bce_update_hash(u1_spaced, strlen(u1_spaced)));
    CHECK(_bce_update_hash(u2, strlen(u2)) != _bce_update_hash(u2_other, strlen(u2_other)));
    /* websocket twice (a real repeat), then the queue holds it twice: both skipped, once each */
    w.mark = w.pushes;
    CHECK_INT(_bce_dedup_skip(&ws, 0, u1, strlen(u1)), 0);
    CHECK_INT(_bce_dedup_skip(&ws, 0, u1, strlen(u1)), 0);
    CHECK_INT(_bce_dedup_skip(&q, 0, u1_spaced, strlen(u1_spaced)), 1);
    CHECK_INT(_bce_dedup_skip(&q, 0, u1, strlen(u1)), 1);
    CHECK_INT(_bce_dedup_skip(&q, 0, u1, strlen(u1)), 0);   /* a third copy is new */
    /* ... and that third one, delivered from the queue while open, swallows its websocket twin */
    CHECK_INT(_bce_dedup_skip(&ws, 0, u1, strlen(u1)), 1);
    CHECK_INT(_bce_dedup_skip(&ws, 0, u1, strlen(u1)), 0);
    /* settled: what the websocket delivered before the call and the queue did not return is
       gone from the daemon, so a later queued repeat is delivered */
    w.mark = w.pushes;
    _bce_seen_settle(&w, NULL);
    CHECK_INT(_bce_dedup_skip(&q, 0, u1, strlen(u1)), 0);
    /* queue twins expire */
    q.now = ws.now = 1000 + BCE_DEDUP_TWIN_MS + 1;
    CHECK_INT(_bce_dedup_skip(&ws, 0, u1, strlen(u1)), 0);
    /* global events: once, whatever the path, however many wallet queues hold them */
    CHECK_INT(_bce_dedup_skip(&ws, 1, blk, strlen(blk)), 0);
    CHECK_INT(_bce_dedup_skip(&q, 1, blk, strlen(blk)), 1);
    CHECK_INT(_bce_dedup_skip(&q, 1, blk, strlen(blk)), 1);
    /* the race that a soak run found: a get_updates answer holds an update that the daemon is
       also sending on a websocket whose handshake the client has not finished reading; the
       queue copy must still remember its websocket twin */
    {
        _bce_ws_t wsx;
        const char *u3 = "{\"event\":\"new_transaction\",\"tx\":\"race\"}";
        memset(&wsx, 0, sizeof wsx);
        wsx.state = _BCE_WS_HANDSHAKE;
        q.ws_open = _bce_ws_may_deliver(&wsx);
        CHECK_INT(q.ws_open, 1);
        CHECK_INT(_bce_dedup_skip(&q, 0, u3, strlen(u3)), 0);
        CHECK_INT(_bce_dedup_skip(&ws, 0, u3, strlen(u3)), 1);
        wsx.state = _BCE_WS_WAIT;           /* no connection that could still bring it */
        CHECK_INT(_bce_ws_may_deliver(&wsx), 0);
        wsx.state = _BCE_WS_CONNECTING;     /* the upgrade request has not even gone out */
        CHECK_INT(_bce_ws_may_deliver(&wsx), 0);
    }
    /* a NULL record means no deduplication */
    CHECK_INT(_bce_dedup_skip(NULL, 0, u1, strlen(u1)), 0);
    _bce_seen_release(&w);
    _bce_seen_release(&g);
}

/* A ping between the fragments of a message close to max_message_bytes is fine: only data
   counts against the limit. Frames go straight into the receive buffer of a websocket in the
   open state whose transport swallows what it sends. */
static long swallow_send(_bce_conn_t *c, const char *buf, size_t len) { (void)c; (void)buf; return (long)len; }
static long nothing_recv(_bce_conn_t *c, char *buf, size_t len) { (void)c; (void)buf; (void)len; return _BCE_IO_AGAIN_READ; }
static const _bce_io_t swallow_io = {NULL, NULL, swallow_send, nothing_recv, NULL};
static size_t got_len;
static int got_msgs;
static int on_text_len(void *owner, const char *text, size_t len, long long now) {
    (void)owner; (void)text; (void)now;
    got_len = len;
    got_msgs++;
    return 0;
}

static void test_control_frame_inside_a_big_message(void) {
    _bce_ws_t w;
    bce_allocator_t a;
    bce_logger_t lg;
    char err[128];
    unsigned char *buf = (unsigned char *)malloc(5000);
    size_t o = 0;
    memset(&a, 0, sizeof a);
    memset(&lg, 0, sizeof lg);
    lg.level = -1;
    memset(&w, 0, sizeof w);
    w.conn.fd = -1;
    w.conn.error = err;
    w.conn.error_cap = sizeof err;
    w.conn.io = &swallow_io;
    w.alloc = &a;
    w.logger = &lg;
    w.state = _BCE_WS_OPEN;
    w.opts.max_message_bytes = 4096;
    w.on_text = on_text_len;
    /* text, not final, 4090 bytes */
    buf[o++] = 0x01; buf[o++] = 126; buf[o++] = (unsigned char)(4090 >> 8); buf[o++] = (unsigned char)(4090 & 0xFF);
    memset(buf + o, 'a', 4090); o += 4090;
    /* a 125-byte ping */
    buf[o++] = 0x89; buf[o++] = 125;
    memset(buf + o, 'p', 125); o += 125;
    /* the final 6 bytes: exactly the limit */
    buf[o++] = 0x80; buf[o++] = 6;
    memset(buf + o, 'b', 6); o += 6;
    w.in = buf;
    w.in_cap = 5000;
    w.in_len = o;
    _bce_ws_frames(&w, 0);
    CHECK_INT(w.state, _BCE_WS_OPEN);
    CHECK_INT(got_msgs, 1);
    CHECK_INT(got_len, 4096);
    CHECK(w.out_len >= 125 + 6);            /* the pong was queued */
    /* one byte more is over the limit: 1009 */
    w.in_len = 0;
    o = 0;
    buf[o++] = 0x01; buf[o++] = 126; buf[o++] = (unsigned char)(4090 >> 8); buf[o++] = (unsigned char)(4090 & 0xFF);
    memset(buf + o, 'a', 4090); o += 4090;
    buf[o++] = 0x80; buf[o++] = 7;
    memset(buf + o, 'b', 7); o += 7;
    w.in_len = o;
    _bce_ws_frames(&w, 0);
    CHECK_INT(w.close_code, 1009);
    CHECK_INT(got_msgs, 1);
    w.in = NULL;
    _bce_ws_release(&w);
    free(buf);
}

/* A coin's text messages: their UTF-8 is checked once, by the JSON scan (and by a check of its
   own only for text that is not JSON), and a text that is not valid UTF-8 still fails the
   connection with 1007 (RFC 6455 8.1), whole or fragmented, JSON or not, held for a catch-up
   or not. The frames come from feed_recv, one message per call. */
static const unsigned char *feed_p;
static size_t feed_n;
static long feed_recv(_bce_conn_t *c, char *buf, size_t len) {
    (void)c;
    if (!feed_n) return _BCE_IO_AGAIN_READ;
    if (len > feed_n) len = feed_n;
    memcpy(buf, feed_p, len);
    feed_p += len;
    feed_n -= len;
    return (long)len;
}
static const _bce_io_t feed_io = {NULL, NULL, swallow_send, feed_recv, NULL};
static int tx_events;
static void count_tx(const bce_event_t *ev, void *ud) { (void)ev; (void)ud; tx_events++; }

/* Plays one text message (split into frames of at most `frag` bytes, 0: one frame) on a fresh
   coin's open websocket; holding: as if a catch-up answer were awaited. Returns the close code
   the client chose (0: it stayed open); *events gets the handler calls. */
static int play_text(const char *text, size_t n, size_t frag, int holding, int *events) {
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    _bce_ws_t *w;
    unsigned char frames[600];
    size_t off = 0, k = 0;
    int code;
    memset(&d, 0, sizeof d);
    d.url = "http://127.0.0.1:9";
    d.logger.level = -1;
    coin = bce_coin_create(&d);
    CHECK(coin != NULL);
    if (!coin) return -1;
    CHECK_INT(bce_on(coin, "new_transaction", count_tx, NULL), BCE_OK);
    memset(&o, 0, sizeof o);
    o.disable_catch_up = 1;
    o.disable_reconnect = 1;
    CHECK_INT(bce_coin_begin_websocket(coin, &o), BCE_OK);
    w = &coin->solo->link.ws;
    coin->solo->link.hold.on = holding;
    do {                                            /* frames: text, then continuations */
        size_t m = frag && n - off > frag ? frag : n - off;
        CHECK(k + 2 + m <= sizeof frames && m <= 125);
        frames[k++] = (unsigned char)((off + m == n ? 0x80 : 0) | (off == 0 ? 1 : 0));
        frames[k++] = (unsigned char)m;
        memcpy(frames + k, text + off, m);
        k += m;
        off += m;
    } while (off < n);
    w->conn.io = &feed_io;
    w->conn.fd = -1;
    w->conn.state = _BCE_CONN_OPEN;
    w->state = _BCE_WS_OPEN;
    w->ever_open = 1;
    feed_p = frames;
    feed_n = k;
    tx_events = 0;
    _bce_ws_io(w, POLLIN, 1000);
    CHECK_INT((int)feed_n, 0);
    code = w->close_code;
    *events = tx_events;
    if (holding) {                                  /* what was held is delivered at the end */
        _bce_hold_release(&coin->solo->link.hold, &coin->solo->link, _bce_link_feed, 1000);
        *events = tx_events;
    }
    bce_coin_destroy(coin);
    return code;
}

static void test_text_utf8_checked_once(void) {
#define MSG(tx) "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"" tx "\"}],\"currency\":\"BTC\"}"
    static const struct { const char *text; int close, events; } cases[] = {
        {MSG("ok"), 0, 1},
        {MSG("ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 ok"), 0, 1},    /* 2-, 3-, 4-byte characters */
        {MSG("ok\xC0\xAFok"), 1007, 0},                      /* overlong '/': valid JSON but for it */
        {MSG("ok\xED\xA0\x80ok"), 1007, 0},                  /* a surrogate */
        {MSG("ok\xF4\x90\x80\x80ok"), 1007, 0},              /* above U+10FFFF */
        {MSG("ok\xE2\x82"), 1007, 0},                        /* cut: the quote follows */
        {MSG("ok\x80ok"), 1007, 0},                          /* a lone continuation byte */
        {"not JSON, but UTF-8: \xC3\xA9", 0, 0},             /* skipped, the connection stays */
        {"not JSON and not UTF-8: \xFF", 1007, 0},
        {"{\"updates\":[]} \xC3\xA9", 0, 0},                  /* data after the value: not JSON */
        {"{\"updates\":[]} \xC3", 1007, 0},
        {"", 0, 0},
    };
    size_t i, frag;
    int holding;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (holding = 0; holding < 2; holding++)
            for (frag = 0; frag < 4; frag++) {
                const char *t = cases[i].text;
                int events = -1, code = play_text(t, strlen(t), frag == 0 ? 0 : frag == 1 ? 1 : frag * 7, holding, &events);
                if (code != cases[i].close || events != cases[i].events)
                    fprintf(stderr, "  case %u (holding %d, frames of %u): close %d, events %d\n", (unsigned)i,
                            holding, (unsigned)frag, code, events);
                CHECK_INT(code, cases[i].close);
                CHECK_INT(events, cases[i].events);
            }
#undef MSG
}

int main(void) {
    RUN(test_sha1_and_accept);
    RUN(test_frame_headers);
    RUN(test_utf8_and_close_codes);
    RUN(test_dedup_records);
    RUN(test_control_frame_inside_a_big_message);
    RUN(test_text_utf8_checked_once);
    TEST_MAIN_END("test_frames");
}
