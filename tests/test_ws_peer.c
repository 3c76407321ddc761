/* tests/test_ws_peer.c: the websocket client against tests/ws_peer.py, a hostile RFC 6455 peer.

   Each case of the peer is played once: a coin with url http://127.0.0.1:PORT/case/<ID> runs
   bce_start_websocket (no reconnect, no catch-up), a handler counts and fingerprints the
   new_transaction events it gets, and the peer's record of what the client sent back
   (GET /result/<ID>: frames, close code, pongs, RFC violations) is checked against the table
   below. Groups: 1 sizes, 2 pings, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8,
   7 close, 9 limits, 10 large fragmented messages and bursts, h handshake answers, c
   client-only framing. One summary line per group, then the runner's closing line.

   Build: cc -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -I. \
              tests/test_ws_peer.c -o build/test_ws_peer -lpthread
   Run from the repository root (it starts /usr/bin/python3 tests/ws_peer.py itself).
   WS_PEER_VERBOSE=1 prints the library's log lines; WS_PEER_ONLY=<prefix> plays only the
   cases whose ID starts with prefix; TEST_ONLY=<ID>[,<ID>...] (tests/test.h) plays the cases
   named, TEST_ONLY=test_case_list only the case-list check. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include "test.h"
#include "daemon.h"
#include <time.h>

static const char *const peer_argv[] = {"/usr/bin/python3", "tests/ws_peer.py", "--port", "0", NULL};

/* ---- the table ---------------------------------------------------------------------- */

enum {
    X_PONGS = 1,            /* the client's pongs equal the peer's pings (else: no pong at all) */
    X_CLIENT_PINGS = 2,     /* the client sent pings (else: none) */
    X_TIMED = 4,            /* 2.14: the dead connection is noticed after ping + pong timeout */
    X_FAILFAST = 8          /* 6.2.23: report whether invalid UTF-8 was refused before the end */
};
#define NOCLOSE (-1)        /* the client must not send a close frame */

typedef struct ws_case_t {
    const char *id;
    int events;             /* new_transaction handler calls */
    int close;              /* close code the client sends; NOCLOSE: none; 0: don't care */
    int result;             /* what bce_start_websocket returns */
    int disconnect;         /* code passed to on_disconnect; 0: don't care */
    unsigned flags;
    uint32_t max_message_bytes;
    int ping_ms, pong_ms, connect_ms;   /* 0: no client pings / defaults */
} ws_case_t;

/* The peer keeps the connection; its closing 1000 is echoed. */
#define OK(id, ev, fl) {id, ev, 1000, BCE_ERR_CLOSED, 1000, fl, 0, 0, 0, 0}
/* The client must fail the connection with `code` (RFC 6455 7.1.7). */
#define FAIL(id, ev, code, fl) {id, ev, code, BCE_ERR_CLOSED, code, fl, 0, 0, 0, 0}
/* The peer closes with `code`; the client answers with the same code. */
#define ECHO(id, ev, code) {id, ev, code, BCE_ERR_CLOSED, code, 0, 0, 0, 0, 0}
/* The handshake answer must be refused with result `res`; no frame is sent. */
#define HS(id, res) {id, 0, NOCLOSE, res, 1006, 0, 0, 0, 0, 0}
/* With max_message_bytes = 4096. */
#define OK4K(id, ev) {id, ev, 1000, BCE_ERR_CLOSED, 1000, 0, 4096, 0, 0, 0}
#define FAIL4K(id, code) {id, 0, code, BCE_ERR_CLOSED, code, 0, 4096, 0, 0, 0}

static const ws_case_t cases[] = {
    /* 1.x: text messages of 0 (not JSON: skipped, then one more), 125, 126, 127, 128, 65535
       and 65536 bytes; 65536 in 997-byte writes; one byte per write; binary messages of the
       same sizes (ignored), each followed by a text message */
    OK("1.1.1", 1, 0), OK("1.1.2", 1, 0), OK("1.1.3", 1, 0), OK("1.1.4", 1, 0), OK("1.1.5", 1, 0),
    OK("1.1.6", 1, 0), OK("1.1.7", 1, 0), OK("1.1.8", 1, 0), OK("1.1.9", 1, 0), OK("1.1.10", 1, 0),
    OK("1.2.1", 1, 0), OK("1.2.2", 1, 0), OK("1.2.3", 1, 0), OK("1.2.4", 1, 0), OK("1.2.5", 1, 0),
    OK("1.2.6", 1, 0), OK("1.2.7", 1, 0), OK("1.2.8", 1, 0),
    /* 2.x: pings of 0, 13, 8 (binary) and 125 bytes; 126 bytes (too long for a control frame);
       125 bytes one byte per write; unsolicited pongs; pong then ping; 10 pings at once and
       byte by byte; a ping between messages; client pings answered; client pings unanswered */
    OK("2.1", 0, X_PONGS), OK("2.2", 0, X_PONGS), OK("2.3", 0, X_PONGS), OK("2.4", 0, X_PONGS),
    FAIL("2.5", 0, 1002, 0), OK("2.6", 0, X_PONGS), OK("2.7", 1, 0), OK("2.8", 1, 0),
    OK("2.9", 0, X_PONGS), OK("2.10", 0, X_PONGS), OK("2.11", 0, X_PONGS), OK("2.12", 2, X_PONGS),
    {"2.13", 1, 1000, BCE_ERR_CLOSED, 1000, X_CLIENT_PINGS, 0, 150, 300, 0},
    {"2.14", 0, NOCLOSE, BCE_ERR_CLOSED, 1006, X_CLIENT_PINGS | X_TIMED, 0, 200, 300, 0},
    /* 3.x: RSV1/2/3 and combinations on text, binary, ping, close and continuation frames */
    FAIL("3.1", 0, 1002, 0), FAIL("3.2", 1, 1002, 0), FAIL("3.3", 1, 1002, 0), FAIL("3.4", 1, 1002, 0),
    FAIL("3.5", 0, 1002, 0), FAIL("3.6", 0, 1002, 0), FAIL("3.7", 0, 1002, 0), FAIL("3.8", 0, 1002, 0),
    FAIL("3.9", 0, 1002, X_PONGS),
    /* 4.x: reserved opcodes 3-7 and 11-15, alone, with a payload, after a message (a ping after
       them must get no answer), byte by byte, as an unfinished frame before a message; 4.3:
       one where a continuation would end a fragmented message */
    FAIL("4.1.1", 0, 1002, 0), FAIL("4.1.2", 0, 1002, 0), FAIL("4.1.3", 1, 1002, 0),
    FAIL("4.1.4", 1, 1002, 0), FAIL("4.1.5", 0, 1002, 0),
    FAIL("4.2.1", 0, 1002, 0), FAIL("4.2.2", 0, 1002, 0), FAIL("4.2.3", 1, 1002, 0),
    FAIL("4.2.4", 1, 1002, 0), FAIL("4.2.5", 0, 1002, 0),
    FAIL("4.3.1", 0, 1002, 0), FAIL("4.3.2", 0, 1002, 0), FAIL("4.3.3", 0, 1002, 0), FAIL("4.3.4", 0, 1002, 0),
    /* 5.x: fragmented ping/pong; 2 fragments (at once, with a pause, byte by byte); a ping or a
       pong between fragments; continuations without a message; a new message inside a
       fragmented one; one-byte fragments; empty fragments; two fragmented messages; fragmented
       binary; pings and pongs between three fragments byte by byte; a close between fragments */
    FAIL("5.1", 0, 1002, 0), FAIL("5.2", 0, 1002, 0), OK("5.3", 1, 0), OK("5.4", 1, 0), OK("5.5", 1, 0),
    OK("5.6", 1, X_PONGS), OK("5.7", 1, X_PONGS), OK("5.8", 1, 0), FAIL("5.9", 0, 1002, 0),
    FAIL("5.10", 0, 1002, 0), FAIL("5.11", 0, 1002, 0), FAIL("5.12", 0, 1002, 0), FAIL("5.13", 0, 1002, 0),
    FAIL("5.14", 0, 1002, 0), FAIL("5.15", 0, 1002, 0), OK("5.16", 1, 0), OK("5.17", 1, 0),
    OK("5.18", 2, 0), OK("5.19", 1, 0), OK("5.20", 1, X_PONGS), ECHO("5.21", 0, 1000),
    /* 6.1: valid UTF-8 (Greek, 2/3/4-byte bounds, U+FFFF, U+10FFFF), fragments and writes that
       end inside code points; 6.2: invalid UTF-8 (lone continuation bytes, overlongs,
       surrogates, > U+10FFFF, F5-FF, truncated sequences, split across fragments, byte by
       byte, followed by a valid message); 6.3: binary with invalid UTF-8, text that is not
       JSON, text with a raw NUL: skipped, the connection stays */
    OK("6.1.1", 1, 0), OK("6.1.2", 1, 0), OK("6.1.3", 1, 0), OK("6.1.4", 1, 0), OK("6.1.5", 1, 0),
    OK("6.1.6", 1, 0), OK("6.1.7", 3, 0), OK("6.1.8", 1, 0), OK("6.1.9", 1, X_PONGS),
    FAIL("6.2.1", 0, 1007, 0), FAIL("6.2.2", 0, 1007, 0), FAIL("6.2.3", 0, 1007, 0), FAIL("6.2.4", 0, 1007, 0),
    FAIL("6.2.5", 0, 1007, 0), FAIL("6.2.6", 0, 1007, 0), FAIL("6.2.7", 0, 1007, 0), FAIL("6.2.8", 0, 1007, 0),
    FAIL("6.2.9", 0, 1007, 0), FAIL("6.2.10", 0, 1007, 0), FAIL("6.2.11", 0, 1007, 0), FAIL("6.2.12", 0, 1007, 0),
    FAIL("6.2.13", 0, 1007, 0), FAIL("6.2.14", 0, 1007, 0), FAIL("6.2.15", 0, 1007, 0), FAIL("6.2.16", 0, 1007, 0),
    FAIL("6.2.17", 0, 1007, 0), FAIL("6.2.18", 0, 1007, 0), FAIL("6.2.19", 0, 1007, 0), FAIL("6.2.20", 0, 1007, 0),
    FAIL("6.2.21", 0, 1007, 0), FAIL("6.2.22", 0, 1007, 0), FAIL("6.2.23", 0, 1007, X_FAILFAST),
    FAIL("6.2.24", 0, 1007, 0), FAIL("6.2.25", 0, 1007, 0),
    OK("6.3.1", 1, 0), OK("6.3.2", 1, 0), OK("6.3.3", 1, 0),
    /* 7.1: empty close (the client reports 1005 and answers 1000); 1000 with no, short, 123- and
       124-byte (too long) reasons; one-byte payload; reason not UTF-8; UTF-8 reason; close
       byte by byte; data and a ping after the close; the TCP connection dropped without a
       close; a reason cut inside a code point. 7.2: valid codes are echoed. 7.3: invalid codes */
    {"7.1.1", 0, 1000, BCE_ERR_CLOSED, 1005, 0, 0, 0, 0, 0}, ECHO("7.1.2", 0, 1000), ECHO("7.1.3", 0, 1000),
    ECHO("7.1.4", 0, 1000), FAIL("7.1.5", 0, 1002, 0), FAIL("7.1.6", 0, 1002, 0), FAIL("7.1.7", 0, 1007, 0),
    ECHO("7.1.8", 0, 1000), ECHO("7.1.9", 1, 1000), ECHO("7.1.10", 0, 1000), ECHO("7.1.11", 0, 1000),
    ECHO("7.1.12", 1, 1000), {"7.1.13", 1, NOCLOSE, BCE_ERR_CLOSED, 1006, 0, 0, 0, 0, 0},
    FAIL("7.1.14", 0, 1007, 0), {"7.1.15", 1, NOCLOSE, BCE_ERR_CLOSED, 1006, 0, 0, 0, 0, 0},
    ECHO("7.2.1", 0, 1000), ECHO("7.2.2", 0, 1001), ECHO("7.2.3", 0, 1002), ECHO("7.2.4", 0, 1003),
    ECHO("7.2.5", 0, 1007), ECHO("7.2.6", 0, 1008), ECHO("7.2.7", 0, 1009), ECHO("7.2.8", 0, 1010),
    ECHO("7.2.9", 0, 1011), ECHO("7.2.10", 0, 1012), ECHO("7.2.11", 0, 1013), ECHO("7.2.12", 0, 1014),
    ECHO("7.2.13", 0, 3000), ECHO("7.2.14", 0, 3999), ECHO("7.2.15", 0, 4000), ECHO("7.2.16", 0, 4999),
    FAIL("7.3.1", 0, 1002, 0), FAIL("7.3.2", 0, 1002, 0), FAIL("7.3.3", 0, 1002, 0), FAIL("7.3.4", 0, 1002, 0),
    FAIL("7.3.5", 0, 1002, 0), FAIL("7.3.6", 0, 1002, 0), FAIL("7.3.7", 0, 1002, 0), FAIL("7.3.8", 0, 1002, 0),
    FAIL("7.3.9", 0, 1002, 0), FAIL("7.3.10", 0, 1002, 0), FAIL("7.3.11", 0, 1002, 0), FAIL("7.3.12", 0, 1002, 0),
    /* 9.x: 64 KiB, 256 KiB, exactly 1 MiB (the default limit), 1 MiB + 1, both fragmented,
       binary at and over the limit, a header announcing 2^40 bytes; the same around a 4096-byte
       limit; 16 x 64 KiB in one write; 1 MiB in 4 KiB writes; a ping after 1 MiB */
    OK("9.1.1", 1, 0), OK("9.1.2", 1, 0), OK("9.1.3", 1, 0), FAIL("9.1.4", 0, 1009, 0), OK("9.1.5", 1, 0),
    FAIL("9.1.6", 0, 1009, 0), OK("9.1.7", 1, 0), FAIL("9.1.8", 0, 1009, 0), FAIL("9.1.9", 0, 1009, 0),
    OK4K("9.2.1", 1), FAIL4K("9.2.2", 1009), FAIL4K("9.2.3", 1009), OK4K("9.2.4", 1), FAIL4K("9.2.5", 1009),
    FAIL4K("9.2.6", 1009),
    OK("9.3.1", 16, 0), OK("9.3.2", 1, 0), OK("9.3.3", 1, X_PONGS),
    /* 10.x: 65536 bytes in fragments of 64, 256, 1024, 4096 and 65535 + 1 bytes; 4096 one-byte
       fragments; 1000 messages in one write; 100 three-fragment messages with pings between;
       100 messages in 7-byte writes */
    OK("10.1.1", 1, 0), OK("10.1.2", 1, 0), OK("10.1.3", 1, 0), OK("10.1.4", 1, 0), OK("10.1.5", 1, 0),
    OK("10.1.6", 1, 0), OK("10.2.1", 1000, 0), OK("10.2.2", 100, X_PONGS), OK("10.2.3", 100, 0),
    /* h.x: wrong, missing, re-cased and lengthened Accept; missing or wrong Upgrade and
       Connection; Connection as a token list; header names in other cases; odd whitespace;
       extra headers; an extension or a subprotocol nobody asked for; 200 Unauthorized (with
       and without Content-Length); 200 page; 401; 301; 404; 500; a broken status line; not
       HTTP; closed before an answer or inside the headers; header blocks that never end;
       headers that stall; the answer byte by byte; 100 Continue first; no reason phrase; a
       header block of exactly 16384 bytes and one byte more; bare LF line ends */
    HS("h.1", BCE_ERR_WS), HS("h.2", BCE_ERR_WS), HS("h.3", BCE_ERR_WS), HS("h.4", BCE_ERR_WS),
    HS("h.5", BCE_ERR_WS), HS("h.6", BCE_ERR_WS), HS("h.7", BCE_ERR_WS), HS("h.8", BCE_ERR_WS),
    OK("h.9", 1, 0), OK("h.10", 1, 0), OK("h.11", 1, 0), OK("h.12", 1, 0),
    HS("h.13", BCE_ERR_WS), HS("h.14", BCE_ERR_WS), HS("h.15", BCE_ERR_AUTH), HS("h.16", BCE_ERR_AUTH),
    HS("h.17", BCE_ERR_HTTP), HS("h.18", BCE_ERR_HTTP), HS("h.19", BCE_ERR_HTTP), HS("h.20", BCE_ERR_HTTP),
    HS("h.21", BCE_ERR_HTTP), HS("h.22", BCE_ERR_HTTP), HS("h.23", BCE_ERR_HTTP), HS("h.24", BCE_ERR_HTTP),
    HS("h.25", BCE_ERR_HTTP), HS("h.26", BCE_ERR_LIMIT), HS("h.27", BCE_ERR_LIMIT),
    {"h.28", 0, NOCLOSE, BCE_ERR_TIMEOUT, 1006, 0, 0, 0, 0, 500},
    OK("h.29", 1, 0), OK("h.30", 1, 0), OK("h.31", 1, 0), OK("h.32", 1, 0), HS("h.33", BCE_ERR_LIMIT),
    {"h.34", 0, NOCLOSE, BCE_ERR_TIMEOUT, 1006, 0, 0, 0, 0, 500},
    /* c.x: frames in the same write as the 101 (a message; three messages and a close; a ping;
       one byte of a frame); masked server frames (text, zero key, close, ping, byte by byte);
       64-bit lengths with the top bit set; non-minimal 16- and 64-bit lengths; a ping with a
       64-bit length */
    OK("c.1", 1, 0), ECHO("c.2", 3, 1000), OK("c.3", 0, X_PONGS), OK("c.4", 1, 0),
    FAIL("c.5", 0, 1002, 0), FAIL("c.6", 0, 1002, 0), FAIL("c.7", 0, 1002, 0), FAIL("c.8", 0, 1002, 0),
    FAIL("c.9", 0, 1002, 0), FAIL("c.10", 0, 1002, 0), FAIL("c.11", 0, 1002, 0), FAIL("c.12", 0, 1002, 0),
    FAIL("c.13", 0, 1002, 0), FAIL("c.14", 0, 1002, 0), FAIL("c.15", 0, 1002, 0),
    {"c.16", 1, NOCLOSE, BCE_ERR_CLOSED, 1006, 0, 0, 0, 0, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* ---- what the handler and the callbacks saw ------------------------------------------ */

#define MAX_GOT 2048

typedef struct run_t {
    int calls, bad;
    size_t n;
    size_t len[MAX_GOT];
    uint32_t fnv[MAX_GOT];
    int disconnects, disconnect_code, connects;
} run_t;

static run_t g_run;
static int g_verbose;

static uint32_t fnv1a(const char *s, size_t n) {
    uint32_t h = 0x811C9DC5u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x01000193u;
    return h;
}

static void on_tx(const bce_event_t *ev, void *user_data) {
    run_t *r = (run_t *)user_data;
    const char *tx = bce_event_str(ev, "tx"), *w = bce_event_wallet(ev);
    r->calls++;
    if (!tx || !w || strcmp(w, "w") != 0 || strcmp(bce_event_currency(ev), "BTC") != 0
        || strcmp(bce_event_name(ev), "new_transaction") != 0) {
        r->bad++;
        return;
    }
    if (r->n < MAX_GOT) {
        size_t n = strlen(tx);
        r->len[r->n] = n;
        r->fnv[r->n] = fnv1a(tx, n);
        r->n++;
    }
}

static void on_connect(bce_coin_t *coin, const char *currency, void *user_data) {
    (void)coin;
    (void)currency;
    ((run_t *)user_data)->connects++;
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *user_data) {
    run_t *r = (run_t *)user_data;
    (void)coin;
    (void)reason;
    r->disconnects++;
    r->disconnect_code = code;
}

static void log_fn(int level, const char *message, void *user_data) {
    (void)user_data;
    if (g_verbose) fprintf(stderr, "  [bce %d] %s\n", level, message);
}

/* ---- talking to the peer ------------------------------------------------------------- */

/* GET path on a fresh connection; returns the body (malloc'ed, NUL-terminated) or NULL. */
static char *http_get(int port, const char *path, size_t *body_len) {
    struct sockaddr_in a;
    char req[256], *buf = NULL, *b;
    size_t got = 0, cap = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), n;
    if (fd < 0) return NULL;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t r;
        if (cap - got < 4096) {
            char *nb = (char *)realloc(buf, cap ? cap * 2 : 65536);
            if (!nb) { free(buf); close(fd); return NULL; }
            buf = nb;
            cap = cap ? cap * 2 : 65536;
        }
        r = recv(fd, buf + got, cap - got - 1, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf) return NULL;
    buf[got] = 0;
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !(b = strstr(buf, "\r\n\r\n"))) {
        free(buf);
        return NULL;
    }
    b += 4;
    *body_len = got - (size_t)(b - buf);
    memmove(buf, b, *body_len + 1);
    return buf;
}

/* The peer's record, parsed with the library's own tokenizer. */
typedef struct record_t {
    char *text;
    size_t len;
    bce_json_t json;
} record_t;

static uint32_t rec_find(const record_t *r, const char *key) {
    return bce_json_find(r->text, r->json.tokens, 0, key);
}

/* Integer member; `dflt` when absent, null or not an integer. */
static long long rec_int(const record_t *r, const char *key, long long dflt) {
    uint32_t k = rec_find(r, key);
    long long v;
    if (!k || !bce_json_int(r->text, &r->json.tokens[k], &v)) return dflt;
    return v;
}

static int rec_true(const record_t *r, const char *key) {
    uint32_t k = rec_find(r, key);
    return k && r->json.tokens[k].type == BCE_JSON_TRUE;
}

/* Element i of array member `key` (token index), 0 when out of range. */
static uint32_t rec_elem(const record_t *r, uint32_t arr, uint32_t i) {
    uint32_t k, j;
    if (!arr || r->json.tokens[arr].type != BCE_JSON_ARRAY || i >= r->json.tokens[arr].size) return 0;
    for (k = arr + 1, j = 0; j < i; j++) k = r->json.tokens[k].next;
    return k;
}

static uint32_t rec_size(const record_t *r, const char *key) {
    uint32_t k = rec_find(r, key);
    return k && r->json.tokens[k].type == BCE_JSON_ARRAY ? r->json.tokens[k].size : 0;
}

/* A string token equals s (no escapes in what the peer writes here). */
static int tok_eq(const record_t *r, uint32_t k, const char *s) {
    const bce_json_token_t *t = &r->json.tokens[k];
    return k && t->type == BCE_JSON_STRING && t->end - t->start == strlen(s)
           && memcmp(r->text + t->start, s, strlen(s)) == 0;
}

static int fetch_record(int port, const char *id, record_t *r) {
    char path[128];
    snprintf(path, sizeof path, "/result/%s", id);
    memset(r, 0, sizeof *r);
    bce_json_init(&r->json, NULL);
    r->text = http_get(port, path, &r->len);
    if (!r->text) return -1;
    if (bce_json_parse(&r->json, r->text, r->len) <= 0 || r->json.tokens[0].type != BCE_JSON_OBJECT) return -1;
    return 0;
}

static void free_record(record_t *r) {
    bce_json_release(&r->json);
    free(r->text);
}

/* ---- one case ------------------------------------------------------------------------ */

typedef struct group_t {
    char name[8];
    int passed, total;
} group_t;

static group_t groups[16];
static int ngroups;
static int g_port;
static char g_notes[4096];

static void note(const char *fmt, const char *id, const char *what) {
    size_t l = strlen(g_notes);
    snprintf(g_notes + l, sizeof g_notes - l, fmt, id, what);
}

static void check_case(const ws_case_t *c) {
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    record_t rec;
    char url[160], subscribe_hex[64];
    long long t0, elapsed;
    int r, hs_ok = c->result == BCE_ERR_CLOSED, failures_before = test_failures_now;
    uint32_t i, k;
    const char *sub = "{\"xpub\":\"w\"}";

    memset(&g_run, 0, sizeof g_run);
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/case/%s", g_port, c->id);
    d.currency = "BTC";
    d.xpub = "w";
    d.url = url;
    d.logger.fn = log_fn;
    d.logger.level = g_verbose ? BCE_LOG_DEBUG : BCE_LOG_ERROR;
    if (c->connect_ms) d.connect_timeout_ms = c->connect_ms;
    coin = bce_coin_create(&d);
    CHECK(coin != NULL);
    if (!coin) return;
    CHECK_INT(bce_on(coin, "new_transaction", on_tx, &g_run), BCE_OK);

    memset(&o, 0, sizeof o);
    o.disable_reconnect = 1;
    o.disable_catch_up = 1;
    o.disable_wallet_load = 1;     /* the peer speaks only the websocket */
    o.ping_interval_ms = c->ping_ms ? c->ping_ms : -1;
    o.pong_timeout_ms = c->pong_ms;
    o.max_message_bytes = c->max_message_bytes;
    o.on_connect = on_connect;
    o.on_disconnect = on_disconnect;
    o.user_data = &g_run;
    t0 = _bce_now_ms();
    r = bce_start_websocket(coin, &o);
    elapsed = _bce_now_ms() - t0;
    bce_coin_destroy(coin);

    /* what the library says */
    CHECK_INT(r, c->result);
    CHECK_INT(g_run.calls, c->events);
    CHECK_INT(g_run.bad, 0);
    CHECK_INT(g_run.connects, hs_ok ? 1 : 0);
    CHECK_INT(g_run.disconnects, 1);
    if (c->disconnect) CHECK_INT(g_run.disconnect_code, c->disconnect);
    if (c->flags & X_TIMED) CHECK(elapsed >= 450 && elapsed <= 3000);

    /* what the peer saw */
    k = fetch_record(g_port, c->id, &rec) == 0;
    CHECK(k);   /* the peer's record came back */
    if (!k) {
        free_record(&rec);
        return;
    }
    CHECK_INT(rec_int(&rec, "connections", -1), 1);
    CHECK(rec_true(&rec, "request_ok"));
    CHECK(rec_true(&rec, "client_closed"));
    CHECK_INT(rec_size(&rec, "violations"), 0);
    CHECK(!rec_true(&rec, "peer_forced_close"));
    if (c->close == NOCLOSE) CHECK_INT(rec_int(&rec, "close_code", -1), -1);
    else if (c->close) CHECK_INT(rec_int(&rec, "close_code", -1), c->close);

    /* the events: as many as the table says, and exactly the ones the peer meant */
    k = rec_find(&rec, "expected");
    CHECK_INT(rec_size(&rec, "expected"), c->events);
    if (g_run.n == rec_size(&rec, "expected")) {
        for (i = 0; i < g_run.n; i++) {
            uint32_t e = rec_elem(&rec, k, i);
            long long len = -1, h = -1;
            if (e && rec.json.tokens[e].type == BCE_JSON_ARRAY) {
                bce_json_int(rec.text, &rec.json.tokens[e + 1], &len);
                bce_json_int(rec.text, &rec.json.tokens[e + 2], &h);
            }
            if (len != (long long)g_run.len[i] || h != (long long)g_run.fnv[i]) {
                CHECK_INT(g_run.len[i], len);
                CHECK_INT(g_run.fnv[i], h);
                break;
            }
        }
    }

    /* the client's first frame is its wallet filter; a refused handshake sends nothing */
    for (i = 0; sub[i]; i++) snprintf(subscribe_hex + 2 * i, 3, "%02x", (unsigned char)sub[i]);
    k = rec_elem(&rec, rec_find(&rec, "frames"), 0);
    if (hs_ok) {
        CHECK(k != 0);
        if (k) {
            uint32_t op = bce_json_find(rec.text, rec.json.tokens, k, "op"), hx = bce_json_find(rec.text, rec.json.tokens, k, "hex");
            long long v = -1;
            CHECK(op && bce_json_int(rec.text, &rec.json.tokens[op], &v) && v == 1);
            CHECK(tok_eq(&rec, hx, subscribe_hex));
        }
    } else {
        CHECK_INT(rec_size(&rec, "frames"), 0);
    }

    /* pongs: exactly the pings, in order, or none at all */
    if (c->flags & X_PONGS) {
        uint32_t np = rec_size(&rec, "pings_sent"), pa = rec_find(&rec, "pings_sent"), qa = rec_find(&rec, "pongs");
        CHECK(np > 0);
        CHECK_INT(rec_size(&rec, "pongs"), np);
        if (rec_size(&rec, "pongs") == np)
            for (i = 0; i < np; i++) {
                uint32_t p = rec_elem(&rec, pa, i), q = rec_elem(&rec, qa, i);
                const bce_json_token_t *tp = &rec.json.tokens[p], *tq = &rec.json.tokens[q];
                CHECK(tp->end - tp->start == tq->end - tq->start
                      && memcmp(rec.text + tp->start, rec.text + tq->start, tp->end - tp->start) == 0);
            }
    } else {
        CHECK_INT(rec_size(&rec, "pongs"), 0);
    }
    if (c->flags & X_CLIENT_PINGS) CHECK(rec_int(&rec, "client_pings", 0) >= (c->events ? 2 : 1));
    else CHECK_INT(rec_int(&rec, "client_pings", -1), 0);

    if (c->flags & X_FAILFAST) {
        long long cs = rec_int(&rec, "close_step", -1), steps = rec_int(&rec, "steps", -1);
        note("  note: %s: invalid UTF-8 in a first fragment was refused %s\n", c->id,
             cs >= 0 && cs < steps - 1 ? "before the rest arrived (fail-fast)"
                                       : "only once the message was complete (allowed: RFC 6455 8.1 sets no timing)");
    }

    if (test_failures_now != failures_before) {
        fprintf(stderr, "  case %s: result %d (%s), %d events, disconnect %d, %lld ms\n", c->id, r,
                bce_result_str(r), g_run.calls, g_run.disconnect_code, elapsed);
        fprintf(stderr, "    record: %.*s\n", rec.len > 1500 ? 1500 : (int)rec.len, rec.text);
    }
    free_record(&rec);
}

static group_t *group_of(const char *id) {
    char name[8];
    size_t n = strcspn(id, ".");
    int i;
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, id, n);
    name[n] = 0;
    for (i = 0; i < ngroups; i++)
        if (strcmp(groups[i].name, name) == 0) return &groups[i];
    if (ngroups == (int)(sizeof groups / sizeof groups[0])) return &groups[0];
    memcpy(groups[ngroups].name, name, n + 1);
    return &groups[ngroups++];
}

/* The peer's case list and this table are the same set, in the same order. */
static void test_case_list(void) {
    size_t len = 0, i;
    char *body = http_get(g_port, "/cases", &len);
    bce_json_t j;
    CHECK(body != NULL);
    if (!body) return;
    bce_json_init(&j, NULL);
    CHECK(bce_json_parse(&j, body, len) > 0);
    CHECK(j.count > 0 && j.tokens[0].type == BCE_JSON_ARRAY);
    if (j.count > 0 && j.tokens[0].type == BCE_JSON_ARRAY) {
        CHECK_INT(j.tokens[0].size, NCASES);
        for (i = 0; i < NCASES && i < j.tokens[0].size; i++) {
            const bce_json_token_t *t = &j.tokens[1 + i];
            int same = t->end - t->start == strlen(cases[i].id)
                       && memcmp(body + t->start, cases[i].id, t->end - t->start) == 0;
            if (!same) fprintf(stderr, "  table/peer mismatch at %u: %s\n", (unsigned)i, cases[i].id);
            CHECK(same);
        }
    }
    bce_json_release(&j);
    free(body);
}

int main(void) {
    daemon_t peer;
    const char *only = getenv("WS_PEER_ONLY");
    long long t0 = _bce_now_ms();
    size_t i;
    int g;
    g_verbose = getenv("WS_PEER_VERBOSE") != NULL;
    if (daemon_start(&peer, peer_argv) != 0) {
        fprintf(stderr, "could not start tests/ws_peer.py (run from the repository root)\n");
        return 1;
    }
    g_port = peer.port;
    if (!only) RUN(test_case_list);
    for (i = 0; i < NCASES; i++) {
        const ws_case_t *c = &cases[i];
        group_t *gr;
        int before = test_checks;
        if ((only && strncmp(c->id, only, strlen(only)) != 0) || !test_selected(c->id)) continue;
        gr = group_of(c->id);
        test_failures_now = 0;
        check_case(c);
        gr->total++;
        if (test_failures_now == 0 && test_checks > before) {
            test_passed++;
            gr->passed++;
        } else {
            test_failed++;
            fprintf(stderr, "FAILED: ws peer case %s\n", c->id);
        }
    }
    daemon_stop(&peer);
    for (g = 0; g < ngroups; g++)
        printf("ws peer group %s.x: %d/%d passed\n", groups[g].name, groups[g].passed, groups[g].total);
    fputs(g_notes, stdout);
    printf("ws peer: %lld ms\n", _bce_now_ms() - t0);
    test_only_check("WS_PEER_ONLY");
    TEST_MAIN_END("test_ws_peer");
}
