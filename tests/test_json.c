/* tests/test_json.c: the strict JSON tokenizer on its own. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "json_cases.h"
#include "json_oracle.h"

static size_t case_len(const json_case_t *c) { return c->len ? c->len : strlen(c->doc); }

/* Every case of the table, through both entry points, which must agree with the table. */
static void test_conformance_table(void) {
    bce_json_t p;
    size_t i;
    int disagreements = 0;
    CHECK_INT(bce_json_init(&p, NULL), BCE_OK);
    for (i = 0; i < JSON_CASES_COUNT; i++) {
        const json_case_t *c = &json_cases[i];
        size_t len = case_len(c), off = 0;
        int r = bce_json_parse(&p, c->doc, len);
        int v = bce_json_validate(c->doc, len, 0, &off);
        if ((r > 0) != (c->valid != 0) || (v == BCE_OK) != (c->valid != 0)) {
            fprintf(stderr, "case %u (%s): parse %d validate %d, expected %s\n", (unsigned)i, c->what,
                    r, v, c->valid ? "valid" : "invalid");
            disagreements++;
        }
        if (!c->valid) {
            CHECK(r == BCE_ERR_JSON || r == BCE_ERR_LIMIT);
            CHECK(p.error_offset <= len);
            CHECK(p.error[0] != 0);
        }
    }
    CHECK_INT(disagreements, 0);
    CHECK(JSON_CASES_COUNT >= 200);
    bce_json_release(&p);
}

/* The API is not incremental: a document cut anywhere must be rejected, never half-used.
   Each valid case is wrapped in [ ] so that no strict prefix can be a valid document. */
static void test_every_prefix_rejected(void) {
    bce_json_t p;
    size_t i, k;
    char buf[4096];
    long accepted = 0, tried = 0;
    bce_json_init(&p, NULL);
    for (i = 0; i < JSON_CASES_COUNT; i++) {
        const json_case_t *c = &json_cases[i];
        size_t len = case_len(c);
        if (!c->valid || len + 2 > sizeof buf) continue;
        buf[0] = '[';
        memcpy(buf + 1, c->doc, len);
        buf[len + 1] = ']';
        CHECK(bce_json_parse(&p, buf, len + 2) > 0);
        for (k = 0; k < len + 2; k++) {
            tried++;
            if (bce_json_parse(&p, buf, k) > 0) accepted++;
            if (bce_json_validate(buf, k, 0, NULL) == BCE_OK) accepted++;
        }
    }
    CHECK_INT(accepted, 0);
    CHECK(tried > 1000);
    bce_json_release(&p);
}

static void test_token_layout(void) {
    static const char doc[] = " {\"a\": [1, 2, {\"b\": null}], \"c\": \"x\\ny\", \"d\": {}, \"e\": true} ";
    bce_json_t p;
    const bce_json_token_t *t;
    uint32_t v;
    int n;
    bce_json_init(&p, NULL);
    n = bce_json_parse(&p, doc, strlen(doc));
    /* object, a, [, 1, 2, {, b, null, c, "x\ny", d, {}, e, true */
    CHECK_INT(n, 14);
    t = p.tokens;
    CHECK_INT(t[0].type, BCE_JSON_OBJECT);
    CHECK_INT(t[0].size, 4);
    CHECK_INT(t[0].start, 1);
    CHECK_INT(t[0].end, strlen(doc) - 1);
    CHECK_INT(t[0].next, 14);
    CHECK_INT(t[1].type, BCE_JSON_STRING);
    CHECK_INT(t[2].type, BCE_JSON_ARRAY);
    CHECK_INT(t[2].size, 3);
    CHECK_INT(t[2].next, 8);
    CHECK_INT(t[5].type, BCE_JSON_OBJECT);
    CHECK_INT(t[5].size, 1);
    CHECK_INT(t[7].type, BCE_JSON_NULL);
    CHECK_INT(t[9].type, BCE_JSON_STRING);
    CHECK_INT(t[9].escaped, 1);
    CHECK_INT(t[1].escaped, 0);
    CHECK_INT(t[11].type, BCE_JSON_OBJECT);
    CHECK_INT(t[11].size, 0);
    CHECK_INT(t[11].next, 12);
    CHECK_INT(t[13].type, BCE_JSON_TRUE);
    v = bce_json_find(doc, t, 0, "c");
    CHECK_INT(v, 9);
    v = bce_json_find(doc, t, 0, "e");
    CHECK_INT(v, 13);
    CHECK_INT(bce_json_find(doc, t, 0, "zz"), 0);
    CHECK_INT(bce_json_find(doc, t, 5, "b"), 7);
    CHECK_INT(bce_json_find(doc, t, 2, "b"), 0);   /* not an object */
    {   /* an escaped key longer than any small buffer still matches */
        char big[400], key[40];
        size_t o = 0, k;
        bce_json_t q;
        big[o++] = '{';
        big[o++] = '"';
        for (k = 0; k < 30; k++) { memcpy(big + o, "\\u0061", 6); o += 6; }
        memcpy(big + o, "\":1}", 4);
        o += 4;
        memset(key, 'a', 30);
        key[30] = 0;
        bce_json_init(&q, NULL);
        CHECK_INT(bce_json_parse(&q, big, o), 3);
        CHECK_INT(bce_json_find(big, q.tokens, 0, key), 2);
        key[29] = 'b';
        CHECK_INT(bce_json_find(big, q.tokens, 0, key), 0);
        key[29] = 0;
        CHECK_INT(bce_json_find(big, q.tokens, 0, key), 0);
        bce_json_release(&q);
    }
    CHECK(p.error[0] == 0);
    bce_json_release(&p);
}

static void test_strings_decoded(void) {
    static const struct { const char *json; const char *want; size_t want_len; } cases[] = {
        {"\"plain\"", "plain", 5},
        {"\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7},
        {"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5},
        {"\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9", 4},
        {"\"\\u20ac\"", "\xE2\x82\xAC", 3},
        {"\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4},
        {"\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4},
        {"\"x\\u0000y\"", "x\0y", 3},
        {"\"\xE2\x82\xAC raw\"", "\xE2\x82\xAC raw", 7},
        {"\"\"", "", 0},
    };
    bce_json_t p;
    size_t i;
    bce_json_init(&p, NULL);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64], tiny[2];
        size_t n = 99;
        CHECK_INT(bce_json_parse(&p, cases[i].json, strlen(cases[i].json)), 1);
        CHECK_INT(bce_json_string(cases[i].json, &p.tokens[0], out, sizeof out, &n), BCE_OK);
        CHECK_INT(n, cases[i].want_len);
        CHECK(memcmp(out, cases[i].want, cases[i].want_len) == 0);
        CHECK_INT(out[n], 0);
        /* too small: the exact size is reported, nothing is truncated silently */
        n = 0;
        if (cases[i].want_len >= 2) {
            CHECK_INT(bce_json_string(cases[i].json, &p.tokens[0], tiny, sizeof tiny, &n), BCE_ERR_LIMIT);
            CHECK_INT(n, cases[i].want_len);
        }
        CHECK_INT(bce_json_string(cases[i].json, &p.tokens[0], NULL, 0, &n), cases[i].want_len + 1 > 0 ? BCE_ERR_LIMIT : BCE_OK);
        CHECK_INT(n, cases[i].want_len);
    }
    CHECK_INT(bce_json_parse(&p, "1", 1), 1);
    CHECK_INT(bce_json_string("1", &p.tokens[0], NULL, 0, NULL), BCE_ERR_INVALID_ARG);
    bce_json_release(&p);
}

static void test_integers(void) {
    static const struct { const char *json; int ok; long long want; } cases[] = {
        {"0", 1, 0}, {"-0", 1, 0}, {"7", 1, 7}, {"2500000", 1, 2500000},
        {"9223372036854775807", 1, 9223372036854775807LL},
        {"-9223372036854775808", 1, -9223372036854775807LL - 1},
        {"9223372036854775808", 0, 0}, {"-9223372036854775809", 0, 0},
        {"18446744073709551616", 0, 0}, {"99999999999999999999999999", 0, 0},
        {"999999999999999999", 1, 999999999999999999LL}, {"-999999999999999999", 1, -999999999999999999LL},
        {"1000000000000000000", 1, 1000000000000000000LL}, {"-12.5", 0, 0}, {"12345678901234567.5", 0, 0},
        {"1.0", 0, 0}, {"1e3", 0, 0}, {"-2E1", 0, 0}, {"\"7\"", 0, 0}, {"true", 0, 0}, {"null", 0, 0},
    };
    bce_json_t p;
    size_t i;
    bce_json_init(&p, NULL);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long long v = 12345;
        CHECK_INT(bce_json_parse(&p, cases[i].json, strlen(cases[i].json)), 1);
        CHECK_INT(bce_json_int(cases[i].json, &p.tokens[0], &v), cases[i].ok);
        if (cases[i].ok) CHECK_INT(v, cases[i].want);
        else CHECK_INT(v, 12345);
    }
    bce_json_release(&p);
}

static void test_errors_located(void) {
    static const struct { const char *json; size_t off; } cases[] = {
        {"[1,2,]", 5}, {"{\"a\" 1}", 5}, {"[01]", 2}, {"\"a\\x\"", 2}, {"[1] x", 4}, {"", 0},
        {"{\"a\":1,}", 7}, {"\"\x01\"", 1}, {"[\"\xC0\x80\"]", 2},
    };
    bce_json_t p;
    size_t i, off;
    bce_json_init(&p, NULL);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_INT(bce_json_parse(&p, cases[i].json, strlen(cases[i].json)), BCE_ERR_JSON);
        CHECK_INT(p.error_offset, cases[i].off);
        CHECK_INT(bce_json_validate(cases[i].json, strlen(cases[i].json), 0, &off), BCE_ERR_JSON);
        CHECK_INT(off, cases[i].off);
        CHECK_INT(p.count, 0);
    }
    bce_json_release(&p);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
    char *b = (char *)malloc(hl + ul * n + tl + 1);
    memcpy(b, head, hl);
    for (i = 0; i < n; i++) memcpy(b + hl + i * ul, unit, ul);
    memcpy(b + hl + ul * n, tail, tl + 1);
    *len = hl + ul * n + tl;
    return b;
}

static void test_depth_limits(void) {
    bce_json_t p;
    bce_json_desc_t d;
    size_t len, len2;
    char *open = repeat("", "[", 200000, "", &len);
    char *deep = repeat("", "[", 64, "", &len2);
    char *b;
    bce_json_init(&p, NULL);
    CHECK_INT(bce_json_parse(&p, open, len), BCE_ERR_LIMIT);
    CHECK_INT(p.error_offset, 64);
    CHECK_INT(bce_json_validate(open, len, BCE_JSON_MAX_DEPTH_LIMIT, NULL), BCE_ERR_LIMIT);
    /* 64 levels are allowed by default, 65 are not */
    b = (char *)malloc(2 * 65 + 1);
    memset(b, '[', 64);
    memset(b + 64, ']', 64);
    CHECK_INT(bce_json_parse(&p, b, 128), 64);
    memset(b, '[', 65);
    memset(b + 65, ']', 65);
    CHECK_INT(bce_json_parse(&p, b, 130), BCE_ERR_LIMIT);
    /* objects and arrays alternating at the hard maximum */
    memset(&d, 0, sizeof d);
    d.max_depth = BCE_JSON_MAX_DEPTH_LIMIT;
    bce_json_release(&p);
    CHECK_INT(bce_json_init(&p, &d), BCE_OK);
    {
        size_t n = BCE_JSON_MAX_DEPTH_LIMIT, i, o = 0;
        char *alt = (char *)malloc(n * 6 + 8);
        for (i = 0; i < n; i++) {
            if (i % 2) alt[o++] = '[';
            else { memcpy(alt + o, "{\"k\":", 5); o += 5; }
        }
        alt[o++] = '1';
        for (i = n; i-- > 0;) alt[o++] = (i % 2) ? ']' : '}';
        CHECK_INT(bce_json_parse(&p, alt, o), (int)(n + n / 2 + 1));
        CHECK_INT(p.tokens[0].next, p.count);
        free(alt);
    }
    bce_json_release(&p);
    d.max_depth = BCE_JSON_MAX_DEPTH_LIMIT + 1;
    CHECK_INT(bce_json_init(&p, &d), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_json_validate("[]", 2, -1, NULL), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_json_validate(deep, len2, 0, NULL), BCE_ERR_JSON);   /* unclosed, within depth */
    free(open);
    free(deep);
    free(b);
    bce_json_release(&p);
}

/* Large inputs: linear time (a quadratic tokenizer would not finish), bounded tokens. */
static void test_large_inputs(void) {
    bce_json_t p;
    bce_json_desc_t d;
    size_t len;
    char *arr = repeat("[", "0,", 2000000, "0]", &len);
    char *str;
    memset(&d, 0, sizeof d);
    d.max_tokens = 3000000;
    bce_json_init(&p, &d);
    CHECK_INT(bce_json_parse(&p, arr, len), 2000002);
    CHECK_INT(p.tokens[0].size, 2000001);
    CHECK_INT(p.tokens[0].next, 2000002);
    bce_json_release(&p);
    d.max_tokens = 1000;
    bce_json_init(&p, &d);
    CHECK_INT(bce_json_parse(&p, arr, len), BCE_ERR_LIMIT);
    CHECK(p.capacity <= 1000);
    CHECK_INT(bce_json_validate(arr, len, 0, NULL), BCE_OK);
    free(arr);
    /* a 16 MiB string */
    str = repeat("\"", "abcdefgh\\u00e9\xC3\xA9\\n", 16 * 1024 * 1024 / 18, "\"", &len);
    CHECK_INT(bce_json_parse(&p, str, len), 1);
    CHECK_INT(p.tokens[0].end, len - 1);
    str[len / 2] = '\x01';
    CHECK_INT(bce_json_parse(&p, str, len), BCE_ERR_JSON);
    free(str);
    bce_json_release(&p);
}

static void test_reuse_without_allocating(void) {
    static const char doc[] = "[{\"event\":\"new_block\",\"height\":1},{\"event\":\"new_transaction\",\"tx\":\"ab\"}]";
    test_alloc_t ta = {0, 0, -1};
    bce_json_desc_t d;
    bce_json_t p;
    long before;
    int i;
    memset(&d, 0, sizeof d);
    d.allocator.alloc = test_alloc_fn;
    d.allocator.free = test_free_fn;
    d.allocator.user_data = &ta;
    CHECK_INT(bce_json_init(&p, &d), BCE_OK);
    CHECK_INT(ta.allocs, 0);
    CHECK_INT(bce_json_parse(&p, doc, strlen(doc)), 11);
    before = ta.allocs;
    CHECK(before >= 1);
    for (i = 0; i < 100; i++) CHECK_INT(bce_json_parse(&p, doc, strlen(doc)), 11);
    CHECK_INT(ta.allocs, before);
    bce_json_release(&p);
    CHECK_INT(ta.allocs, ta.frees);
    /* allocation failure is reported, not crashed on */
    ta.fail_after = 0;
    bce_json_init(&p, &d);
    CHECK_INT(bce_json_parse(&p, doc, strlen(doc)), BCE_ERR_NOMEM);
    bce_json_release(&p);
    d.allocator.free = NULL;
    CHECK_INT(bce_json_init(&p, &d), BCE_ERR_INVALID_ARG);
}

/* The string scanner looks at eight or 16 bytes at a time, and (SSE2) at the last 15 or fewer
   through the 16 that end the text: put every kind of special byte at every position of a
   word (and around words), at every distance from the end, and check the verdict and where it
   was found; and strings that never end, of every length. */
static void test_special_byte_positions(void) {
    static const struct { const char *x; int valid; const char *decoded; } specials[] = {
        {"\\n", 1, "\n"}, {"\\\"", 1, "\""}, {"\xC3\xA9", 1, "\xC3\xA9"}, {"\xE2\x82\xAC", 1, "\xE2\x82\xAC"},
        {"\x7F", 1, "\x7F"}, {" ", 1, " "}, {"\x01", 0, NULL}, {"\x1F", 0, NULL}, {"\x80", 0, NULL}, {"\xFF", 0, NULL},
        {"\xC3", 0, NULL},
    };
    bce_json_t p;
    size_t k, L, T, prev_ok;
    bce_json_init(&p, NULL);
    for (k = 0; k < sizeof specials / sizeof specials[0]; k++) {
        for (L = 0; L < 40; L++) {
            for (T = 0; T <= 20; T++) {
                char doc[80], want[80], out[80];
                size_t n = 0, xl = strlen(specials[k].x), wl = 0, off = 99;
                int r;
                doc[n++] = '"';
                memset(doc + n, 'a', L);
                n += L;
                memcpy(doc + n, specials[k].x, xl);
                n += xl;
                memset(doc + n, 'b', T);
                n += T;
                doc[n++] = '"';
                r = bce_json_parse(&p, doc, n);
                prev_ok = bce_json_validate(doc, n, 0, &off) == BCE_OK;
                CHECK_INT(r > 0, specials[k].valid);
                CHECK_INT(prev_ok, (size_t)specials[k].valid);
                if (!specials[k].valid) {
                    CHECK_INT(off, 1 + L);
                    continue;
                }
                CHECK_INT(p.tokens[0].end, n - 1);
                memset(want, 'a', L);
                wl = L + strlen(specials[k].decoded);
                memcpy(want + L, specials[k].decoded, strlen(specials[k].decoded));
                memset(want + wl, 'b', T);
                wl += T;
                CHECK_INT(bce_json_string(doc, &p.tokens[0], out, sizeof out, &n), BCE_OK);
                CHECK_INT(n, wl);
                CHECK(memcmp(out, want, wl) == 0);
            }
        }
    }
    for (L = 0; L < 60; L++) {                      /* "aaa... without its closing quote */
        char doc[64];
        size_t off = 99;
        doc[0] = '"';
        memset(doc + 1, 'a', L);
        CHECK_INT(bce_json_validate(doc, L + 1, 0, &off), BCE_ERR_JSON);
        CHECK_INT(off, L + 1);
        CHECK_INT(bce_json_parse(&p, doc, L + 1), BCE_ERR_JSON);
        CHECK_INT(p.error_offset, L + 1);
    }
    bce_json_release(&p);
}

/* The dispatcher tokenizes the updates of a large document again after validating it, one
   update at a time, from the update's first byte (with the document's last bracket as the
   unguarded scan's end): for every valid case, and inside an array, it must give exactly the
   tokens of bce_json_parse on the whole text. */
static int same_tokens_as_validated(bce_json_t *p, bce_json_t *q, const char *doc, size_t len) {
    _bce_scan_t sc;
    size_t i = 0, end = 0;
    int r = bce_json_parse(p, doc, len);
    if (r <= 0) return 0;
    memset(&sc, 0, sizeof sc);
    sc.s = doc;
    sc.len = len;
    sc.max_depth = 64;
    sc.p = q;
    while (i < len && _bce_isws((unsigned char)doc[i])) i++;
    sc.last = _bce_json_last_bracket(doc, 0, len);
    if (_bce_json_scan_at(&sc, i, &end) != BCE_OK || sc.ntok != (uint32_t)r) return 0;
    while (end < len && _bce_isws((unsigned char)doc[end])) end++;
    if (end != len) return 0;
    return oracle_tokens_equal(p->tokens, q->tokens, sc.ntok);
}

static void test_validated_tokenizer_agrees(void) {
    bce_json_t p, q;
    size_t i, L;
    int compared = 0;
    char buf[4096];
    bce_json_init(&p, NULL);
    bce_json_init(&q, NULL);
    for (i = 0; i < JSON_CASES_COUNT; i++) {
        const json_case_t *c = &json_cases[i];
        size_t len = case_len(c);
        if (!c->valid || 11 + 2 * len > sizeof buf) continue;
        CHECK(same_tokens_as_validated(&p, &q, c->doc, len));
        memcpy(buf, "[1,", 3);                  /* as an element, and a member, of containers */
        memcpy(buf + 3, c->doc, len);
        memcpy(buf + 3 + len, ",{\"k\":", 6);
        memcpy(buf + 9 + len, c->doc, len);
        memcpy(buf + 9 + 2 * len, "}]", 2);
        CHECK(same_tokens_as_validated(&p, &q, buf, 11 + 2 * len));
        compared++;
    }
    /* escapes and multi-byte characters at every position around the scanners' blocks */
    for (L = 0; L < 48; L++) {
        static const char *const mid[] = {"\\\"", "\\\\", "\\u00e9", "\xC3\xA9", "x"};
        size_t m;
        for (m = 0; m < sizeof mid / sizeof mid[0]; m++) {
            size_t n = 0;
            buf[n++] = '[';
            buf[n++] = '"';
            memset(buf + n, 'a', L);
            n += L;
            memcpy(buf + n, mid[m], strlen(mid[m]));
            n += strlen(mid[m]);
            memcpy(buf + n, "bb\",{\"", 6);
            n += 6;
            memset(buf + n, 'k', L);
            n += L;
            memcpy(buf + n, "\":-1.5e3}]", 10);
            n += 10;
            CHECK(same_tokens_as_validated(&p, &q, buf, n));
            compared++;
        }
    }
    CHECK(compared >= 300);     /* 98 valid table cases and 240 built ones */
    bce_json_release(&p);
    bce_json_release(&q);
}

/* Both entry points against the guarded scan on one text: same result, offset and tokens. */
static int agrees_with_guarded(bce_json_t *p, bce_json_t *q, const char *doc, size_t len) {
    size_t off_v = 99, off_g = 0;
    uint32_t n = 0;
    int rv = bce_json_validate(doc, len, 64, &off_v), rg = oracle_guarded_scan(NULL, doc, len, &off_g, &n);
    int rp = bce_json_parse(p, doc, len);
    if (rv != rg || off_v != off_g) return 0;
    rg = oracle_guarded_scan(q, doc, len, &off_g, &n);
    if (rp < 0 ? (rp != rg || p->error_offset != off_g) : (rg != BCE_OK || (uint32_t)rp != n)) return 0;
    return rp < 0 || oracle_tokens_equal(p->tokens, q->tokens, n);
}

static void test_unguarded_scan_agrees(void) {
    bce_json_t p, q;
    size_t i, cut;
    int compared = 0, failed = 0;
    char buf[4096];
    static const char *const wraps[][2] = {
        {"", ""}, {"", " \n"}, {"", "]"}, {"", "}"}, {"[", "]"}, {"[", "] \t"}, {"{\"a\":", "}"},
        {"[[", "]"}, {"[1,", ",{\"k\":[]}]"}, {" [ ", " , [ ] ] "}, {"{\"k\":[", "]}  "},
    };
    bce_json_init(&p, NULL);
    bce_json_init(&q, NULL);
    for (i = 0; i < JSON_CASES_COUNT; i++) {
        const json_case_t *c = &json_cases[i];
        size_t len = case_len(c), w;
        for (w = 0; w < sizeof wraps / sizeof wraps[0]; w++) {
            size_t a = strlen(wraps[w][0]), b = strlen(wraps[w][1]), n = a + len + b;
            if (n > sizeof buf) continue;
            memcpy(buf, wraps[w][0], a);
            memcpy(buf + a, c->doc, len);
            memcpy(buf + a + len, wraps[w][1], b);
            for (cut = 0; cut <= n; cut++) {        /* every prefix: truncations end anywhere */
                if (!agrees_with_guarded(&p, &q, buf, cut)) {
                    if (failed++ < 5) printf("  unguarded scan differs: case %u, wrap %u, %u of %u bytes\n",
                                             (unsigned)i, (unsigned)w, (unsigned)cut, (unsigned)n);
                }
                compared++;
            }
        }
    }
    CHECK_INT(failed, 0);
    CHECK(compared >= 10000);
    bce_json_release(&p);
    bce_json_release(&q);
}

/* Unguarded scans test a value's first byte, and what follows a value, before whitespace
   (compact JSON has none): whitespace of each kind, 1 or 2 bytes, at every gap of compact
   documents, alone and with the next byte replaced by one that is wrong there, must give the
   guarded scan's result, offset and tokens. */
static void test_whitespace_at_every_gap(void) {
    static const char *const docs[] = {
        "[{\"event\":\"new_block\",\"height\":2500000},{\"tx\":\"ab\",\"h\":[1,true,null,\"x\"]}]",
        "{\"a\":[[],{},[{}],\"s\",-1.5e3,false],\"b\":{\"c\":{\"d\":[0]}}}",
        "[[[1],[2,[3]]],{\"k\":{}},[]]",
    };
    static const char *const ws[] = {" ", "\t", "\n", "\r", " \n", "\r\n", "\t "};
    static const char bad[] = {'x', ',', ':', '}', ']', '"', '1', '{'};
    bce_json_t p, q;
    size_t d, at, w, b;
    int compared = 0, failed = 0;
    char buf[256];
    bce_json_init(&p, NULL);
    bce_json_init(&q, NULL);
    for (d = 0; d < sizeof docs / sizeof docs[0]; d++) {
        size_t len = strlen(docs[d]);
        for (at = 0; at <= len; at++) {
            for (w = 0; w < sizeof ws / sizeof ws[0]; w++) {
                size_t k = strlen(ws[w]), n = len + k;
                memcpy(buf, docs[d], at);
                memcpy(buf + at, ws[w], k);
                memcpy(buf + at + k, docs[d] + at, len - at);
                if (!agrees_with_guarded(&p, &q, buf, n)) {
                    if (failed++ < 5) printf("  differs: doc %u, whitespace %u at %u\n", (unsigned)d, (unsigned)w, (unsigned)at);
                }
                compared++;
                if (at + k >= n) continue;
                for (b = 0; b < sizeof bad; b++) {      /* a wrong byte after the whitespace */
                    char keep = buf[at + k];
                    buf[at + k] = bad[b];
                    if (!agrees_with_guarded(&p, &q, buf, n)) {
                        if (failed++ < 5) printf("  differs: doc %u, whitespace %u at %u, then '%c'\n",
                                                 (unsigned)d, (unsigned)w, (unsigned)at, bad[b]);
                    }
                    buf[at + k] = keep;
                    compared++;
                }
            }
        }
    }
    CHECK_INT(failed, 0);
    printf("  %d texts compared\n", compared);
    CHECK(compared >= 9000);
    bce_json_release(&p);
    bce_json_release(&q);
}

/* Unguarded SSE2 scans keep the special bytes of 64 at a time for the strings that follow
   (_bce_json_string_end_b): strings before, across and after such a block's edges, with a
   special byte (escape, \u escape, 2-byte character, quote in an escape, control byte, invalid
   UTF-8, a cut sequence) at every position, and texts whose last 64 bytes hold strings, must
   give the guarded scan's result, offset and tokens. */
static void test_strings_across_blocks(void) {
    static const char *const special[] = {"\\n", "\\u00e9", "\xC3\xA9", "\\\"", "\x01", "\xFF", "\xE2\x82", "x"};
    bce_json_t p, q;
    size_t k, j, m;
    int compared = 0, failed = 0;
    char buf[512];
    bce_json_init(&p, NULL);
    bce_json_init(&q, NULL);
    for (k = 0; k < 70; k++) {                  /* where the second string starts */
        for (j = 0; j < 72; j++) {              /* where its special byte sits */
            for (m = 0; m < sizeof special / sizeof special[0]; m++) {
                size_t n = 0, t;
                buf[n++] = '[';
                buf[n++] = '"';
                memset(buf + n, 'a', k);
                n += k;
                memcpy(buf + n, "\",{\"k\":\"", 8);
                n += 8;
                memset(buf + n, 'b', j);
                n += j;
                memcpy(buf + n, special[m], strlen(special[m]));
                n += strlen(special[m]);
                memcpy(buf + n, "cc\",\"k2\":\"dd\"},\"", 16);
                n += 16;
                memset(buf + n, 'e', 70 - k);
                n += 70 - k;
                memcpy(buf + n, "\",\"f\"]", 6);
                n += 6;
                if (!agrees_with_guarded(&p, &q, buf, n)) {
                    if (failed++ < 5) printf("  differs: k %u, j %u, special %u\n", (unsigned)k, (unsigned)j, (unsigned)m);
                }
                compared++;
                /* cut anywhere in the last 100 bytes and closed with a bracket: the unguarded
                   scan runs up to the end (and fails where the guarded one does) */
                for (t = n - 100; t < n; t += 3) {
                    char keep = buf[t];
                    buf[t] = ']';
                    if (!agrees_with_guarded(&p, &q, buf, t + 1)) {
                        if (failed++ < 5) printf("  differs: k %u, j %u, special %u, cut at %u of %u bytes\n",
                                                 (unsigned)k, (unsigned)j, (unsigned)m, (unsigned)t, (unsigned)n);
                    }
                    buf[t] = keep;
                    compared++;
                }
            }
        }
    }
    printf("  %d texts compared\n", compared);
    CHECK_INT(failed, 0);
    CHECK(compared >= 500000);
    bce_json_release(&p);
    bce_json_release(&q);
}

/* Unguarded SSE2 scans skip a number's digits 8 bytes at a time (_bce_json_digits8): integer
   and fraction parts of 1 to 20 digits, followed by each byte that ends a digit run or looks
   like a digit with its high bit set, at every distance from the text's end, must give the
   guarded scan's result, offset and tokens. */
static void test_number_digit_runs(void) {
    static const char follow[] = {']', ',', '}', ' ', '/', ':', (char)0xB0, (char)0xB9, (char)0xBA,
                                  'e', 'E', '.', 'x', '\0', '-', '"'};
    bce_json_t p, q;
    size_t L, F, f, r, sg;
    int compared = 0, failed = 0;
    char buf[128];
    bce_json_init(&p, NULL);
    bce_json_init(&q, NULL);
    for (sg = 0; sg < 2; sg++) {
        for (L = 1; L <= 20; L++) {                 /* integer digits */
            for (F = 0; F <= 18; F++) {             /* fraction digits (0: none) */
                for (f = 0; f < sizeof follow; f++) {
                    for (r = 0; r < 6; r++) {       /* ",0" items before the closing bracket */
                        size_t n = 0, d;
                        buf[n++] = '[';
                        if (sg) buf[n++] = '-';
                        for (d = 0; d < L; d++) buf[n++] = (char)('1' + (d * 7 + L) % 9);
                        if (F) {
                            buf[n++] = '.';
                            for (d = 0; d < F; d++) buf[n++] = (char)('0' + (d * 3 + F) % 10);
                        }
                        buf[n++] = follow[f];
                        for (d = 0; d < r; d++) { buf[n++] = ','; buf[n++] = '0'; }
                        buf[n++] = ']';
                        if (!agrees_with_guarded(&p, &q, buf, n)) {
                            if (failed++ < 5) printf("  differs: sign %u, %u digits, fraction %u, then 0x%02x, %u items after\n",
                                                     (unsigned)sg, (unsigned)L, (unsigned)F,
                                                     (unsigned)(unsigned char)follow[f], (unsigned)r);
                        }
                        compared++;
                        buf[n - 1] = '}';           /* wrong bracket: the end is checked */
                        if (!agrees_with_guarded(&p, &q, buf, n)) {
                            if (failed++ < 5) printf("  differs: sign %u, %u digits, fraction %u, then 0x%02x, %u items after, '}'\n",
                                                     (unsigned)sg, (unsigned)L, (unsigned)F,
                                                     (unsigned)(unsigned char)follow[f], (unsigned)r);
                        }
                        compared++;
                    }
                }
            }
        }
    }
    printf("  %d texts compared\n", compared);
    CHECK_INT(failed, 0);
    CHECK(compared >= 70000);
    bce_json_release(&p);
    bce_json_release(&q);
}

int main(void) {
    RUN(test_conformance_table);
    RUN(test_every_prefix_rejected);
    RUN(test_token_layout);
    RUN(test_strings_decoded);
    RUN(test_integers);
    RUN(test_errors_located);
    RUN(test_depth_limits);
    RUN(test_large_inputs);
    RUN(test_reuse_without_allocating);
    RUN(test_special_byte_positions);
    RUN(test_validated_tokenizer_agrees);
    RUN(test_unguarded_scan_agrees);
    RUN(test_whitespace_at_every_gap);
    RUN(test_strings_across_blocks);
    RUN(test_number_digit_runs);
    TEST_MAIN_END("test_json");
}
