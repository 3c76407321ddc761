/* tests/fuzz/fuzz_http.c: the incremental HTTP response parser (status line, headers, interim
   1xx answers, Content-Length, read-until-close and chunked bodies, trailers, limits).
   The response is fed the way the JSON-RPC client feeds it: bytes appended to one buffer, the
   parser called with the new length (which it may shorten), eof on the last call. Everything
   past the valid length is poisoned for ASan, so a read past *plen fails at once.
   The same bytes are also fed whole and one byte at a time, and all three ways must agree: the
   same result, error, status, body, keep-alive; a split must never change what a response
   means. The parser is linear in the input however it is split (issue 13: interim answers and
   chunk framing are not moved per piece), which the byte-at-a-time feeding keeps cheap.

   Input: 4 header bytes, then the response.
     [0] max_header_bytes: 255 = 16384 (the default), else 24 + [0] * 16
     [1] max_response_bytes: 255 = 16 MiB (the default), else [1] * 48
     [2] bit 0: a websocket handshake (101 is final); bit 1: no eof at the end;
         bits 2-7 with [3]: the seed of the split points (chunks of 1 to 64 bytes, or whole) */
#include "fuzz_common.h"

typedef struct outcome_t {
    int rc, status, keep_alive, chunked;
    size_t body_start, body_len, len;
    const char *error;
} outcome_t;

/* Feeds src[0..n) in pieces (split NULL: whole; bytewise: one byte at a time); buf has room
   for n bytes. Stops at the first result != 0. */
static outcome_t feed(const char *src, size_t n, char *buf, size_t max_header, size_t max_body, int upgrade,
                      int eof_at_end, fuzz_rng_t *split, int bytewise) {
    _bce_http_resp_t r;
    outcome_t o;
    size_t len = 0, off = 0;
    memset(&o, 0, sizeof o);
    _bce_http_reset(&r, max_header, max_body);
    r.upgrade = upgrade;
    FUZZ_POISON(buf, n);
    for (;;) {
        size_t take = n - off, plen;
        int eof;
        if (split && take > 1) {
            size_t k = 1 + fuzz_below(split, 64);
            if (k < take) take = k;
        }
        if (bytewise && take > 1) take = 1;
        FUZZ_UNPOISON(buf + len, take);
        memcpy(buf + len, src + off, take);
        len += take;
        off += take;
        eof = off == n && eof_at_end;
        plen = len;
        o.rc = _bce_http_feed(&r, buf, &plen, eof);
        FUZZ_CHECK(plen <= len);
        if (plen < len) FUZZ_POISON(buf + plen, len - plen);
        len = plen;
        if (o.rc != 0 || off == n) break;
    }
    FUZZ_CHECK(o.rc == 0 || o.rc == 1 || o.rc == BCE_ERR_HTTP || o.rc == BCE_ERR_LIMIT);
    o.len = len;
    o.status = r.status;
    o.error = r.error;
    if (o.rc < 0) FUZZ_CHECK(r.error != NULL && r.error[0] != 0);
    if (o.rc == 0) FUZZ_CHECK(!eof_at_end);                 /* the end of input always decides */
    if (o.rc == 1) {
        FUZZ_CHECK(r.phase == _BCE_HP_DONE);
        /* any three digits are taken; 000-099 count as final (the callers refuse all but
           200 and 101 anyway) */
        FUZZ_CHECK(r.status >= 0 && r.status <= 999);
        FUZZ_CHECK(r.status < 100 || r.status >= 200 || (upgrade && r.status == 101));
        FUZZ_CHECK(r.body_start >= 16 && r.body_start <= len && r.body_start + r.body_len <= len);
        FUZZ_CHECK(r.pos >= r.body_start + r.body_len && r.pos <= len);
        FUZZ_CHECK(r.body_start <= max_header && r.head_bytes <= max_header);
        FUZZ_CHECK(r.interims <= BCE_HTTP_INTERIM_MAX && r.head_start < r.body_start);
        FUZZ_CHECK(r.body_len <= max_body);
        FUZZ_CHECK(memcmp(buf, "HTTP/1.", 7) == 0);
        FUZZ_CHECK(memcmp(buf + r.body_start - 4, "\r\n\r\n", 4) == 0);
        o.keep_alive = r.keep_alive;
        o.chunked = r.chunked;
        o.body_start = r.body_start;
        o.body_len = r.body_len;
        if (!r.chunked && r.status != 101) {
            /* a plain body is the bytes right after the headers */
            FUZZ_CHECK(r.pos == r.body_start + r.body_len);
        }
    }
    FUZZ_UNPOISON(buf, n);
    return o;
}

/* A split must not change the outcome, nor which error a bad response gets. */
static void same(const outcome_t *a, const outcome_t *b, const char *abuf, const char *bbuf) {
    FUZZ_CHECK(a->rc == b->rc);
    if (a->rc < 0) FUZZ_CHECK(strcmp(a->error, b->error) == 0);
    if (a->rc != 0) FUZZ_CHECK(a->status == b->status);
    if (a->rc == 1) {
        FUZZ_CHECK(a->keep_alive == b->keep_alive && a->chunked == b->chunked);
        FUZZ_CHECK(a->body_start == b->body_start && a->body_len == b->body_len);
        FUZZ_CHECK(memcmp(abuf + a->body_start, bbuf + b->body_start, a->body_len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in_t in = {data, size, 0};
    unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in);
    size_t max_header = b0 == 255 ? 16384 : 24 + (size_t)b0 * 16;
    size_t max_body = b1 == 255 ? (size_t)16 << 20 : (size_t)b1 * 48;
    int upgrade = b2 & 1, eof = !(b2 & 2);
    const char *src = (const char *)data + in.i;
    size_t n = size - in.i;
    fuzz_rng_t rng;
    outcome_t whole, parts, bytes;
    char *b1buf, *b2buf;
    if (size < 4) return 0;
    b1buf = (char *)malloc(n ? n : 1);
    b2buf = (char *)malloc(n ? n : 1);
    FUZZ_CHECK(b1buf && b2buf);
    rng.s = (uint64_t)(b2 >> 2) << 8 | b3;
    whole = feed(src, n, b1buf, max_header, max_body, upgrade, eof, NULL, 0);
    parts = feed(src, n, b2buf, max_header, max_body, upgrade, eof, &rng, 0);
    same(&whole, &parts, b1buf, b2buf);
    bytes = feed(src, n, b2buf, max_header, max_body, upgrade, eof, NULL, 1);
    same(&whole, &bytes, b1buf, b2buf);
    free(b1buf);
    free(b2buf);
    return 0;
}
