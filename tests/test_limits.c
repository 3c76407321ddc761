/* tests/test_limits.c: the bounds of tests/limits.md that no other test drives to the edge.
   Each test pushes input to a bound and one step past it and checks what the manual's LIMITS
   section promises: the error, the log line, what is still delivered.

   Network bounds are played by a canned server in this file: a thread on 127.0.0.1 (a free
   port) that answers each websocket upgrade (GET) and each JSON-RPC call (POST) with scripted
   bytes, in order, and records the requests. Scripted bytes reach what a real daemon never
   sends (a 1100-byte chunk line, a refused upgrade with a 64 KiB body, a ping flood to a client
   that cannot answer).

   The compile-time bounds below are set lower than their defaults, as a user would, so that
   the timers finish quickly and the read rounds are few: the test checks they are obeyed. */
#define BCE_WS_CLOSE_WAIT_MS 300
#define BCE_CATCHUP_RETRY_MS 300
#define BCE_WS_STABLE_MS 300
#define BCE_WS_READ_ROUNDS 2
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"
#include <pthread.h>
#include <sys/mman.h>
#include <fcntl.h>

/* ---- the canned server ---------------------------------------------------------------- */

enum { AFTER_DRAIN, AFTER_CLOSE, AFTER_FLOOD_PINGS, AFTER_HOLD_CLOSE };

typedef struct answer_t {
    char *data;
    size_t len;
    int after;                  /* AFTER_*: what the server does once the bytes are out */
    int arg;                    /* pings to flood / milliseconds to hold */
} answer_t;

#define MAXQ 8
#define MAXREQ 32

typedef struct canned_t {
    int lfd, port;
    pthread_t acceptor;
    pthread_t conns[MAXREQ];
    int nconns;
    pthread_mutex_t mu;
    answer_t get[MAXQ], post[MAXQ];
    int nget, iget, npost, ipost;   /* the last answer repeats once the others are used */
    char reqs[MAXREQ][1024];    /* request heads, cut */
    long long req_ms[MAXREQ];
    int nreq;
    volatile int stop;
} canned_t;

typedef struct conn_arg_t {
    canned_t *s;
    int fd;
} conn_arg_t;

/* Room is a power of two above the length, so a buffer built byte by byte is copied
   O(log n) times, not n times (ASan's realloc always moves). */
static size_t room_for(size_t n) {
    size_t r = 64;
    while (r < n) r *= 2;
    return r;
}

static void put(char **buf, size_t *len, const void *p, size_t n) {
    if (!*buf || room_for(*len + n + 1) != room_for(*len + 1)) *buf = (char *)realloc(*buf, room_for(*len + n + 1));
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = 0;
}

static void puts_(char **buf, size_t *len, const char *s) { put(buf, len, s, strlen(s)); }

/* An unmasked server frame. */
static void put_frame(char **buf, size_t *len, int op, const char *p, size_t n) {
    unsigned char h[10];
    size_t hl = 2;
    h[0] = (unsigned char)(0x80 | op);
    if (n < 126) h[1] = (unsigned char)n;
    else if (n < 65536) { h[1] = 126; h[2] = (unsigned char)(n >> 8); h[3] = (unsigned char)n; hl = 4; }
    else {
        int i;
        h[1] = 127;
        for (i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    put(buf, len, h, hl);
    put(buf, len, p, n);
}

#define UPGRADE_OK "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
                   "Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
#define CLOSE_1000 "\x03\xe8" "end"

static answer_t *add_answer(canned_t *s, int get, const char *head, int after, int arg) {
    answer_t *a = get ? &s->get[s->nget++] : &s->post[s->npost++];
    memset(a, 0, sizeof *a);
    if (head) puts_(&a->data, &a->len, head);
    a->after = after;
    a->arg = arg;
    return a;
}

/* A JSON-RPC answer with Content-Length; {ID} in body is the request's id. */
static answer_t *add_rpc(canned_t *s, const char *body, int after) {
    char head[128];
    answer_t *a;
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             strlen(body));
    a = add_answer(s, 0, head, after, 0);
    puts_(&a->data, &a->len, body);
    return a;
}

static size_t find(const char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0) return i;
    return (size_t)-1;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* Replaces {ACCEPT} (for the key in the request) and {ID} (the request's id, padded). */
static char *expand(const answer_t *a, const char *req, size_t reqlen, size_t *outlen) {
    char *out = NULL;
    size_t n = 0, i = 0;
    while (i < a->len) {
        if (a->len - i >= 8 && memcmp(a->data + i, "{ACCEPT}", 8) == 0) {
            size_t k = find(req, reqlen, "Sec-WebSocket-Key: ");
            static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
            _bce_sha1_t sh;
            unsigned char dg[20];
            char b64[32];
            if (k != (size_t)-1 && reqlen - k >= 19 + 24) {
                _bce_sha1_init(&sh);
                _bce_sha1_update(&sh, req + k + 19, 24);
                _bce_sha1_update(&sh, guid, sizeof guid - 1);
                _bce_sha1_final(&sh, dg);
                put(&out, &n, b64, _bce_base64(dg, 20, b64));
            }
            i += 8;
        } else if (a->len - i >= 4 && memcmp(a->data + i, "{ID}", 4) == 0) {
            size_t k = find(req, reqlen, "\"id\":"), e;
            char id[8] = "    ";
            if (k != (size_t)-1) {
                k += 5;
                while (k < reqlen && req[k] == ' ') k++;
                for (e = 0; e < 4 && k + e < reqlen && req[k + e] >= '0' && req[k + e] <= '9'; e++) id[e] = req[k + e];
            }
            put(&out, &n, id, 4);
            i += 4;
        } else {
            put(&out, &n, a->data + i, 1);
            i++;
        }
    }
    *outlen = n;
    return out;
}

static void *conn_main(void *arg) {
    conn_arg_t *ca = (conn_arg_t *)arg;
    canned_t *s = ca->s;
    int fd = ca->fd;
    static const size_t cap = 1 << 20;
    char *buf = (char *)malloc(cap);
    size_t have = 0;
    free(ca);
    for (;;) {
        size_t head_end, need, body = 0;
        const answer_t *a;
        char *out;
        size_t outlen;
        int is_get;
        /* one request: the head, then Content-Length bytes */
        while ((head_end = find(buf, have, "\r\n\r\n")) == (size_t)-1) {
            ssize_t r;
            if (have == cap) goto done;
            r = recv(fd, buf + have, cap - have, 0);
            if (r <= 0) goto done;
            have += (size_t)r;
        }
        head_end += 4;
        {
            size_t k = find(buf, head_end, "Content-Length: ");
            if (k != (size_t)-1) body = (size_t)strtoul(buf + k + 16, NULL, 10);
        }
        need = head_end + body;
        while (have < need) {
            ssize_t r = recv(fd, buf + have, cap - have, 0);
            if (r <= 0) goto done;
            have += (size_t)r;
        }
        is_get = memcmp(buf, "GET ", 4) == 0;
        pthread_mutex_lock(&s->mu);
        if (s->nreq < MAXREQ) {
            size_t k = head_end < sizeof s->reqs[0] - 1 ? head_end : sizeof s->reqs[0] - 1;
            memcpy(s->reqs[s->nreq], buf, k);
            s->reqs[s->nreq][k] = 0;
            s->req_ms[s->nreq++] = _bce_now_ms();
        }
        if (is_get) a = s->nget ? &s->get[s->iget < s->nget - 1 ? s->iget++ : s->iget] : NULL;
        else a = s->npost ? &s->post[s->ipost < s->npost - 1 ? s->ipost++ : s->ipost] : NULL;
        pthread_mutex_unlock(&s->mu);
        if (!a) goto done;
        out = expand(a, buf, need, &outlen);
        write_all(fd, out, outlen);
        free(out);
        memmove(buf, buf + need, have - need);
        have -= need;
        if (a->after == AFTER_CLOSE) goto done;
        if (a->after == AFTER_FLOOD_PINGS) {
            char *pings = NULL, pay[125];
            size_t pl = 0;
            int i;
            memset(pay, 'p', sizeof pay);
            for (i = 0; i < 100; i++) put_frame(&pings, &pl, 9, pay, sizeof pay);
            for (i = 0; i < a->arg / 100 && !s->stop; i++) write_all(fd, pings, pl);
            free(pings);
        }
        if (a->after == AFTER_HOLD_CLOSE) {
            struct timespec ts;
            ts.tv_sec = a->arg / 1000;
            ts.tv_nsec = (long)(a->arg % 1000) * 1000000L;
            nanosleep(&ts, NULL);       /* the script: stay up this long, then drop */
            goto done;
        }
        if (is_get) {                   /* a websocket: read until the client goes */
            char sink[4096];
            while (!s->stop && recv(fd, sink, sizeof sink, 0) > 0) {}
            goto done;
        }
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

static void *acceptor_main(void *arg) {
    canned_t *s = (canned_t *)arg;
    while (!s->stop) {
        struct pollfd p;
        int fd;
        p.fd = s->lfd;
        p.events = POLLIN;
        if (poll(&p, 1, 50) <= 0) continue;
        fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) continue;
        pthread_mutex_lock(&s->mu);
        if (s->nconns < MAXREQ) {
            conn_arg_t *ca = (conn_arg_t *)malloc(sizeof *ca);
            ca->s = s;
            ca->fd = fd;
            pthread_create(&s->conns[s->nconns++], NULL, conn_main, ca);
        } else {
            close(fd);
        }
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static int canned_start(canned_t *s) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, 16) != 0) return -1;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_mutex_init(&s->mu, NULL);
    return pthread_create(&s->acceptor, NULL, acceptor_main, s) == 0 ? 0 : -1;
}

static void canned_stop(canned_t *s) {
    int i;
    s->stop = 1;
    pthread_join(s->acceptor, NULL);
    for (i = 0; i < s->nconns; i++) pthread_join(s->conns[i], NULL);
    close(s->lfd);
    for (i = 0; i < s->nget; i++) free(s->get[i].data);
    for (i = 0; i < s->npost; i++) free(s->post[i].data);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof *s);
}

/* ---- coins, handlers, logs ----------------------------------------------------------- */

typedef struct logbook_t {
    int count;
    char lines[64][BCE_LOG_LINE_MAX + 16];
    long long ms[64];
} logbook_t;

static void log_all(int level, const char *message, void *ud) {
    logbook_t *l = (logbook_t *)ud;
    (void)level;
    if (l->count < 64) {
        snprintf(l->lines[l->count], sizeof l->lines[0], "%s", message);
        l->ms[l->count] = _bce_now_ms();
    }
    l->count++;
}

static int logged(const logbook_t *l, const char *needle) {
    int i;
    for (i = 0; i < l->count && i < 64; i++)
        if (strstr(l->lines[i], needle)) return i + 1;
    return 0;
}

static bce_coin_t *coin_for(int port, const char *path, const char *xpub, logbook_t *lb) {
    bce_coin_desc_t d;
    char url[1024];
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path ? path : "");
    d.url = url;
    d.xpub = xpub;
    d.rpc_timeout_ms = 5000;
    d.connect_timeout_ms = 5000;
    if (lb) {
        d.logger.fn = log_all;
        d.logger.user_data = lb;
        d.logger.level = BCE_LOG_DEBUG;
    }
    return bce_coin_create(&d);
}

typedef struct seen_t {
    int n;
    char last_tx[64];
    int disc_code;
    char disc_reason[128];
    long long disc_ms;
    int connects;
} seen_t;

static void on_tx(const bce_event_t *ev, void *ud) {
    seen_t *s = (seen_t *)ud;
    const char *tx = bce_event_str(ev, "tx");
    s->n++;
    snprintf(s->last_tx, sizeof s->last_tx, "%s", tx ? tx : "(none)");
}

static void on_disc(bce_coin_t *c, int code, const char *reason, void *ud) {
    seen_t *s = (seen_t *)ud;
    (void)c;
    if (!s->disc_code) {
        s->disc_code = code;
        snprintf(s->disc_reason, sizeof s->disc_reason, "%s", reason);
        s->disc_ms = _bce_now_ms();
    }
}

static void on_conn(bce_coin_t *c, const char *cur, void *ud) {
    (void)c;
    (void)cur;
    ((seen_t *)ud)->connects++;
}

static bce_ws_opts_t ws_once(seen_t *s) {
    bce_ws_opts_t o;
    memset(&o, 0, sizeof o);
    o.disable_reconnect = 1;
    o.disable_catch_up = 1;
    o.disable_wallet_load = 1;     /* the scripted server answers only what each test scripts */
    o.ping_interval_ms = -1;
    o.on_disconnect = on_disc;
    o.on_connect = on_conn;
    o.user_data = s;
    return o;
}

static char *envelope(const char *tx) {
    char *m = NULL;
    size_t n = 0;
    puts_(&m, &n, "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"");
    puts_(&m, &n, tx);
    puts_(&m, &n, "\"}],\"wallet\":null,\"currency\":\"BTC\"}");
    return m;
}

/* An upgrade answer followed by these text messages and a close 1000. */
static answer_t *add_ws(canned_t *s, const char *const *msgs, int n) {
    answer_t *a = add_answer(s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
    int i;
    for (i = 0; i < n; i++) put_frame(&a->data, &a->len, 1, msgs[i], strlen(msgs[i]));
    put_frame(&a->data, &a->len, 8, CLOSE_1000, 5);
    return a;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void test_json_input_size(void) {
    /* offsets are 32-bit: 4 GiB and more is refused before a byte is read (the pointer is
       never dereferenced past its two bytes) */
    size_t off = 7;
    if (sizeof(size_t) > 4) {
        size_t big = (size_t)0xFFFFFFFFu + 1u;
        CHECK_INT(bce_json_validate("[]", big, 0, &off), BCE_ERR_LIMIT);
    }
    CHECK_INT(bce_json_validate("[]", 2, 0, NULL), BCE_OK);
}

typedef struct keyrun_t {
    int calls;
    char val[32];
} keyrun_t;

static void on_key(const bce_event_t *ev, void *ud) {
    keyrun_t *k = (keyrun_t *)ud;
    char name[201];
    const char *v;
    memset(name, 'a', 200);
    name[200] = 0;
    v = bce_event_str(ev, name);
    k->calls++;
    snprintf(k->val, sizeof k->val, "%s", v ? v : "(absent)");
}

static void test_escaped_long_key(void) {
    /* a key of 200 letters, each written as \u0061: 1200 raw bytes, matched by its decoded name */
    char *doc = NULL;
    size_t n = 0;
    int i;
    keyrun_t k;
    bce_coin_t *c = coin_for(9, NULL, NULL, NULL);
    memset(&k, 0, sizeof k);
    puts_(&doc, &n, "[{\"event\":\"new_transaction\",\"");
    for (i = 0; i < 200; i++) puts_(&doc, &n, "\\u0061");
    puts_(&doc, &n, "\":\"found\"}]");
    CHECK(c != NULL);
    CHECK_INT(bce_on(c, "new_transaction", on_key, &k), BCE_OK);
    CHECK_INT(bce_process_updates(c, doc, n), 1);
    CHECK_INT(k.calls, 1);
    CHECK_STR(k.val, "found");
    free(doc);
    bce_coin_destroy(c);
}

/* ---- JSON-RPC answers over the limits ------------------------------------------------- */

static bce_coin_t *limited_coin(int port, uint32_t tokens, uint32_t header, uint32_t body, logbook_t *lb) {
    bce_coin_desc_t d;
    char url[64];
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    d.url = url;
    d.xpub = "xpub-limits";
    d.rpc_timeout_ms = 5000;
    d.limits.max_json_tokens = tokens;
    d.limits.max_header_bytes = header;
    d.limits.max_response_bytes = body;
    if (lb) {
        d.logger.fn = log_all;
        d.logger.user_data = lb;
    }
    return bce_coin_create(&d);
}

static void test_rpc_answer_tokens(void) {
    canned_t s;
    char body[2048], out[4096];
    size_t n = 0;
    int i, k;
    bce_coin_t *c;
    memset(&s, 0, sizeof s);
    /* the object, 3 keys, 3 values, 100 numbers: 107 tokens. Under the limit 106 the answer
       is not tokenized whole: its members are read from the validated text (see
       test_rpc_answer_over_tokens), and bce_rpc hands the result over as text */
    k = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":[");
    for (i = 0; i < 100; i++) k += snprintf(body + k, sizeof body - (size_t)k, "%s%d", i ? "," : "", i);
    snprintf(body + k, sizeof body - (size_t)k, "]}");
    add_rpc(&s, body, AFTER_DRAIN);
    CHECK_INT(canned_start(&s), 0);
    c = limited_coin(s.port, 106, 0, 0, NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    CHECK(n > 200);
    bce_coin_destroy(c);
    c = limited_coin(s.port, 107, 0, 0, NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    CHECK(n > 200);
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* A JSON-RPC answer longer than 16 bytes per allowed token is not tokenized whole (the
   embedded profile's small max_json_tokens): its members are found in the validated text, a
   get_updates result is tokenized one update at a time and each update is held to the limit
   (one over it is skipped, the others delivered); the error object, the nesting depth and
   the id are still checked. */
static void test_rpc_answer_over_tokens(void) {
    canned_t s;
    seen_t seen;
    logbook_t lb;
    char body[4096], pad[600], out[4096];
    const char *msg = NULL;
    size_t n = 0;
    int i, k;
    long long deadline;
    bce_coin_t *c;
    bce_coin_desc_t d;
    char url[64];
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(&lb, 0, sizeof lb);
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    /* 30 updates of 7 tokens (about 1.4 KB, 220 tokens), and one of 29 tokens after the
       10th; the limit is 16 tokens */
    k = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":[");
    for (i = 0; i < 30; i++) {
        if (i == 10)
            k += snprintf(body + k, sizeof body - (size_t)k,
                          ",{\"event\":\"new_transaction\",\"tx\":\"big\",\"x\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22]}");
        k += snprintf(body + k, sizeof body - (size_t)k, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}",
                      i ? "," : "", i, i);
    }
    snprintf(body + k, sizeof body - (size_t)k, "]}");
    add_rpc(&s, body, AFTER_DRAIN);
    /* an error answer over 16 bytes a token: its error object (5 tokens) is read */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32002,\"message\":\"m%s\"}}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    /* an error object of 27 tokens: over the limit */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32002,\"message\":\"%s\","
             "\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22]}}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    /* nesting deeper than max_json_depth (8) */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"x\":\"%s\",\"result\":[[[[[[[[[[1]]]]]]]]]]}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    /* the wrong id; then no result; then malformed */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":77777,\"result\":\"%s\"}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"x\":\"%s\"}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":\"%s\",}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    /* the first "result" wins, as bce_json_find; an escaped key is found */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"\\u0069d\":{ID},\"result\":\"%s\",\"result\":1}", pad);
    add_rpc(&s, body, AFTER_DRAIN);
    CHECK_INT(canned_start(&s), 0);
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    d.url = url;
    d.xpub = "xpub-limits";
    d.rpc_timeout_ms = 5000;
    d.limits.max_json_tokens = 16;
    d.limits.max_json_depth = 8;
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    CHECK_INT(bce_on(c, "new_transaction", on_tx, &seen), BCE_OK);
    CHECK_INT(bce_coin_start_polling(c, 60000), BCE_OK);
    deadline = _bce_now_ms() + 5000;
    while (seen.n < 30 && _bce_now_ms() < deadline && bce_coin_step(c, 50) == 1) {}
    CHECK_INT(seen.n, 30);
    CHECK_STR(seen.last_tx, "t29");
    CHECK(logged(&lb, "update with too many tokens skipped") != 0);
    bce_stop(c);
    while (bce_coin_step(c, 50) == 1) {}
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_RPC);
    CHECK_INT(bce_coin_last_rpc_error(c, &msg), -32002);
    CHECK(msg && msg[0] == 'm' && strlen(msg) == sizeof pad);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_LIMIT);
    CHECK(strstr(bce_coin_last_error(c), "too many tokens") != NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_LIMIT);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_JSON);
    CHECK(strstr(bce_coin_last_error(c), "wrong id") != NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_JSON);
    CHECK(strstr(bce_coin_last_error(c), "neither result nor error") != NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_ERR_JSON);
    CHECK(strstr(bce_coin_last_error(c), "not a JSON-RPC object") != NULL);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &n), BCE_OK);
    CHECK(n == sizeof pad + 1 && out[0] == '"' && out[1] == 'p');
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* An answer over 16 bytes a token that is only whitespace is refused without reading past
   its end: the body is placed at the end of a page followed by an inaccessible one (the
   receive buffer has no terminating NUL, and can be exactly full). */
static void test_rpc_answer_over_tokens_blank(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *mem;
    bce_coin_t *c;
    _bce_rpc_t *rpc;
    char *saved;
    size_t blen = 64;
    int zfd = open("/dev/zero", O_RDWR);
    c = limited_coin(1, 2, 0, 0, NULL);         /* 2 tokens: 48 bytes or more read by members */
    CHECK(c != NULL);
    if (!c) return;
    CHECK(zfd >= 0);
    mem = (char *)mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE, zfd, 0);
    close(zfd);
    CHECK(mem != MAP_FAILED);
    if (mem == MAP_FAILED) { bce_coin_destroy(c); return; }
    CHECK_INT(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
    memset(mem + pg - blen, ' ', blen);
    rpc = &c->solo->link.rpc;
    saved = rpc->in;
    rpc->in = mem + pg - blen;
    rpc->resp.status = 200;
    rpc->resp.body_start = 0;
    rpc->resp.body_len = blen;
    _bce_rpc_finish(rpc);
    CHECK_INT(rpc->result, BCE_ERR_JSON);
    CHECK(strstr(bce_coin_last_error(c), "not a JSON-RPC object") != NULL);
    rpc->in = saved;
    munmap(mem, (size_t)pg * 2);
    bce_coin_destroy(c);
}

/* An answer whose header block is exactly `size` bytes (status line to the empty line). */
static void add_sized_head(canned_t *s, size_t size) {
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":true}";
    char head[256];
    answer_t *a;
    size_t pad;
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nX-Pad: ", strlen(body));
    a = add_answer(s, 0, head, AFTER_DRAIN, 0);
    pad = size - a->len - 4;            /* then "\r\n\r\n" */
    while (pad--) put(&a->data, &a->len, "p", 1);
    puts_(&a->data, &a->len, "\r\n\r\n");
    puts_(&a->data, &a->len, body);
}

static void test_rpc_header_limit(void) {
    canned_t s;
    char out[256];
    size_t n = 0;
    bce_coin_t *c;
    memset(&s, 0, sizeof s);
    add_sized_head(&s, 1024);
    add_sized_head(&s, 1025);
    CHECK_INT(canned_start(&s), 0);
    c = limited_coin(s.port, 0, 1024, 0, NULL);
    CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_ERR_LIMIT);
    CHECK(strstr(bce_coin_last_error(c), "max_header_bytes") != NULL);
    bce_coin_destroy(c);
    canned_stop(&s);
}

static void add_body(canned_t *s, size_t size, int mode) {
    /* mode 0: Content-Length; 1: chunked in 1000-byte chunks; 2: until close */
    char *body = NULL, head[160], hex[16];
    size_t bl = 0, i;
    answer_t *a;
    puts_(&body, &bl, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":true}");
    while (bl < size) put(&body, &bl, " ", 1);      /* whitespace after the value is legal */
    if (mode == 0) snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
    else if (mode == 1) snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    else snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    a = add_answer(s, 0, head, mode == 2 ? AFTER_CLOSE : AFTER_DRAIN, 0);
    if (mode != 1) {
        put(&a->data, &a->len, body, bl);
    } else {
        for (i = 0; i < bl; i += 1000) {
            size_t k = bl - i < 1000 ? bl - i : 1000;
            snprintf(hex, sizeof hex, "%zx\r\n", k);
            puts_(&a->data, &a->len, hex);
            put(&a->data, &a->len, body + i, k);
            puts_(&a->data, &a->len, "\r\n");
        }
        puts_(&a->data, &a->len, "0\r\n\r\n");
    }
    free(body);
}

static void test_rpc_body_limits(void) {
    int mode;
    for (mode = 0; mode < 3; mode++) {
        canned_t s;
        char out[64];
        size_t n = 0;
        bce_coin_t *c;
        memset(&s, 0, sizeof s);
        add_body(&s, 4096, mode);
        add_body(&s, 4097, mode);
        CHECK_INT(canned_start(&s), 0);
        c = limited_coin(s.port, 0, 0, 4096, NULL);
        CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_OK);
        CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_ERR_LIMIT);
        CHECK(strstr(bce_coin_last_error(c), "max_response_bytes") != NULL);
        if (test_failures_now) fprintf(stderr, "  body mode %d: %s\n", mode, bce_coin_last_error(c));
        bce_coin_destroy(c);
        canned_stop(&s);
    }
}

static void test_rpc_trailers_fill_buffer(void) {
    /* endless trailer lines after the last chunk: they count toward max_header_bytes with
       the headers (issue 13), long before the receive buffer reaches its bound */
    canned_t s;
    char out[64];
    size_t n = 0;
    int i;
    bce_coin_t *c;
    answer_t *a;
    memset(&s, 0, sizeof s);
    a = add_answer(&s, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n29\r\n"
                          "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":true}\r\n0\r\n", AFTER_DRAIN, 0);
    for (i = 0; i < 3000; i++) puts_(&a->data, &a->len, "X-Trailer: ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt\r\n");
    puts_(&a->data, &a->len, "\r\n");
    CHECK_INT(canned_start(&s), 0);
    c = limited_coin(s.port, 0, 1024, 4096, NULL);
    CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_ERR_LIMIT);
    CHECK(strstr(bce_coin_last_error(c), "chunk extensions and trailers (with the headers) larger than limits.max_header_bytes") != NULL);
    if (test_failures_now) fprintf(stderr, "  error=%s\n", bce_coin_last_error(c));
    bce_coin_destroy(c);
    canned_stop(&s);
}

static void test_chunk_line_limit(void) {
    /* a chunk-size line with an extension: BCE_HTTP_LINE_MAX bytes pass, one more fails;
       a trailer line likewise */
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":true}";
    int t;
    for (t = 0; t < 4; t++) {
        canned_t s;
        char out[64];
        size_t n = 0, line = (size_t)BCE_HTTP_LINE_MAX + (t & 1);
        bce_coin_t *c;
        answer_t *a;
        memset(&s, 0, sizeof s);
        a = add_answer(&s, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", AFTER_DRAIN, 0);
        if (t < 2) {                        /* "29;x=ppp...\r\n": the line counts its CR */
            puts_(&a->data, &a->len, "29;x=");
            while (a->len - 47 + 1 < line) put(&a->data, &a->len, "p", 1);
            puts_(&a->data, &a->len, "\r\n");
            puts_(&a->data, &a->len, body);
            puts_(&a->data, &a->len, "\r\n0\r\n\r\n");
        } else {
            size_t start;
            puts_(&a->data, &a->len, "29\r\n");
            puts_(&a->data, &a->len, body);
            puts_(&a->data, &a->len, "\r\n0\r\nX-T: ");
            start = a->len - 5;
            while (a->len - start + 1 < line) put(&a->data, &a->len, "t", 1);
            puts_(&a->data, &a->len, "\r\n\r\n");
        }
        CHECK_INT(canned_start(&s), 0);
        c = limited_coin(s.port, 0, 0, 0, NULL);
        if (t & 1) {
            CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_ERR_HTTP);
            CHECK(strstr(bce_coin_last_error(c), "chunk header line too long") != NULL);
        } else {
            CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_OK);
        }
        if (test_failures_now) fprintf(stderr, "  chunk case %d: %s\n", t, bce_coin_last_error(c));
        bce_coin_destroy(c);
        canned_stop(&s);
    }
}

static void test_rpc_error_message_cut(void) {
    /* a 300-byte JSON-RPC error message: last_error keeps BCE_LOG_NET_TEXT_MAX bytes and "..." */
    canned_t s;
    char body[600], out[64], msg[301];
    size_t n = 0;
    bce_coin_t *c;
    const char *e;
    memset(&s, 0, sizeof s);
    memset(msg, 'm', 300);
    msg[300] = 0;
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"error\":{\"code\":-32000,\"message\":\"%s\"}}", msg);
    add_rpc(&s, body, AFTER_DRAIN);
    CHECK_INT(canned_start(&s), 0);
    c = limited_coin(s.port, 0, 0, 0, NULL);
    CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_ERR_RPC);   /* -32000 (the code: bce_coin_last_rpc_error) */
    e = bce_coin_last_error(c);
    CHECK(strlen(e) < BCE_LOG_LINE_MAX);
    CHECK(strncmp(e, "JSON-RPC error -32000: ", 23) == 0);
    CHECK_INT(strlen(e), 23 + BCE_LOG_NET_TEXT_MAX + 3);
    CHECK(strcmp(e + strlen(e) - 3, "...") == 0);
    bce_coin_destroy(c);
    canned_stop(&s);
}

static void test_log_line_cut(void) {
    _bce_msg_t m;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, "head: ");
    _bce_msg_str(&m, big);
    CHECK_INT(m.len, BCE_LOG_LINE_MAX - 1);
    CHECK_INT(strlen(m.buf), BCE_LOG_LINE_MAX - 1);
    CHECK(strcmp(m.buf + m.len - 3, "...") == 0);
    _bce_msg_str(&m, "more");           /* a full line stays as it is */
    CHECK_INT(m.len, BCE_LOG_LINE_MAX - 1);
    m.len = 0;
    _bce_msg_str(&m, "short");
    CHECK_STR(m.buf, "short");
}

/* ---- websocket ------------------------------------------------------------------------ */

static void test_ws_message_over_tokens(void) {
    /* one message of 60 updates over max_json_tokens: all dropped and logged; the next one
       (a single update) is delivered */
    canned_t s;
    char *big = NULL, *small = envelope("after");
    size_t bl = 0;
    const char *msgs[2];
    int i;
    seen_t seen;
    logbook_t lb;
    bce_coin_t *c;
    bce_coin_desc_t d;
    bce_ws_opts_t o = ws_once(&seen);
    char url[64];
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(&lb, 0, sizeof lb);
    puts_(&big, &bl, "{\"updates\":[");
    for (i = 0; i < 60; i++) puts_(&big, &bl, i ? ",{\"event\":\"new_transaction\",\"tx\":\"x\"}" : "{\"event\":\"new_transaction\",\"tx\":\"x\"}");
    puts_(&big, &bl, "],\"wallet\":null,\"currency\":\"BTC\"}");
    msgs[0] = big;
    msgs[1] = small;
    add_ws(&s, msgs, 2);
    CHECK_INT(canned_start(&s), 0);
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    d.url = url;
    d.limits.max_json_tokens = 100;
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    c = bce_coin_create(&d);
    CHECK_INT(bce_on(c, "new_transaction", on_tx, &seen), BCE_OK);
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_CLOSED);
    CHECK_INT(seen.n, 1);
    CHECK_STR(seen.last_tx, "after");
    CHECK(logged(&lb, "websocket message skipped: over a limit") != 0);
    CHECK_INT(seen.disc_code, 1000);
    bce_coin_destroy(c);
    canned_stop(&s);
    free(big);
    free(small);
}

static void test_refused_upgrade_body(void) {
    /* 200 with the daemon's Unauthorized JSON padded to exactly BCE_WS_REFUSED_BODY_MAX:
       read whole, BCE_ERR_AUTH; one byte more: BCE_ERR_LIMIT */
    static const char unauth[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Unauthorized\"},\"id\":null}";
    int extra;
    for (extra = 0; extra < 2; extra++) {
        canned_t s;
        seen_t seen;
        bce_ws_opts_t o = ws_once(&seen);
        size_t total = (size_t)BCE_WS_REFUSED_BODY_MAX + (size_t)extra;
        char head[128];
        answer_t *a;
        bce_coin_t *c;
        memset(&s, 0, sizeof s);
        memset(&seen, 0, sizeof seen);
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", total);
        a = add_answer(&s, 1, head, AFTER_DRAIN, 0);
        puts_(&a->data, &a->len, unauth);
        while (a->len < strlen(head) + total) put(&a->data, &a->len, " ", 1);
        CHECK_INT(canned_start(&s), 0);
        c = coin_for(s.port, NULL, NULL, NULL);
        CHECK_INT(bce_start_websocket(c, &o), extra ? BCE_ERR_LIMIT : BCE_ERR_AUTH);
        bce_coin_destroy(c);
        canned_stop(&s);
    }
}

static void test_url_bounds(void) {
    char url[1200], host[300], path[600];
    bce_coin_desc_t d;
    bce_coin_t *c;
    logbook_t lb;
    bce_manager_t *m = bce_manager_create(NULL);
    memset(&lb, 0, sizeof lb);
    memset(&d, 0, sizeof d);
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    d.url = url;
    /* host: BCE_URL_HOST_MAX letters pass, one more is refused */
    memset(host, 'h', BCE_URL_HOST_MAX);
    host[BCE_URL_HOST_MAX] = 0;
    snprintf(url, sizeof url, "http://%s:5000", host);
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    bce_coin_destroy(c);
    snprintf(url, sizeof url, "http://%sh:5000", host);
    CHECK(bce_coin_create(&d) == NULL);
    CHECK(logged(&lb, "host is too long") != 0);
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_ERR_INVALID_ARG);
    /* path: BCE_URL_PATH_MAX bytes pass (trailing slashes do not count), one more is refused */
    path[0] = '/';
    memset(path + 1, 'p', BCE_URL_PATH_MAX - 1);
    path[BCE_URL_PATH_MAX] = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:5000%s///", path);
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    bce_coin_destroy(c);
    snprintf(url, sizeof url, "http://127.0.0.1:5000%sp", path);
    CHECK(bce_coin_create(&d) == NULL);
    CHECK(logged(&lb, "path is too long") != 0);
    /* ports: five digits at most, 1..65535 */
    snprintf(url, sizeof url, "http://127.0.0.1:000080/x");
    CHECK(bce_coin_create(&d) == NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:00080/x");
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    bce_coin_destroy(c);
    bce_manager_destroy(m);
}

static void test_long_url_requests(void) {
    /* the longest path: the JSON-RPC request line and the websocket GET carry it whole */
    canned_t s;
    char path[600], out[64], want[700];
    size_t n = 0;
    seen_t seen;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    path[0] = '/';
    memset(path + 1, 'q', BCE_URL_PATH_MAX - 1);
    path[BCE_URL_PATH_MAX] = 0;
    add_rpc(&s, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":1}", AFTER_DRAIN);
    add_ws(&s, NULL, 0);
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, path, NULL, NULL);
    CHECK(c != NULL);
    CHECK_INT(bce_rpc(c, "ping", NULL, out, sizeof out, &n), BCE_OK);
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_CLOSED);
    CHECK_INT(s.nreq, 2);
    snprintf(want, sizeof want, "POST %s/ HTTP/1.1\r\n", path);
    CHECK(strncmp(s.reqs[0], want, strlen(want)) == 0);
    snprintf(want, sizeof want, "GET %s/ws HTTP/1.1\r\n", path);
    CHECK(strncmp(s.reqs[1], want, strlen(want)) == 0);
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* An allocator that refuses every block of `refuse_from` bytes or more. */
typedef struct sizecap_t {
    size_t refuse_from;
    long refused;
} sizecap_t;

static void *sizecap_alloc(size_t n, void *ud) {
    sizecap_t *sc = (sizecap_t *)ud;
    if (n >= sc->refuse_from) { sc->refused++; return NULL; }
    return malloc(n);
}

static void sizecap_free(void *p, void *ud) {
    (void)ud;
    free(p);
}

static void test_ws_buffer_allocation(void) {
    /* the receive buffer starts at 32 KiB; a frame needing more, when memory is refused,
       closes with 1009 "out of memory for a frame"; handshake headers needing more end the
       attempt with BCE_ERR_NOMEM */
    int t;
    for (t = 0; t < 2; t++) {
        canned_t s;
        seen_t seen;
        logbook_t lb;
        sizecap_t sc;
        bce_ws_opts_t o = ws_once(&seen);
        bce_coin_desc_t d;
        char url[64], *big;
        answer_t *a;
        bce_coin_t *c;
        int r;
        memset(&s, 0, sizeof s);
        memset(&seen, 0, sizeof seen);
        memset(&lb, 0, sizeof lb);
        sc.refuse_from = 40000;
        sc.refused = 0;
        if (t == 0) {
            big = (char *)malloc(50001);
            memset(big, 'b', 50000);
            big[50000] = 0;
            a = add_answer(&s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
            put_frame(&a->data, &a->len, 1, big, 50000);
            free(big);
        } else {
            a = add_answer(&s, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: {ACCEPT}\r\n", AFTER_DRAIN, 0);
            while (a->len < 36000) puts_(&a->data, &a->len, "X-Pad: pppppppppppppppppppppppppppppppppppppppp\r\n");
            puts_(&a->data, &a->len, "\r\n");
        }
        CHECK_INT(canned_start(&s), 0);
        memset(&d, 0, sizeof d);
        snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
        d.url = url;
        d.allocator.alloc = sizecap_alloc;
        d.allocator.free = sizecap_free;
        d.allocator.user_data = &sc;
        d.limits.max_header_bytes = 60000;
        d.logger.fn = log_all;
        d.logger.user_data = &lb;
        d.logger.level = BCE_LOG_DEBUG;
        c = bce_coin_create(&d);
        r = bce_start_websocket(c, &o);
        CHECK(sc.refused > 0);
        if (t == 0) {
            CHECK_INT(r, BCE_ERR_CLOSED);
            CHECK_INT(seen.disc_code, 1009);
            CHECK(logged(&lb, "out of memory for a frame") != 0);
        } else {                        /* the allocator said no: out of memory, not a protocol error */
            CHECK_INT(r, BCE_ERR_NOMEM);
            CHECK(strstr(bce_coin_last_error(c), "out of memory for the receive buffer") != NULL);
        }
        if (test_failures_now) fprintf(stderr, "  case %d: r=%d code=%d err=%s\n", t, r, seen.disc_code, bce_coin_last_error(c));
        bce_coin_destroy(c);
        canned_stop(&s);
    }
}

/* A transport that, once the coin's websocket is open, refuses to write on it: a peer that
   never reads our answers, without kernel buffers in between. */
typedef struct deaf_t {
    bce_coin_t *coin;
    long refused;
} deaf_t;

static long deaf_send(_bce_conn_t *cn, const char *buf, size_t len) {
    deaf_t *df = (deaf_t *)cn->io_ctx;
    if (cn == &df->coin->solo->link.ws.conn && df->coin->solo->link.ws.state != _BCE_WS_HANDSHAKE) { df->refused++; return _BCE_IO_AGAIN_WRITE; }
    return _bce_plain_send(cn, buf, len);
}

static long plain_recv(_bce_conn_t *cn, char *buf, size_t len) { return _bce_plain_recv(cn, buf, len); }

static const _bce_io_t deaf_io = {NULL, NULL, deaf_send, plain_recv, NULL};

static void test_ws_send_queue_bound(void) {
    /* 2000 pings to a client whose answers cannot leave: its queue holds max_message_bytes +
       64 KiB, then it closes with 1008 and drops BCE_WS_CLOSE_WAIT_MS later (no close from
       the peer can come) */
    canned_t s;
    seen_t seen;
    logbook_t lb;
    deaf_t df;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    int at;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(&lb, 0, sizeof lb);
    add_answer(&s, 1, UPGRADE_OK, AFTER_FLOOD_PINGS, 2000);
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, NULL, NULL, &lb);
    df.coin = c;
    df.refused = 0;
    c->solo->link.rpc.conn.transport = &deaf_io;
    c->solo->link.rpc.conn.transport_ctx = &df;
    c->solo->link.ep.transport = &deaf_io;       /* the websocket, made later, takes the endpoint's */
    c->solo->link.ep.transport_ctx = &df;
    o.max_message_bytes = 4096;
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_CLOSED);
    CHECK_INT(seen.disc_code, 1008);
    if (seen.disc_code != 1008) {
        int i;
        fprintf(stderr, "  reason: %s\n", seen.disc_reason);
        for (i = 0; i < lb.count && i < 64; i++) fprintf(stderr, "  log: %s\n", lb.lines[i]);
    }
    CHECK(df.refused > 0);
    at = logged(&lb, "the peer does not read our answers");
    CHECK(at != 0);
    if (at) {
        long long waited = seen.disc_ms - lb.ms[at - 1];
        CHECK(waited >= BCE_WS_CLOSE_WAIT_MS - 20);
        CHECK(waited < BCE_WS_CLOSE_WAIT_MS + 1500);
    }
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* Counts the bytes the websocket connection reads in each step. */
typedef struct rounds_t {
    bce_coin_t *coin;
    size_t step_bytes;
} rounds_t;

static long counting_recv(_bce_conn_t *cn, char *buf, size_t len) {
    rounds_t *rt = (rounds_t *)cn->io_ctx;
    long n = _bce_plain_recv(cn, buf, len);
    if (n > 0 && cn == &rt->coin->solo->link.ws.conn) rt->step_bytes += (size_t)n;
    return n;
}

static long plain_send(_bce_conn_t *cn, const char *buf, size_t len) { return _bce_plain_send(cn, buf, len); }

static const _bce_io_t counting_io = {NULL, NULL, plain_send, counting_recv, NULL};

static void test_ws_read_rounds(void) {
    /* 3000 messages of 200 bytes in one burst (about 600 KiB): no step reads more than
       BCE_WS_READ_ROUNDS buffers of 32 KiB, and all arrive */
    canned_t s;
    seen_t seen;
    rounds_t rt;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    answer_t *a;
    char tx[160];
    char *msg;
    size_t most = 0;
    int i, steps = 0, busy_steps = 0, r = 1;
    long long deadline;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(tx, 't', sizeof tx - 1);
    tx[sizeof tx - 1] = 0;
    msg = envelope(tx);
    a = add_answer(&s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
    for (i = 0; i < 3000; i++) put_frame(&a->data, &a->len, 1, msg, strlen(msg));
    put_frame(&a->data, &a->len, 8, CLOSE_1000, 5);
    free(msg);
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, NULL, NULL, NULL);
    rt.coin = c;
    rt.step_bytes = 0;
    c->solo->link.rpc.conn.transport = &counting_io;
    c->solo->link.rpc.conn.transport_ctx = &rt;
    c->solo->link.ep.transport = &counting_io;       /* the websocket, made later, takes the endpoint's */
    c->solo->link.ep.transport_ctx = &rt;
    CHECK_INT(bce_on(c, "new_transaction", on_tx, &seen), BCE_OK);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    deadline = _bce_now_ms() + 20000;
    while (r == 1 && _bce_now_ms() < deadline) {
        int open_before = seen.connects;     /* the step that reads the handshake answer
                                                also parses what came with it: not counted */
        rt.step_bytes = 0;
        r = bce_coin_step(c, 100);
        steps++;
        if (open_before && rt.step_bytes > most) most = rt.step_bytes;
        if (rt.step_bytes) busy_steps++;
    }
    CHECK_INT(r, BCE_ERR_CLOSED);
    CHECK_INT(seen.n, 3000);
    CHECK(most <= (size_t)BCE_WS_READ_ROUNDS * 32768u);
    CHECK(busy_steps >= (int)(a->len / ((size_t)BCE_WS_READ_ROUNDS * 32768u)));
    if (test_failures_now)
        fprintf(stderr, "  most=%zu busy=%d steps=%d close=%d (%s) error=%s\n", most, busy_steps, steps, seen.disc_code,
                seen.disc_reason, bce_coin_last_error(c));
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* ---- timers --------------------------------------------------------------------------- */

static void test_catchup_retry(void) {
    /* the catch-up get_updates fails (HTTP 500): the coin asks again BCE_CATCHUP_RETRY_MS
       later, while the websocket stays up */
    canned_t s;
    seen_t seen;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    long long deadline;
    int r = 1, nposts = 0, i;
    long long first = 0, second = 0;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    add_answer(&s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
    add_answer(&s, 0, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", AFTER_DRAIN, 0);
    add_rpc(&s, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":[]}", AFTER_DRAIN);
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, NULL, "xpub-retry", NULL);
    o.disable_catch_up = 0;
    o.drain_interval_ms = -1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    deadline = _bce_now_ms() + 10000;
    while (r == 1 && _bce_now_ms() < deadline) {
        r = bce_coin_step(c, 50);
        pthread_mutex_lock(&s.mu);
        for (nposts = 0, i = 0; i < s.nreq; i++)
            if (strncmp(s.reqs[i], "POST", 4) == 0) {
                if (++nposts == 1) first = s.req_ms[i];
                else if (nposts == 2) second = s.req_ms[i];
            }
        pthread_mutex_unlock(&s.mu);
        if (nposts >= 2) break;
    }
    CHECK_INT(nposts, 2);
    CHECK(second - first >= BCE_CATCHUP_RETRY_MS - 20);
    CHECK(second - first < BCE_CATCHUP_RETRY_MS + 1500);
    bce_stop(c);
    while (bce_coin_step(c, 50) == 1) {}
    bce_coin_destroy(c);
    canned_stop(&s);
}

static long long logged_delay(const logbook_t *lb, int nth) {
    int i, k = 0;
    for (i = 0; i < lb->count && i < 64; i++) {
        const char *p = strstr(lb->lines[i], "reconnecting in ");
        if (p && ++k == nth) return atoll(p + 16);
    }
    return -1;
}

static void test_reconnect_reset(void) {
    /* three connections dropped at once: the delay grows (min 100: 50-100, 100-200, 200-400);
       the fourth stays up longer than BCE_WS_STABLE_MS: the delay starts over at 50-100 */
    canned_t s;
    seen_t seen;
    logbook_t lb;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    long long deadline;
    int r = 1;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(&lb, 0, sizeof lb);
    add_answer(&s, 1, UPGRADE_OK, AFTER_CLOSE, 0);
    add_answer(&s, 1, UPGRADE_OK, AFTER_CLOSE, 0);
    add_answer(&s, 1, UPGRADE_OK, AFTER_CLOSE, 0);
    add_answer(&s, 1, UPGRADE_OK, AFTER_HOLD_CLOSE, BCE_WS_STABLE_MS + 200);
    add_answer(&s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, NULL, NULL, &lb);
    o.disable_reconnect = 0;
    o.reconnect_min_ms = 100;
    o.reconnect_max_ms = 10000;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    deadline = _bce_now_ms() + 15000;
    while (r == 1 && _bce_now_ms() < deadline && seen.connects < 5) r = bce_coin_step(c, 50);
    CHECK_INT(seen.connects, 5);
    CHECK(logged_delay(&lb, 1) >= 50 && logged_delay(&lb, 1) <= 100);
    CHECK(logged_delay(&lb, 2) >= 100 && logged_delay(&lb, 2) <= 200);
    CHECK(logged_delay(&lb, 3) >= 200 && logged_delay(&lb, 3) <= 400);
    CHECK(logged_delay(&lb, 4) >= 50 && logged_delay(&lb, 4) <= 100);
    if (test_failures_now)
        fprintf(stderr, "  delays %lld %lld %lld %lld\n", logged_delay(&lb, 1), logged_delay(&lb, 2),
                logged_delay(&lb, 3), logged_delay(&lb, 4));
    bce_stop(c);
    while (bce_coin_step(c, 50) == 1) {}
    bce_coin_destroy(c);
    canned_stop(&s);
}

/* ---- deduplication bounds ------------------------------------------------------------- */

static void upd(char *buf, size_t cap, const char *ev, int i) {
    snprintf(buf, cap, "{\"event\":\"%s\",\"n\":%d}", ev, i);
}

static void test_dedup_bounds(void) {
    bce_allocator_t a;
    _bce_seen_t w, g;
    _bce_dedup_t ws, q;
    char u[64];
    int i;
    memset(&a, 0, sizeof a);
    /* a ring of 4: six websocket deliveries, then the queue returns all six: the first two
       were forgotten and come again, the last four are swallowed */
    _bce_seen_init(&w, &a, 4, BCE_DEDUP_TWINS);
    _bce_seen_init(&g, &a, BCE_DEDUP_GLOBAL, 0);
    memset(&ws, 0, sizeof ws);
    ws.wallet = &w;
    ws.global = &g;
    ws.from_ws = 1;
    ws.now = 1000;
    q = ws;
    q.from_ws = 0;
    q.ws_open = 1;
    w.mark = w.pushes;
    for (i = 0; i < 6; i++) { upd(u, sizeof u, "new_transaction", i); CHECK_INT(_bce_dedup_skip(&ws, 0, u, strlen(u)), 0); }
    for (i = 0; i < 6; i++) { upd(u, sizeof u, "new_transaction", i); CHECK_INT(_bce_dedup_skip(&q, 0, u, strlen(u)), i >= 2); }
    _bce_seen_settle(&w, NULL);
    /* the twin list: BCE_DEDUP_TWINS + 1 updates delivered from the queue while the websocket
       is open; the oldest is forgotten (its twin is delivered), the others are swallowed */
    for (i = 100; i < 100 + (int)BCE_DEDUP_TWINS + 1; i++) { upd(u, sizeof u, "new_payment", i); CHECK_INT(_bce_dedup_skip(&q, 0, u, strlen(u)), 0); }
    upd(u, sizeof u, "new_payment", 100);
    CHECK_INT(_bce_dedup_skip(&ws, 0, u, strlen(u)), 0);
    upd(u, sizeof u, "new_payment", 101);
    CHECK_INT(_bce_dedup_skip(&ws, 0, u, strlen(u)), 1);
    upd(u, sizeof u, "new_payment", 100 + (int)BCE_DEDUP_TWINS);
    CHECK_INT(_bce_dedup_skip(&ws, 0, u, strlen(u)), 1);
    /* ... and they wait BCE_DEDUP_TWIN_MS at most */
    upd(u, sizeof u, "new_payment", 102);
    ws.now = 1000 + BCE_DEDUP_TWIN_MS + 1;
    CHECK_INT(_bce_dedup_skip(&ws, 0, u, strlen(u)), 0);
    ws.now = 1000;
    /* global events: BCE_DEDUP_GLOBAL + 1 blocks; the first is forgotten */
    for (i = 0; i < (int)BCE_DEDUP_GLOBAL + 1; i++) { upd(u, sizeof u, "new_block", i); CHECK_INT(_bce_dedup_skip(&ws, 1, u, strlen(u)), 0); }
    upd(u, sizeof u, "new_block", 0);
    CHECK_INT(_bce_dedup_skip(&q, 1, u, strlen(u)), 0);
    upd(u, sizeof u, "new_block", (int)BCE_DEDUP_GLOBAL);
    CHECK_INT(_bce_dedup_skip(&q, 1, u, strlen(u)), 1);
    _bce_seen_release(&w);
    _bce_seen_release(&g);
}

static void test_dedup_entries_option(void) {
    bce_coin_t *c = coin_for(free_loopback_port(), NULL, "xpub-dedup", NULL);
    bce_manager_t *m = bce_manager_create(NULL);
    bce_ws_opts_t o;
    memset(&o, 0, sizeof o);
    o.force_connect = 1;
    o.dedup_entries = BCE_DEDUP_ENTRIES_MAX + 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_ERR_INVALID_ARG);
    o.dedup_entries = 4;               /* reaches the ring */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    CHECK_INT(c->solo->link.seen.max, 4);     /* one wallet: dedup_entries entries */
    CHECK_INT(c->solo->link.seen.qmax, BCE_DEDUP_TWINS);
    CHECK_INT(c->solo->link.gseen.max, BCE_DEDUP_GLOBAL);
    bce_stop(c);
    while (bce_coin_step(c, 10) == 1) {}
    bce_coin_destroy(c);
    bce_manager_destroy(m);
}

/* ---- manager and allocation bounds ------------------------------------------------------ */

static void on_mtx(const bce_event_t *ev, void *ud) {
    (void)ev;
    ((seen_t *)ud)->n++;
}

static void test_manager_currency_name(void) {
    /* currency names of 15 and 18 bytes in websocket messages: refused as unsupported, logged,
       nothing dispatched; the next message is */
    canned_t s;
    bce_manager_desc_t md;
    bce_coin_desc_t d;
    bce_manager_t *m;
    logbook_t lb;
    seen_t seen;
    bce_ws_opts_t o = ws_once(&seen);
    const char *msgs[3];
    char url[64];
    msgs[0] = "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"a\"}],\"wallet\":\"w1\",\"currency\":\"ABCDEFGHIJKLMNO\"}";
    msgs[1] = "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"b\"}],\"wallet\":\"w1\",\"currency\":\"BTCBTCBTCBTCBTCBTC\"}";
    msgs[2] = "{\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"c\"}],\"wallet\":\"w1\",\"currency\":\"BTC\"}";
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    memset(&lb, 0, sizeof lb);
    add_ws(&s, msgs, 3);
    add_rpc(&s, "{\"jsonrpc\":\"2.0\",\"id\":{ID},\"result\":[]}", AFTER_DRAIN);
    CHECK_INT(canned_start(&s), 0);
    memset(&md, 0, sizeof md);
    md.logger.fn = log_all;
    md.logger.user_data = &lb;
    m = bce_manager_create(&md);
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    d.url = url;
    d.logger = md.logger;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "w1") != NULL);
    CHECK_INT(bce_manager_on(m, "new_transaction", on_mtx, &seen), BCE_OK);
    CHECK_INT(bce_manager_start_websocket(m, &o), BCE_ERR_CLOSED);
    CHECK_INT(seen.n, 1);
    CHECK(logged(&lb, "unsupported currency: ABCDEFGHIJKLMNO") != 0);
    CHECK(logged(&lb, "unsupported currency: BTCBTCBTCBTCBTCBTC") != 0);
    bce_manager_destroy(m);
    canned_stop(&s);
}

typedef struct flaky_t {
    int fail;                   /* refuse every allocation */
    size_t fail_size;           /* refuse the allocations of exactly this size (0: none) */
    long refused;
} flaky_t;

static void *flaky_alloc(size_t n, void *ud) {
    flaky_t *f = (flaky_t *)ud;
    if (f->fail || (f->fail_size && n == f->fail_size)) { f->refused++; return NULL; }
    return malloc(n);
}

static void flaky_free(void *p, void *ud) {
    (void)ud;
    free(p);
}

static void test_delivery_allocation_failure(void) {
    /* an update whose strings need a bigger arena, while memory is refused: skipped and
       logged; the next update (fitting the warm arena) is delivered. A manager refuses a
       wallet when its coin or its table cannot be allocated, and keeps the others */
    flaky_t f;
    logbook_t lb;
    bce_coin_desc_t d;
    bce_manager_desc_t md;
    bce_coin_t *c;
    bce_manager_t *m;
    seen_t seen;
    char *doc = NULL, name[32];
    size_t n = 0;
    int i, held = 0;
    memset(&f, 0, sizeof f);
    memset(&lb, 0, sizeof lb);
    memset(&seen, 0, sizeof seen);
    memset(&d, 0, sizeof d);
    d.url = "http://127.0.0.1:9";
    d.allocator.alloc = flaky_alloc;
    d.allocator.free = flaky_free;
    d.allocator.user_data = &f;
    d.logger.fn = log_all;
    d.logger.user_data = &lb;
    c = bce_coin_create(&d);
    CHECK_INT(bce_on(c, "new_transaction", on_tx, &seen), BCE_OK);
    {
        static const char warm[] = "[{\"event\":\"new_transaction\",\"tx\":\"warm\"}]";
        CHECK_INT(bce_process_updates(c, warm, strlen(warm)), 1);
    }
    CHECK_INT(seen.n, 1);
    puts_(&doc, &n, "[{\"event\":\"new_transaction\",\"tx\":\"");
    for (i = 0; i < 20000; i++) put(&doc, &n, "\\n", 2);     /* escaped: decoded into the arena */
    puts_(&doc, &n, "\"},{\"event\":\"new_transaction\",\"tx\":\"small\"}]");
    f.fail = 1;
    bce_process_updates(c, doc, n);
    f.fail = 0;
    CHECK(f.refused > 0);
    CHECK_INT(seen.n, 2);
    CHECK_STR(seen.last_tx, "small");
    CHECK(logged(&lb, "out of memory while delivering an event") != 0);
    bce_coin_destroy(c);
    free(doc);

    memset(&md, 0, sizeof md);
    md.allocator = d.allocator;
    md.logger = d.logger;
    m = bce_manager_create(&md);
    /* the table doubles when it would be half full: the 65th wallet needs 256 slots */
    f.refused = 0;
    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "w%d", i);
        f.fail_size = i == 64 ? 256 * sizeof(bce_coin_t *) : 0;
        if (bce_manager_add_wallet(m, "BTC", name)) held++;
    }
    f.fail_size = 0;
    CHECK_INT(f.refused, 1);                /* the table, and nothing else */
    CHECK_INT(held, 99);
    CHECK(bce_manager_wallet(m, "BTC", "w63") != NULL);
    CHECK(bce_manager_wallet(m, "BTC", "w64") == NULL);
    CHECK(bce_manager_wallet(m, "BTC", "w99") != NULL);
    CHECK(bce_manager_add_wallet(m, "BTC", "w64") != NULL);
    /* the coin itself refused: every allocation fails from here */
    f.fail = 1;
    CHECK(bce_manager_add_wallet(m, "BTC", "w100") == NULL);
    f.fail = 0;
    CHECK(bce_manager_wallet(m, "BTC", "w100") == NULL);
    CHECK(bce_manager_wallet(m, "BTC", "w0") != NULL);
    bce_manager_destroy(m);
}

static void test_fds_cap(void) {
    /* fewer slots than descriptors: the count comes back, only cap slots are written */
    canned_t s;
    seen_t seen;
    bce_ws_opts_t o = ws_once(&seen);
    bce_coin_t *c;
    bce_manager_t *m;
    bce_coin_desc_t d;
    bce_fd_t fds[4];
    char url[64];
    int n = 0, i;
    long long deadline;
    memset(&s, 0, sizeof s);
    memset(&seen, 0, sizeof seen);
    add_answer(&s, 1, UPGRADE_OK, AFTER_DRAIN, 0);
    add_answer(&s, 0, "", AFTER_DRAIN, 0);     /* JSON-RPC calls are never answered */
    CHECK_INT(canned_start(&s), 0);
    c = coin_for(s.port, NULL, NULL, NULL);
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    deadline = _bce_now_ms() + 5000;
    while (seen.connects == 0 && _bce_now_ms() < deadline) bce_coin_step(c, 50);
    for (i = 0; i < 4; i++) { fds[i].fd = -7; fds[i].events = -7; }
    n = bce_coin_fds(c, fds, 0);
    CHECK(n >= 1);
    CHECK_INT(fds[0].fd, -7);
    CHECK_INT(fds[0].events, -7);
    CHECK_INT(bce_coin_fds(c, fds, 4), n);
    CHECK(fds[0].fd >= 0);
    CHECK_INT(fds[n].fd, -7);
    bce_stop(c);
    while (bce_coin_step(c, 50) == 1) {}
    bce_coin_destroy(c);

    m = bce_manager_create(NULL);
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    d.url = url;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK_INT(bce_manager_configure(m, "LTC", &d), BCE_OK);
    CHECK(bce_manager_add_wallet(m, "BTC", "w1") != NULL);
    CHECK(bce_manager_add_wallet(m, "LTC", "w2") != NULL);
    CHECK_INT(bce_manager_start_polling(m, 60000), BCE_OK);     /* two calls that stay open */
    for (i = 0; i < 4; i++) { fds[i].fd = -7; fds[i].events = -7; }
    deadline = _bce_now_ms() + 5000;
    while ((n = bce_manager_fds(m, NULL, 0)) < 2 && _bce_now_ms() < deadline) bce_manager_step(m, 20);
    CHECK(n >= 2);
    CHECK_INT(bce_manager_fds(m, fds, 1), n);
    CHECK_INT(fds[1].fd, -7);
    bce_manager_destroy(m);
    canned_stop(&s);
}

/* TEST_ONLY=name (tests/test.h) runs one test, as does the older TEST_LIMITS_ONLY=name;
   TEST_LIMITS_REPEAT=n repeats each test that runs */
#define RUN_IF(fn) do { const char *o_ = getenv("TEST_LIMITS_ONLY"); \
    int k_, r_ = getenv("TEST_LIMITS_REPEAT") ? atoi(getenv("TEST_LIMITS_REPEAT")) : 1; \
    if (!o_ || strcmp(o_, #fn) == 0) for (k_ = 0; k_ < r_; k_++) RUN(fn); } while (0)

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    RUN_IF(test_json_input_size);
    RUN_IF(test_escaped_long_key);
    RUN_IF(test_rpc_answer_tokens);
    RUN_IF(test_rpc_answer_over_tokens);
    RUN_IF(test_rpc_answer_over_tokens_blank);
    RUN_IF(test_rpc_header_limit);
    RUN_IF(test_rpc_body_limits);
    RUN_IF(test_rpc_trailers_fill_buffer);
    RUN_IF(test_chunk_line_limit);
    RUN_IF(test_rpc_error_message_cut);
    RUN_IF(test_log_line_cut);
    RUN_IF(test_ws_message_over_tokens);
    RUN_IF(test_refused_upgrade_body);
    RUN_IF(test_url_bounds);
    RUN_IF(test_long_url_requests);
    RUN_IF(test_ws_buffer_allocation);
    RUN_IF(test_ws_send_queue_bound);
    RUN_IF(test_ws_read_rounds);
    RUN_IF(test_catchup_retry);
    RUN_IF(test_reconnect_reset);
    RUN_IF(test_dedup_bounds);
    RUN_IF(test_dedup_entries_option);
    RUN_IF(test_manager_currency_name);
    RUN_IF(test_delivery_allocation_failure);
    RUN_IF(test_fds_cap);
    test_only_check("TEST_LIMITS_ONLY");
    TEST_MAIN_END("test_limits");
}
