/* tests/fuzz/fuzz_json.c: the strict JSON tokenizer. The whole input is the document.
   - bce_json_validate and bce_json_parse agree (same result, same error offset).
   - A successful parse is a well-formed token tree over the input: offsets inside it, strings
     between quotes, containers whose children walk ends exactly at `next`.
   - Every string decodes (bce_json_string, into exact, large and too-small buffers, all
     agreeing) to valid UTF-8; raw strings without escapes are valid UTF-8 already.
   - bce_json_int agrees with strtoll; bce_json_find finds each object's first member of a name.
   - The guarded scan (end checks at every byte) gives validation's result and offset: the entry
     points scan unguarded when the text ends with a closing bracket.
   - The string skip (SSE2 or portable words) skips plain bytes only and stops where the
     byte classes say (check_skip_plain).
   - A warm parser gives the same tokens again; small limits (taken from the input's length)
     fail with BCE_ERR_LIMIT exactly when validation with that depth passes and the tokens
     would not fit. */
#include "fuzz_common.h"
#include "../json_oracle.h"
#include <errno.h>

static void check_string(const char *json, const bce_json_token_t *t, char *buf, size_t cap) {
    size_t n = 0, n2 = 0, raw = t->end - t->start;
    int r;
    char small[8];
    FUZZ_CHECK(t->start >= 1 && json[t->start - 1] == '"' && json[t->end] == '"');
    if (!t->escaped) {
        FUZZ_CHECK(memchr(json + t->start, '\\', raw) == NULL);
        FUZZ_CHECK(_bce_utf8_valid((const unsigned char *)json + t->start, raw));
    }
    r = bce_json_string(json, t, buf, cap, &n);
    FUZZ_CHECK(r == BCE_OK && n <= raw && buf[n] == 0);
    FUZZ_CHECK(_bce_utf8_valid((const unsigned char *)buf, n));
    /* a buffer of exactly the decoded size + 1, and one byte too small */
    {
        char *exact = (char *)malloc(n + 1);
        FUZZ_CHECK(exact != NULL);
        FUZZ_CHECK(bce_json_string(json, t, exact, n + 1, &n2) == BCE_OK && n2 == n);
        FUZZ_CHECK(memcmp(exact, buf, n + 1) == 0);
        n2 = 0;
        FUZZ_CHECK(bce_json_string(json, t, exact, n, &n2) == BCE_ERR_LIMIT && n2 == n);
        free(exact);
    }
    n2 = 0;
    r = bce_json_string(json, t, small, sizeof small, &n2);
    FUZZ_CHECK(n2 == n);
    FUZZ_CHECK(r == (n < sizeof small ? BCE_OK : BCE_ERR_LIMIT));
    if (r == BCE_OK) FUZZ_CHECK(memcmp(small, buf, n + 1) == 0);
    n2 = 0;
    FUZZ_CHECK(bce_json_string(json, t, NULL, 0, &n2) == BCE_ERR_LIMIT && n2 == n);
}

static void check_number(const char *json, const bce_json_token_t *t) {
    char tmp[64];
    size_t n = t->end - t->start, i;
    long long v = 0, w;
    int integral = 1, ok;
    char *end;
    FUZZ_CHECK(n >= 1);
    for (i = 0; i < n; i++)
        if (json[t->start + i] == '.' || json[t->start + i] == 'e' || json[t->start + i] == 'E') integral = 0;
    ok = bce_json_int(json, t, &v);
    if (!integral) { FUZZ_CHECK(!ok); return; }
    if (n >= sizeof tmp) { FUZZ_CHECK(!ok); return; }      /* more than 63 digits never fit */
    memcpy(tmp, json + t->start, n);
    tmp[n] = 0;
    errno = 0;
    w = strtoll(tmp, &end, 10);
    FUZZ_CHECK(*end == 0);
    FUZZ_CHECK(ok == (errno != ERANGE));
    if (ok) FUZZ_CHECK(v == w);
}

/* Structural checks over the tokens of json[0..len); returns the container nesting depth. */
static int check_tokens(const char *json, size_t len, const bce_json_t *p, char *buf, size_t cap) {
    const bce_json_token_t *t = p->tokens;
    uint32_t n = p->count, i;
    int maxd = 0;
    int *depth = (int *)calloc(n + 1, sizeof *depth);
    FUZZ_CHECK(depth != NULL);
    FUZZ_CHECK(t[0].next == n);
    depth[0] = 1;
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(t[i].type >= BCE_JSON_OBJECT && t[i].type <= BCE_JSON_NULL);
        FUZZ_CHECK(t[i].start <= t[i].end && t[i].end <= len);
        FUZZ_CHECK(t[i].next > i && t[i].next <= n);
        if ((t[i].type == BCE_JSON_OBJECT || t[i].type == BCE_JSON_ARRAY) && depth[i] > maxd) maxd = depth[i];
        switch (t[i].type) {
        case BCE_JSON_OBJECT: case BCE_JSON_ARRAY: {
            uint32_t k = i + 1, m;
            FUZZ_CHECK(json[t[i].start] == (t[i].type == BCE_JSON_OBJECT ? '{' : '['));
            FUZZ_CHECK(json[t[i].end - 1] == (t[i].type == BCE_JSON_OBJECT ? '}' : ']'));
            for (m = 0; m < t[i].size; m++) {
                FUZZ_CHECK(k < n);
                FUZZ_CHECK(t[k].start > t[i].start && t[k].end < t[i].end);
                if (t[i].type == BCE_JSON_OBJECT) {
                    FUZZ_CHECK(t[k].type == BCE_JSON_STRING && t[k].next == k + 1 && k + 1 < n);
                    depth[k] = depth[i] + 1;
                    depth[k + 1] = depth[i] + 1;
                    k = t[k + 1].next;
                } else {
                    depth[k] = depth[i] + 1;
                    k = t[k].next;
                }
            }
            FUZZ_CHECK(k == t[i].next);
            if (t[i].type == BCE_JSON_OBJECT) {
                /* bce_json_find: the first member of each (findable) name */
                uint32_t key = i + 1;
                for (m = 0; m < t[i].size && m < 32; m++, key = t[key + 1].next) {
                    size_t kl = 0;
                    uint32_t f;
                    if (bce_json_string(json, &t[key], buf, cap, &kl) != BCE_OK || strlen(buf) != kl) continue;
                    if (t[key].escaped && t[key].end - t[key].start > 128) continue;  /* see the report */
                    f = bce_json_find(json, t, i, buf);
                    FUZZ_CHECK(f > i && f <= key + 1 && t[f - 1].type == BCE_JSON_STRING);
                    if (f != key + 1) {
                        size_t fl = 0;
                        char *b2 = (char *)malloc(cap);
                        FUZZ_CHECK(b2 != NULL);
                        FUZZ_CHECK(bce_json_string(json, &t[f - 1], b2, cap, &fl) == BCE_OK);
                        FUZZ_CHECK(fl == kl && memcmp(b2, buf, kl) == 0);
                        free(b2);
                    }
                }
            } else {
                FUZZ_CHECK(bce_json_find(json, t, i, "a") == 0);
            }
            break;
        }
        case BCE_JSON_STRING:
            FUZZ_CHECK(t[i].size == 0 && t[i].next == i + 1);
            check_string(json, &t[i], buf, cap);
            break;
        case BCE_JSON_NUMBER:
            FUZZ_CHECK(t[i].size == 0 && t[i].next == i + 1);
            check_number(json, &t[i]);
            break;
        default:
            FUZZ_CHECK(t[i].size == 0 && t[i].next == i + 1);
            FUZZ_CHECK(memcmp(json + t[i].start, t[i].type == BCE_JSON_TRUE ? "true" : t[i].type == BCE_JSON_FALSE
                              ? "false" : "null", t[i].end - t[i].start) == 0);
            FUZZ_CHECK(bce_json_int(json, &t[i], NULL) == 0);
            break;
        }
    }
    free(depth);
    return maxd;
}

/* The word-at-a-time skip (SSE2, or the portable words under BCE_NO_SIMD), from every start,
   against the byte classes: what it skips is plain string bytes, and it stops at the first
   byte that is not, or at the end, or (where the byte loops take over) less than a block
   before the end. */
static void check_skip_plain(const unsigned char *s, size_t len) {
    size_t *next = (size_t *)malloc(sizeof(size_t) * (len + 1)), i, r;
    FUZZ_CHECK(next != NULL);
    next[len] = len;                /* next[i]: the first byte at or after i that is not plain */
    for (i = len; i-- > 0;) next[i] = _bce_json_sclass[s[i]] != 0 ? i : next[i + 1];
    for (i = 0; i <= len; i++) {
        r = _bce_skip_plain(s, i, len);
        FUZZ_CHECK(r >= i && r <= next[i]);
        FUZZ_CHECK(r == next[i] || len - r < 16);
    }
    free(next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *json = (const char *)data;
    bce_json_t p, q;
    bce_json_desc_t d;
    size_t off = 0, cap = size + 16;
    int v, r, r2, depth = 0;
    char *buf = (char *)malloc(cap);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(bce_json_init(&p, NULL) == BCE_OK);

    check_skip_plain(data, size);
    v = bce_json_validate(json, size, 0, &off);
    {   /* the guarded scan agrees with the (possibly unguarded) entry point */
        size_t goff = 0;
        uint32_t gn = 0;
        int g = oracle_guarded_scan(NULL, json, size, &goff, &gn);
        FUZZ_CHECK(g == v && goff == off);
    }
    r = bce_json_parse(&p, json, size);
    if (v == BCE_OK) {
        FUZZ_CHECK(r > 0 || (r == BCE_ERR_LIMIT && p.count == 0));
        FUZZ_CHECK(p.error_offset == 0 && p.error[0] == 0);
    } else {
        FUZZ_CHECK(v == BCE_ERR_JSON || v == BCE_ERR_LIMIT);
        FUZZ_CHECK(r == v && p.error_offset == off && p.error[0] != 0);
        FUZZ_CHECK(off <= size);
    }
    if (r > 0) {
        bce_json_token_t *copy;
        FUZZ_CHECK((uint32_t)r == p.count);
        depth = check_tokens(json, size, &p, buf, cap);
        FUZZ_CHECK(depth <= 64);
        /* warm: the same tokens again, without growing */
        copy = (bce_json_token_t *)malloc(p.count * sizeof *copy);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, p.tokens, p.count * sizeof *copy);
        {
            uint32_t capacity = p.capacity;
            FUZZ_CHECK(bce_json_parse(&p, json, size) == r && p.capacity == capacity);
            FUZZ_CHECK(oracle_tokens_equal(copy, p.tokens, p.count));
        }
        free(copy);
    }

    /* small limits, chosen by the input's length */
    memset(&d, 0, sizeof d);
    d.max_tokens = 1 + (uint32_t)(size % 23);
    d.max_depth = 1 + (int)(size % 7);
    FUZZ_CHECK(bce_json_init(&q, &d) == BCE_OK);
    r2 = bce_json_parse(&q, json, size);
    v = bce_json_validate(json, size, d.max_depth, &off);
    if (v != BCE_OK) {
        FUZZ_CHECK(r2 < 0);
        if (r2 != BCE_ERR_LIMIT) FUZZ_CHECK(r2 == v);
    } else if (r > 0 && (uint32_t)r <= d.max_tokens) {
        FUZZ_CHECK(r2 == r);
    } else if (r > 0) {
        FUZZ_CHECK(r2 == BCE_ERR_LIMIT && strcmp(q.error, "too many tokens") == 0);
    }
    if (r > 0 && depth > d.max_depth) FUZZ_CHECK(r2 == BCE_ERR_LIMIT);
    bce_json_release(&q);
    bce_json_release(&p);
    free(buf);
    return 0;
}
