/* tests/fuzz/fuzz_common.h: what every fuzz target shares. Included once, by the target's only
   translation unit, before anything else.

   - The implementation of bitcart_events.h, with the library's clock replaced by a fake one
     (fuzz_clock_ms) so that timers, reconnect delays and pings depend on the input only.
   - FUZZ_CHECK: an invariant the library must keep; a failure prints file and line and aborts
     (libFuzzer then saves the input as a crash).
   - A reader over the input (fuzz_in_t), a seeded splitter (fuzz_rng_t), ASan poisoning of the
     unused tail of growing buffers, a silent logger or a checking one, an event handler that
     calls every bce_event_* accessor and cross-checks them against an independent parse.
   Built two ways: by clang with -fsanitize=fuzzer (tests/fuzz/run.sh) and, with
   -DBCE_FUZZ_REPLAY, by gcc or clang together with replay_main.c (tests/fuzz/replay.sh). */
#ifndef BCE_FUZZ_COMMON_H
#define BCE_FUZZ_COMMON_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the fake clock: every _bce_now_ms() of the library reads fuzz_clock_ms ---- */
static long long fuzz_clock_ms = 1000000;
static int fuzz_clock_gettime(clockid_t id, struct timespec *ts) {
    (void)id;
    ts->tv_sec = (time_t)(fuzz_clock_ms / 1000);
    ts->tv_nsec = (long)(fuzz_clock_ms % 1000) * 1000000L;
    return 0;
}
#define clock_gettime fuzz_clock_gettime
#define BITCART_EVENTS_IMPLEMENTATION
#include "../../bitcart_events.h"
#undef clock_gettime

#if defined(__GNUC__) || defined(__clang__)
#define FUZZ_UNUSED __attribute__((unused))
#else
#define FUZZ_UNUSED
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

/* ---- ASan: poison what lies past the valid bytes of a buffer, so that reads past *plen fail ---- */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n) __asan_poison_memory_region((const volatile void *)(p), (size_t)(n))
#define FUZZ_UNPOISON(p, n) __asan_unpoison_memory_region((const volatile void *)(p), (size_t)(n))
#else
#define FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---- reading the input ---- */
typedef struct fuzz_in_t {
    const uint8_t *p;
    size_t n, i;
} fuzz_in_t;

static FUZZ_UNUSED unsigned fuzz_u8(fuzz_in_t *in) { return in->i < in->n ? in->p[in->i++] : 0u; }
static FUZZ_UNUSED unsigned fuzz_u16(fuzz_in_t *in) { unsigned a = fuzz_u8(in); return a | fuzz_u8(in) << 8; }

/* A splitmix64 stream seeded from input bytes: chunk sizes and injected faults. */
typedef struct fuzz_rng_t {
    uint64_t s;
} fuzz_rng_t;

static FUZZ_UNUSED uint64_t fuzz_rand(fuzz_rng_t *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static FUZZ_UNUSED size_t fuzz_below(fuzz_rng_t *r, size_t n) { return n ? (size_t)(fuzz_rand(r) % n) : 0; }

/* ---- logging: silent (level -1), or every message checked and dropped ---- */

/* The password of the input's coins: derived from a hash of the whole input, so that the
   fuzzer cannot plant it in the network bytes (which may legitimately be logged). */
static char fuzz_password[24];
static char fuzz_auth_b64[64];      /* base64("electrum:" password): the Authorization header */

static FUZZ_UNUSED void fuzz_secret_init(const uint8_t *data, size_t size) {
    static const char hex[] = "0123456789abcdef";
    uint64_t h = 1469598103934665603ull;
    char cred[48];
    size_t i;
    for (i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ull;
    memcpy(fuzz_password, "pw-", 3);
    for (i = 0; i < 16; i++) fuzz_password[3 + i] = hex[(h >> (4 * i)) & 15];
    fuzz_password[19] = 0;
    memcpy(cred, "electrum:", 9);
    memcpy(cred + 9, fuzz_password, 20);
    _bce_base64((const unsigned char *)cred, strlen(cred), fuzz_auth_b64);
}

/* The manual: one line, no password, network text made printable. */
static FUZZ_UNUSED void fuzz_log_check(int level, const char *message, void *user_data) {
    size_t i, n = strlen(message);
    (void)user_data;
    FUZZ_CHECK(level >= BCE_LOG_ERROR && level <= BCE_LOG_DEBUG);
    FUZZ_CHECK(n < 1024);
    for (i = 0; i < n; i++) FUZZ_CHECK((unsigned char)message[i] >= 0x20 && (unsigned char)message[i] < 0x7f);
    if (fuzz_password[0]) {
        FUZZ_CHECK(strstr(message, fuzz_password) == NULL);
        FUZZ_CHECK(strstr(message, fuzz_auth_b64) == NULL);
    }
}

/* verbose: 0 silent (level -1, as the tests use), 1 every level through fuzz_log_check. */
static FUZZ_UNUSED bce_logger_t fuzz_logger(int verbose) {
    bce_logger_t lg;
    memset(&lg, 0, sizeof lg);
    if (verbose) {
        lg.fn = fuzz_log_check;
        lg.level = BCE_LOG_DEBUG;
    } else {
        lg.level = -1;
    }
    return lg;
}

/* ---- an allocator that can fail: "allocation failures are reported, never crashed on" ---- */
typedef struct fuzz_alloc_t {
    long live;                  /* blocks handed out and not freed */
    long fail_after;            /* < 0: never fail; else fail once this many more succeeded */
} fuzz_alloc_t;

static FUZZ_UNUSED void *fuzz_alloc_fn(size_t size, void *ud) {
    fuzz_alloc_t *a = (fuzz_alloc_t *)ud;
    void *p;
    if (a->fail_after == 0) return NULL;
    if (a->fail_after > 0) a->fail_after--;
    p = malloc(size);
    if (p) a->live++;
    return p;
}

static FUZZ_UNUSED void fuzz_free_fn(void *ptr, void *ud) {
    fuzz_alloc_t *a = (fuzz_alloc_t *)ud;
    FUZZ_CHECK(ptr != NULL);
    a->live--;
    free(ptr);
}

static FUZZ_UNUSED bce_allocator_t fuzz_allocator(fuzz_alloc_t *a) {
    bce_allocator_t al;
    al.alloc = fuzz_alloc_fn;
    al.free = fuzz_free_fn;
    al.user_data = a;
    return al;
}

/* ---- the event checker: every accessor, cross-checked against an independent parse ---- */

typedef struct fuzz_events_t {
    long calls;                 /* handler calls */
    long by_event[4];
    bce_json_t json;            /* the harness's own tokenizer (fuzz_events_init) */
    char *scratch, *scratch2;   /* decoded keys and values */
    size_t scratch_cap;
    bce_manager_t *manager;     /* when handlers belong to a manager */
    const char *expect_currency;/* NULL: not checked */
    int reenter;                /* also try the calls a handler must be refused */
} fuzz_events_t;

static FUZZ_UNUSED void fuzz_events_init(fuzz_events_t *fe) {
    memset(fe, 0, sizeof *fe);
    FUZZ_CHECK(bce_json_init(&fe->json, NULL) == BCE_OK);
}

static FUZZ_UNUSED void fuzz_events_release(fuzz_events_t *fe) {
    bce_json_release(&fe->json);
    free(fe->scratch);
    free(fe->scratch2);
    fe->scratch = fe->scratch2 = NULL;
    fe->scratch_cap = 0;
}

static int fuzz_event_index(const char *name) {
    static const char *const names[4] = {"new_block", "new_transaction", "new_payment", "verified_tx"};
    int k;
    for (k = 0; k < 4; k++)
        if (strcmp(name, names[k]) == 0) return k;
    return -1;
}

/* Escaped keys whose raw text is longer than this are not looked up (see the report: the
   library compares escaped keys through a 128-byte buffer). */
#define FUZZ_MAX_ESCAPED_KEY 128

static void fuzz_check_accessors(const bce_event_t *ev, fuzz_events_t *fe) {
    static const char *const fixed[] = {"address", "status", "sent_amount", "tx", "height", "tx_hashes",
                                        "wallet", "", "event", "xpub"};
    const char *name = bce_event_name(ev), *cur = bce_event_currency(ev), *obj;
    bce_coin_t *inst = bce_event_instance(ev);
    size_t olen = 0, k;
    int n, idx;
    uint32_t i, key, m;
    const bce_json_token_t *t;

    FUZZ_CHECK(name != NULL);
    idx = fuzz_event_index(name);
    FUZZ_CHECK(idx >= 0);
    fe->calls++;
    fe->by_event[idx]++;
    FUZZ_CHECK(inst != NULL);
    FUZZ_CHECK(cur != NULL && strcmp(cur, bce_coin_currency(inst)) == 0);
    if (fe->expect_currency) FUZZ_CHECK(strcmp(cur, fe->expect_currency) == 0);
    if (idx == 0) FUZZ_CHECK(bce_event_wallet(ev) == NULL);
    if (idx == 3) {     /* verified_tx: Electrum-family coins only */
        FUZZ_CHECK(strcmp(cur, "BTC") == 0 || strcmp(cur, "LTC") == 0 || strcmp(cur, "BCH") == 0
                   || strcmp(cur, "XRG") == 0 || strcmp(cur, "GRS") == 0);
    }
    (void)bce_coin_xpub(inst);
    (void)bce_coin_wallet_key(inst);
    (void)bce_coin_url(inst);
    (void)bce_coin_last_error(inst);
    if (bce_event_wallet(ev)) (void)strlen(bce_event_wallet(ev));

    for (k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        long long v;
        size_t jl;
        const char *s = bce_event_str(ev, fixed[k]), *j = bce_event_json(ev, fixed[k], &jl);
        int has = bce_event_has(ev, fixed[k]);
        FUZZ_CHECK(has == (j != NULL));
        if (s) FUZZ_CHECK(has && j[0] == '"');
        if (bce_event_int(ev, fixed[k], &v)) FUZZ_CHECK(has);
        if (strcmp(fixed[k], "event") == 0) FUZZ_CHECK(!has && !s && !j);
    }
    FUZZ_CHECK(bce_event_str(ev, NULL) == NULL);
    FUZZ_CHECK(bce_event_has(ev, NULL) == 0);

    /* the whole update, parsed again by the harness */
    obj = bce_event_json(ev, NULL, &olen);
    FUZZ_CHECK(obj != NULL && olen >= 2 && obj[0] == '{' && obj[olen - 1] == '}');
    n = bce_json_parse(&fe->json, obj, olen);
    if (n == BCE_ERR_LIMIT || n == BCE_ERR_NOMEM) return;     /* too big for the harness's defaults */
    FUZZ_CHECK(n > 0 && fe->json.tokens[0].type == BCE_JSON_OBJECT);
    if (fe->scratch_cap < olen + 1) {
        free(fe->scratch);
        free(fe->scratch2);
        fe->scratch = (char *)malloc(olen + 1);
        fe->scratch2 = (char *)malloc(olen + 1);
        FUZZ_CHECK(fe->scratch != NULL && fe->scratch2 != NULL);
        fe->scratch_cap = olen + 1;
    }
    t = fe->json.tokens;
    for (m = 0, key = 1; m < t[0].size && m < 64; m++, key = t[key + 1].next) {
        size_t kl = 0, vl = 0, jl = 0;
        const bce_json_token_t *kt = &t[key], *vt = &t[key + 1];
        const char *s, *j;
        long long a = 0, b = 0;
        int first = 1, ia, ib;
        FUZZ_CHECK(bce_json_string(obj, kt, fe->scratch, fe->scratch_cap, &kl) == BCE_OK);
        if (strlen(fe->scratch) != kl) continue;                         /* \u0000 in the key */
        if (kt->escaped && kt->end - kt->start > FUZZ_MAX_ESCAPED_KEY) continue;
        if (strcmp(fe->scratch, "event") == 0) {
            FUZZ_CHECK(!bce_event_has(ev, "event"));
            continue;
        }
        /* only the first member of a name is reachable */
        for (i = 0, k = 1; i < m; i++, k = t[k + 1].next) {
            size_t pl = 0;
            if (t[k].escaped && t[k].end - t[k].start > FUZZ_MAX_ESCAPED_KEY) continue;
            if (bce_json_string(obj, &t[k], fe->scratch2, fe->scratch_cap, &pl) == BCE_OK && pl == kl
                && memcmp(fe->scratch2, fe->scratch, kl) == 0) { first = 0; break; }
        }
        FUZZ_CHECK(bce_event_has(ev, fe->scratch) == 1);
        if (!first) continue;
        j = bce_event_json(ev, fe->scratch, &jl);
        FUZZ_CHECK(j != NULL);
        if (vt->type == BCE_JSON_STRING) {
            FUZZ_CHECK(j == obj + vt->start - 1 && jl == (size_t)(vt->end - vt->start) + 2);
        } else {
            FUZZ_CHECK(j == obj + vt->start && jl == (size_t)(vt->end - vt->start));
        }
        ia = bce_event_int(ev, fe->scratch, &a);
        ib = bce_json_int(obj, vt, &b);
        FUZZ_CHECK(ia == ib && (!ia || a == b));
        s = bce_event_str(ev, fe->scratch);
        if (vt->type != BCE_JSON_STRING) {
            FUZZ_CHECK(s == NULL);
            continue;
        }
        FUZZ_CHECK(s != NULL);
        FUZZ_CHECK(bce_event_str(ev, fe->scratch) == s);        /* decoded once, then remembered */
        {
            /* compare with the harness's own decoding (the key in scratch is no longer needed) */
            char *dv = fe->scratch;
            FUZZ_CHECK(bce_json_string(obj, vt, dv, fe->scratch_cap, &vl) == BCE_OK);
            FUZZ_CHECK(strlen(s) == strlen(dv) && memcmp(s, dv, strlen(dv)) == 0);
        }
    }
}

/* The calls a handler must be refused (BCE_ERR_STATE) or that must refuse to free. */
static void fuzz_check_reentry(const bce_event_t *ev, fuzz_events_t *fe) {
    bce_coin_t *inst = bce_event_instance(ev);
    char out[8];
    size_t ol = 0;
    FUZZ_CHECK(bce_process_updates(inst, "[]", 2) == BCE_ERR_STATE);
    FUZZ_CHECK(bce_rpc(inst, "get_updates", NULL, out, sizeof out, &ol) == BCE_ERR_STATE);
    FUZZ_CHECK(bce_coin_step(inst, 0) == BCE_ERR_STATE);
    FUZZ_CHECK(bce_coin_start_polling(inst, 1000) != BCE_OK);
    FUZZ_CHECK(bce_coin_begin_websocket(inst, NULL) == BCE_ERR_STATE);
    bce_coin_destroy(inst);                                      /* refused: logged, not freed */
    if (fe->manager) {
        FUZZ_CHECK(bce_manager_process_updates(fe->manager, "BTC", NULL, "[]", 2) == BCE_ERR_STATE);
        FUZZ_CHECK(bce_manager_step(fe->manager, 0) == BCE_ERR_STATE);
        bce_manager_destroy(fe->manager);                        /* refused as well */
    }
    (void)bce_coin_fds(inst, NULL, 0);
    (void)bce_coin_timeout_ms(inst);
}

static FUZZ_UNUSED void fuzz_on_event(const bce_event_t *ev, void *user_data) {
    fuzz_events_t *fe = (fuzz_events_t *)user_data;
    fuzz_check_accessors(ev, fe);
    if (fe->reenter) fuzz_check_reentry(ev, fe);
}

/* ---- a transport that never touches a socket ---- */

/* A descriptor that poll(2) always reports readable and writable: bce_coin_step and
   bce_manager_step only run a connection's I/O when its descriptor is ready. Each open gets a
   dup of /dev/null, which the library closes like a socket. */
static int fuzz_devnull = -1;

#include <fcntl.h>
#include <unistd.h>
static FUZZ_UNUSED int fuzz_ready_fd(void) {
    if (fuzz_devnull < 0) fuzz_devnull = open("/dev/null", O_RDWR);
    return fuzz_devnull < 0 ? -1 : dup(fuzz_devnull);
}

/* Replaces every "{ACCEPT}" in src[0..n) with accept; returns the new length. out has room for
   n * 4 + 64 bytes (the 28-byte value replaces an 8-byte marker). */
#define FUZZ_ACCEPT_MARKER "{ACCEPT}"
static FUZZ_UNUSED size_t fuzz_expand_accept(const char *src, size_t n, const char *accept, char *out) {
    size_t i = 0, o = 0, al = strlen(accept), ml = sizeof FUZZ_ACCEPT_MARKER - 1;
    while (i < n) {
        if (n - i >= ml && memcmp(src + i, FUZZ_ACCEPT_MARKER, ml) == 0) {
            memcpy(out + o, accept, al);
            o += al;
            i += ml;
        } else {
            out[o++] = src[i++];
        }
    }
    return o;
}

/* A client frame the library sent: fin, a control or text opcode, masked, sane length.
   Returns the frame's total length, 0 when incomplete. */
static FUZZ_UNUSED size_t fuzz_check_client_frame(const unsigned char *b, size_t n, int *opcode) {
    size_t h = 2, len;
    if (n < 2) return 0;
    FUZZ_CHECK((b[0] & 0x80) != 0);                          /* the library never fragments */
    FUZZ_CHECK((b[0] & 0x70) == 0);
    *opcode = b[0] & 0x0F;
    FUZZ_CHECK(*opcode == 1 || *opcode == 8 || *opcode == 9 || *opcode == 10);
    FUZZ_CHECK((b[1] & 0x80) != 0);                          /* clients always mask */
    len = b[1] & 0x7F;
    if (len == 126) {
        if (n < 4) return 0;
        len = ((size_t)b[2] << 8) | b[3];
        FUZZ_CHECK(len >= 126);
        h = 4;
    } else if (len == 127) {
        size_t i;
        if (n < 10) return 0;
        for (len = 0, i = 2; i < 10; i++) len = (len << 8) | b[i];
        FUZZ_CHECK(len > 0xFFFF && len < ((size_t)1 << 31));
        h = 10;
    }
    if (*opcode >= 8) FUZZ_CHECK(len <= 125);
    if (n < h + 4 + len) return 0;
    return h + 4 + len;
}

#endif /* BCE_FUZZ_COMMON_H */
