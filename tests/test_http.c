/* tests/test_http.c: the pure layers under the JSON-RPC client, over buffers (no server, no
   socket): URL parsing, base64 for the Authorization header, and the HTTP/1.1 response parser
   fed every case whole, byte by byte and at every split. tests/test_net.c runs the client
   against the fake daemons. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"

static void test_url_parse(void) {
    static const struct { const char *url; int ok, tls; const char *host, *port, *prefix; } cases[] = {
        {"http://localhost:5000", 1, 0, "localhost", "5000", ""},
        {"http://127.0.0.1:5000/", 1, 0, "127.0.0.1", "5000", ""},
        {"https://pay.example.com", 1, 1, "pay.example.com", "443", ""},
        {"http://example.com/bitcart/btc/", 1, 0, "example.com", "80", "/bitcart/btc"},
        {"http://[::1]:5001/x", 1, 0, "::1", "5001", "/x"},
        {"http://[::1]", 1, 0, "::1", "80", ""},
        {"http://h:65535", 1, 0, "h", "65535", ""},
        {"ftp://h", 0, 0, 0, 0, 0}, {"http://", 0, 0, 0, 0, 0}, {"http://h:0", 0, 0, 0, 0, 0},
        {"http://h:65536", 0, 0, 0, 0, 0}, {"http://h:12a", 0, 0, 0, 0, 0}, {"http://h:", 0, 0, 0, 0, 0},
        {"http://u:p@h", 0, 0, 0, 0, 0}, {"http://[::1", 0, 0, 0, 0, 0}, {"http://[zz]", 0, 0, 0, 0, 0},
        {"http://h/a b", 0, 0, 0, 0, 0}, {"http://h/?q=1", 0, 0, 0, 0, 0}, {"localhost:5000", 0, 0, 0, 0, 0},
        {"http://h_x", 0, 0, 0, 0, 0}, {"HTTP://h", 0, 0, 0, 0, 0},
        {"http://h:000080/x", 0, 0, 0, 0, 0}, {"http://h:00080/x", 1, 0, "h", "00080", "/x"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        _bce_url_t u;
        const char *why = _bce_url_parse(cases[i].url, &u);
        CHECK_INT(why == NULL, cases[i].ok);
        if (!cases[i].ok || why) continue;
        CHECK_INT(u.tls, cases[i].tls);
        CHECK_STR(u.host, cases[i].host);
        CHECK_STR(u.port, cases[i].port);
        CHECK_STR(u.prefix, cases[i].prefix);
    }
    {   /* and through the public door */
        bce_coin_desc_t d;
        test_log_t log;
        memset(&d, 0, sizeof d);
        memset(&log, 0, sizeof log);
        d.url = "http://u:p@h";
        d.logger.fn = test_log_fn;
        d.logger.user_data = &log;
        CHECK(bce_coin_create(&d) == NULL);
        CHECK(strstr(log.last, "bad url: credentials in the URL") != NULL);
    }
}

static void test_base64(void) {
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "electrum:electrumz"};
    static const char *const want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
                                       "ZWxlY3RydW06ZWxlY3RydW16"};
    size_t i;
    for (i = 0; i < 8; i++) {
        char out[64];
        _bce_base64((const unsigned char *)in[i], strlen(in[i]), out);
        CHECK_STR(out, want[i]);
    }
}

typedef struct http_case_t {
    const char *raw;
    int result;         /* 1 complete, 0 needs more, < 0 error */
    int status;
    const char *body;
    int keep_alive;
    int eof;            /* the peer closed after raw */
} http_case_t;

static const http_case_t http_cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 1, 200, "hello", 1, 0},
    {"HTTP/1.1 200 OK\r\ncontent-length:  2 \r\nConnection: close\r\n\r\nhi", 1, 200, "hi", 0, 0},
    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 1, 200, "hi", 0, 0},
    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nhi", 1, 200, "hi", 1, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", 1, 200, "hello world", 1, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n", 1, 200, "0123456789", 1, 0},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 1, 200, "x", 1, 0},
    {"HTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 200, "", 1, 0},
    {"HTTP/1.1 200 OK\r\n\r\nuntil close", 1, 200, "until close", 0, 1},
    {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nbad", 1, 500, "bad", 1, 0},
    {"HTTP/1.1 204 No Content\r\n\r\n", 1, 204, "", 1, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0, 200, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", BCE_ERR_HTTP, 0, NULL, 0, 1},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", BCE_ERR_HTTP, 0, NULL, 0, 1},
    {"HTTP/1.1 200 OK\r\nContent-", BCE_ERR_HTTP, 0, NULL, 0, 1},
    {"", BCE_ERR_HTTP, 0, NULL, 0, 1},
    {"HTTP/2 200 OK\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 2x0 OK\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"ICY 200 OK\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\nContent-Length: 0\n\n\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", BCE_ERR_LIMIT, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", BCE_ERR_LIMIT, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", BCE_ERR_LIMIT, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1FFFFF\r\n", BCE_ERR_LIMIT, 0, NULL, 0, 0},
    {"HTTP/1.1 200 OK\r\n folded\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
    {"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", BCE_ERR_HTTP, 0, NULL, 0, 0},
};

/* Feeds raw bytes to the parser in pieces of `step` bytes (0: all at once). */
static int http_run(const http_case_t *c, size_t step, size_t max_header, _bce_http_resp_t *r, char *buf) {
    size_t total = strlen(c->raw), fed = 0, len = 0;
    int rc = 0;
    _bce_http_reset(r, max_header, 1u << 20);
    if (total == 0) return _bce_http_feed(r, buf, &len, c->eof);
    while (fed < total) {
        size_t n = step ? step : total;
        if (n > total - fed) n = total - fed;
        memcpy(buf + len, c->raw + fed, n);
        len += n;
        fed += n;
        rc = _bce_http_feed(r, buf, &len, fed == total && c->eof);
        if (rc != 0) break;
    }
    if (rc == 1 && c->body) {
        CHECK_INT(r->body_len, strlen(c->body));
        CHECK(memcmp(buf + r->body_start, c->body, r->body_len) == 0);
    }
    return rc;
}

static void test_http_parser_table(void) {
    size_t i, step;
    char buf[4096];
    for (i = 0; i < sizeof http_cases / sizeof http_cases[0]; i++) {
        const http_case_t *c = &http_cases[i];
        /* whole, one byte at a time, and every other split size */
        for (step = 0; step <= strlen(c->raw); step++) {
            _bce_http_resp_t r;
            int rc = http_run(c, step, 16384, &r, buf);
            if (rc != c->result) fprintf(stderr, "http case %u step %u: %d\n", (unsigned)i, (unsigned)step, rc);
            CHECK_INT(rc, c->result);
            if (rc == 1) {
                CHECK_INT(r.status, c->status);
                CHECK_INT(r.keep_alive, c->keep_alive);
            }
            if (rc < 0) CHECK(r.error != NULL);
        }
    }
}

static void test_http_header_limit(void) {
    char raw[8192], buf[8192];
    http_case_t c;
    _bce_http_resp_t r;
    size_t n;
    strcpy(raw, "HTTP/1.1 200 OK\r\nX-Big: ");
    n = strlen(raw);
    memset(raw + n, 'a', 3000);
    raw[n + 3000] = 0;
    memset(&c, 0, sizeof c);
    c.raw = raw;
    CHECK_INT(http_run(&c, 1, 1024, &r, buf), BCE_ERR_LIMIT);
    CHECK(strstr(r.error, "max_header_bytes") != NULL);
    CHECK_INT(http_run(&c, 0, 4096, &r, buf), 0);   /* within the limit: waits for more */
    {   /* a chunk-size line over 1024 bytes fails the same way whole or in pieces */
        char raw2[3000];
        int k = sprintf(raw2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;");
        memset(raw2 + k, 'x', 1500);
        strcpy(raw2 + k + 1500, "\r\nhello\r\n0\r\n\r\n");
        c.raw = raw2;
        CHECK_INT(http_run(&c, 0, 16384, &r, buf), BCE_ERR_HTTP);
        CHECK_INT(http_run(&c, 1200, 16384, &r, buf), BCE_ERR_HTTP);
        CHECK_INT(http_run(&c, 1, 16384, &r, buf), BCE_ERR_HTTP);
    }
}

int main(void) {
    RUN(test_url_parse);
    RUN(test_base64);
    RUN(test_http_parser_table);
    RUN(test_http_header_limit);
    TEST_MAIN_END("test_http");
}
