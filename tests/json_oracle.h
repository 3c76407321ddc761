/* tests/json_oracle.h: reference checks on the JSON scanner, shared by tests/test_json.c and
   tests/fuzz/fuzz_json.c. Include after the implementation of bitcart_events.h (it calls the
   scanner's internal functions). */
#ifndef BCE_TEST_JSON_ORACLE_H
#define BCE_TEST_JSON_ORACLE_H

/* The guarded scan (end checks everywhere), as bce_json_parse / bce_json_validate run it on
   text that does not end with a closing bracket: tokens into q, or validation only when q is
   NULL. Returns the result; *off the error offset (0 on success), *ntok the token count. */
static int oracle_guarded_scan(bce_json_t *q, const char *doc, size_t len, size_t *off, uint32_t *ntok) {
    _bce_scan_t sc;
    size_t end = 0;
    int r;
    memset(&sc, 0, sizeof sc);
    sc.s = doc;
    sc.len = len;
    sc.max_depth = 64;
    sc.p = q;
    sc.last = (size_t)-1;
    r = q ? _bce_json_scan_tokens(&sc, 0, &end) : _bce_json_scan_check(&sc, 0, &end);
    if (r == BCE_OK) {
        while (end < len && _bce_isws((unsigned char)doc[end])) end++;
        if (end != len) { r = BCE_ERR_JSON; sc.err_off = end; }
    }
    *off = r == BCE_OK ? 0 : sc.err_off;
    *ntok = sc.ntok;
    return r;
}

/* 1 when the first n tokens of a and b are the same (the library's memo_ aside). */
static int oracle_tokens_equal(const bce_json_token_t *a, const bce_json_token_t *b, uint32_t n) {
    uint32_t k;
    for (k = 0; k < n; k++)
        if (a[k].start != b[k].start || a[k].end != b[k].end || a[k].next != b[k].next || a[k].size != b[k].size
            || a[k].type != b[k].type || a[k].escaped != b[k].escaped)
            return 0;
    return 1;
}

#endif
