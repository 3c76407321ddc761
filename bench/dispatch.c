/* bench/dispatch.c - throughput of bce_process_updates on one large get_updates-style array,
   beside jsmn (tokenize only) and cJSON (parse + delete) on the same bytes, in the same run.

   Build:  cc -std=c99 -O2 -I. bench/dispatch.c -o build/bench_dispatch -lcjson
   Run:    build/bench_dispatch [updates (default 1000000)] [repetitions (default 5)]
                                    [only | only100 | only1 | dump DIR]
           ("only": just the dispatch, e.g. under valgrind --tool=callgrind, where the
           instructions per update are Ir / (updates * (repetitions + 1)); "only100": the
           same on documents of 100 updates, without generating the one large document, so
           its documents are not byte for byte those of a full run; "only1": the same on
           one-update documents (the websocket's usual message); "dump DIR": first writes
           the generated input, DIR/one.json, DIR/batches.json (documents of 100, one a
           line) and DIR/ones.json (one-update documents, one a line), for
           bench/simdjson_ref.cpp, then runs the full benchmark on that input)

   The full run measures the one document, the documents of 100 and the one-update documents;
   its ROWDATA lines (MB/s, best) are what bench/run.sh compares with simdjson (issue 17's
   goal rows). The ROW lines say met / NOT met against the goals: informational,
   not a test; the exit status is non-zero only for an error, never for a missed goal (timings
   are noisy on shared machines). jsmn and cJSON are bench-only
   dependencies (Debian libjsmn-dev, libcjson-dev); the library never uses them. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* clock_gettime under -std=c99 */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"

/* Debian's jsmn.h is the single-header jsmn 1.1.0: without JSMN_HEADER it carries the
   implementation; JSMN_STATIC keeps its two functions private to this file. */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include <cjson/cJSON.h>

#define DEFAULT_UPDATES 1000000ul
#define DEFAULT_REPS 5
#define MAX_UPDATES 10000000ul
#define MAX_UPDATE_BYTES 512        /* generous bound on one generated update, separator included */

/* ---- clock, statistics ----------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct timing_t {
    double best, median;
} timing_t;

static timing_t summarize(double *t, int n) {
    timing_t r;
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    r.best = t[0];
    r.median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    return r;
}

/* ---- deterministic input ---------------------------------------------------------------- */

static uint64_t rng_state = 0x5EEDB17CA27ull;

static uint64_t rng_next(void) {             /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static unsigned rng_below(unsigned n) { return (unsigned)((rng_next() >> 32) % n); }

typedef struct out_t {
    char *buf;
    size_t len, cap;
} out_t;

static void put(out_t *o, const char *s) {
    size_t n = strlen(s);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_hex(out_t *o, int digits) {
    static const char hex[] = "0123456789abcdef";
    uint64_t r = 0;
    int i;
    for (i = 0; i < digits; i++) {
        if (i % 16 == 0) r = rng_next();
        o->buf[o->len++] = hex[r & 15];
        r >>= 4;
    }
}

static void put_uint(out_t *o, unsigned long long v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) o->buf[o->len++] = tmp[--n];
}

static const char *const status_names[10] = {
    "Unpaid", "Expired", "Unknown", "Paid", "In progress", "Failed", "Computing route...",
    "Unconfirmed", "Broadcasting", "Broadcast successfully"
};

enum { EV_TX, EV_PAYMENT, EV_BLOCK, EV_VERIFIED, EV_KINDS };

typedef struct input_t {
    char *json;
    size_t len;
    size_t tokens;                  /* JSON values in the text (jsmn's token count) */
    unsigned long per_kind[EV_KINDS];
} input_t;

/* A JSON array of n updates, compact as in protocol.md: ~40% new_transaction, 30% new_payment
   (1-3 tx_hashes), 15% new_block, 15% verified_tx. */
static int make_input(input_t *in, unsigned long n) {
    out_t o;
    unsigned long i;
    unsigned long long height = 2500000;
    memset(in, 0, sizeof *in);
    o.cap = (size_t)n * MAX_UPDATE_BYTES + 16;
    o.buf = (char *)malloc(o.cap);
    o.len = 0;
    if (!o.buf) return -1;
    put(&o, "[");
    in->tokens = 1;
    for (i = 0; i < n; i++) {
        unsigned pick = rng_below(100);
        if (i) put(&o, ",");
        if (pick < 40) {
            put(&o, "{\"event\":\"new_transaction\",\"tx\":\"");
            put_hex(&o, 64);
            put(&o, "\"}");
            in->tokens += 5;
            in->per_kind[EV_TX]++;
        } else if (pick < 70) {
            /* mostly the statuses a merchant sees: unconfirmed, paid, in progress */
            static const unsigned char common[8] = {7, 7, 7, 3, 3, 4, 0, 9};
            unsigned status = rng_below(4) ? common[rng_below(8)] : rng_below(10);
            unsigned hashes = 1 + (rng_below(10) >= 6) + (rng_below(10) >= 8), h;
            put(&o, "{\"event\":\"new_payment\",\"address\":\"");
            put_hex(&o, 10);
            put(&o, "\",\"status\":");
            put_uint(&o, status);
            put(&o, ",\"status_str\":\"");
            put(&o, status_names[status]);
            put(&o, "\",\"tx_hashes\":[");
            for (h = 0; h < hashes; h++) {
                put(&o, h ? ",\"" : "\"");
                put_hex(&o, 64);
                put(&o, "\"");
            }
            put(&o, "],\"sent_amount\":\"");
            put_uint(&o, rng_below(3) ? 0 : rng_below(50));   /* whole coins */
            put(&o, ".");
            {   /* eight decimals, leading zeros kept */
                unsigned frac = rng_below(100000000u), d, div = 10000000u;
                for (d = 0; d < 8; d++, div /= 10) o.buf[o.len++] = (char)('0' + frac / div % 10);
            }
            put(&o, "\"}");
            in->tokens += 1 + 2 * 6 + hashes;
            in->per_kind[EV_PAYMENT]++;
        } else if (pick < 85) {
            put(&o, "{\"event\":\"new_block\",\"height\":");
            put_uint(&o, height++);
            put(&o, "}");
            in->tokens += 5;
            in->per_kind[EV_BLOCK]++;
        } else {
            put(&o, "{\"event\":\"verified_tx\",\"tx\":\"");
            put_hex(&o, 64);
            put(&o, "\",\"height\":");
            put_uint(&o, 2400000 + rng_below(100000));
            put(&o, "}");
            in->tokens += 7;
            in->per_kind[EV_VERIFIED]++;
        }
    }
    put(&o, "]");
    o.buf[o.len] = 0;              /* cJSON and friends like a terminator; not counted in len */
    in->json = o.buf;
    in->len = o.len;
    return 0;
}

/* The same updates as get_updates hands them over: documents of `per` updates (the daemon
   keeps at most 100 per wallet), back to back in one buffer. */
typedef struct batches_t {
    char *buf;
    size_t *off, *len, total;
    unsigned long count, per, tokens_max;
    unsigned long per_kind[EV_KINDS];
} batches_t;

static int make_batches(batches_t *b, unsigned long n, unsigned long per) {
    unsigned long j;
    size_t o = 0;
    memset(b, 0, sizeof *b);
    b->per = per;
    b->count = (n + per - 1) / per;
    b->buf = (char *)malloc((size_t)n * MAX_UPDATE_BYTES + 16 * b->count);
    b->off = (size_t *)malloc(sizeof(size_t) * b->count);
    b->len = (size_t *)malloc(sizeof(size_t) * b->count);
    if (!b->buf || !b->off || !b->len) return -1;
    for (j = 0; j < b->count; j++) {
        input_t one;
        unsigned long k = j + 1 < b->count ? per : n - per * j, e;
        if (make_input(&one, k) != 0) return -1;
        for (e = 0; e < EV_KINDS; e++) b->per_kind[e] += one.per_kind[e];
        memcpy(b->buf + o, one.json, one.len);
        b->off[j] = o;
        b->len[j] = one.len;
        o += one.len;
        if (one.tokens > b->tokens_max) b->tokens_max = one.tokens;
        free(one.json);
    }
    b->total = o;
    return 0;
}

static void free_batches(batches_t *b) {
    free(b->buf);
    free(b->off);
    free(b->len);
}

static int dump_docs(const char *path, const batches_t *b) {
    unsigned long j;
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    for (j = 0; j < b->count; j++)
        if (fwrite(b->buf + b->off[j], 1, b->len[j], f) != b->len[j] || fputc('\n', f) == EOF) { fclose(f); return -1; }
    return fclose(f) != 0 ? -1 : 0;
}

/* "dump DIR": the input for bench/simdjson_ref.cpp, DIR/one.json, DIR/batches.json (the
   documents of 100, one a line) and DIR/ones.json (the one-update documents, one a line).
   0, or -1 (reported). */
static int dump_input(const char *dir, const input_t *in, const batches_t *b, const batches_t *b1) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/one.json", dir);
    if (!(f = fopen(path, "wb"))) goto fail;
    if (fwrite(in->json, 1, in->len, f) != in->len) { fclose(f); goto fail; }
    if (fclose(f) != 0) goto fail;
    snprintf(path, sizeof path, "%s/batches.json", dir);
    if (dump_docs(path, b) != 0) goto fail;
    snprintf(path, sizeof path, "%s/ones.json", dir);
    if (dump_docs(path, b1) != 0) goto fail;
    printf("wrote %s/one.json (%zu bytes), %s/batches.json (%lu documents) and %s/ones.json (%lu)\n", dir, in->len,
           dir, b->count, dir, b1->count);
    return 0;
fail:
    perror(path);
    return -1;
}

/* ---- the library side --------------------------------------------------------------------- */

typedef struct alloc_stats_t {
    unsigned long allocs, frees;
    unsigned long long bytes;
} alloc_stats_t;

static void *count_alloc(size_t size, void *user_data) {
    alloc_stats_t *s = (alloc_stats_t *)user_data;
    s->allocs++;
    s->bytes += size;
    return malloc(size);
}

static void count_free(void *ptr, void *user_data) {
    alloc_stats_t *s = (alloc_stats_t *)user_data;
    s->frees++;
    free(ptr);
}

static unsigned long log_lines;

static void count_log(int level, const char *message, void *user_data) {
    (void)user_data;
    if (log_lines++ < 5) fprintf(stderr, "bce log %d: %s\n", level, message);
}

typedef struct handler_state_t {
    unsigned long long calls;
    unsigned long long checksum;
    unsigned long long missing;     /* a string expected and absent (should stay 0) */
} handler_state_t;

/* Reads one string and one integer argument per update, as a real handler would.
   new_transaction has no integer argument: "height" is looked up and found absent. */
static void on_update(const bce_event_t *ev, void *user_data) {
    handler_state_t *st = (handler_state_t *)user_data;
    const char *name = bce_event_name(ev);
    const char *s;
    long long v = 0;
    st->calls++;
    if (name[0] == 'v') {                                   /* verified_tx */
        s = bce_event_str(ev, "tx");
        bce_event_int(ev, "height", &v);
    } else if (name[4] == 'p') {                            /* new_payment */
        s = bce_event_str(ev, "address");
        bce_event_int(ev, "status", &v);
    } else if (name[4] == 'b') {                            /* new_block */
        s = name;
        bce_event_int(ev, "height", &v);
    } else {                                                /* new_transaction */
        s = bce_event_str(ev, "tx");
        bce_event_int(ev, "height", &v);
    }
    if (!s) {
        st->missing++;
        return;
    }
    st->checksum = st->checksum * 31 + (unsigned char)s[0] + (unsigned char)s[1] + (unsigned long long)v;
}

/* A handler that only counts: what dispatch costs before the handler reads anything. */
static void count_only(const bce_event_t *ev, void *user_data) {
    (void)ev;
    (*(unsigned long long *)user_data)++;
}

/* ---- documents of 100, timed one document per call ---------------------------------------- */

typedef int (*doc_fn)(void *ctx, const char *json, size_t len);     /* < 0: failed */

/* called through a pointer the compiler cannot see through, so that bce_process_updates stays
   a call of its own (valgrind --toggle-collect=bce_process_updates, see bench/README.md) */
static int (*volatile process_updates)(bce_coin_t *, const char *, size_t) = bce_process_updates;

static int dispatch_doc(void *ctx, const char *json, size_t len) {
    return process_updates((bce_coin_t *)ctx, json, len);
}

static int parse_doc(void *ctx, const char *json, size_t len) {
    return bce_json_parse((bce_json_t *)ctx, json, len);
}

typedef struct jsmn_ctx_t {
    jsmntok_t *toks;
    unsigned cap;
} jsmn_ctx_t;

static int jsmn_doc(void *ctx, const char *json, size_t len) {
    jsmn_ctx_t *c = (jsmn_ctx_t *)ctx;
    jsmn_parser p;
    jsmn_init(&p);
    return jsmn_parse(&p, json, len, c->toks, c->cap);
}

/* One pass of fn over every document: the sum of what it returned, or -1 (reported). */
static long long run_docs(const batches_t *b, doc_fn fn, void *ctx, const char *what) {
    long long sum = 0;
    unsigned long j;
    for (j = 0; j < b->count; j++) {
        int r = fn(ctx, b->buf + b->off[j], b->len[j]);
        if (r < 0) {
            fprintf(stderr, "%s, document %lu: %d\n", what, j, r);
            return -1;
        }
        sum += r;
    }
    return sum;
}

/* An untimed pass, then reps timed ones into t; the sum of the last pass, or -1. */
static long long time_docs(const batches_t *b, int reps, double *t, doc_fn fn, void *ctx, const char *what,
                           timing_t *out) {
    long long sum = 0;
    int i;
    for (i = -1; i < reps; i++) {
        double a = now_s();
        if ((sum = run_docs(b, fn, ctx, what)) < 0) return -1;
        if (i >= 0) t[i] = now_s() - a;
    }
    *out = summarize(t, reps);
    return sum;
}

/* ---- output ------------------------------------------------------------------------------ */

static void row(const char *what, timing_t t, double mb, double updates) {
    printf("%-34s %10.3f %10.3f %9.2f %9.1f %9.1f\n", what, t.best * 1e3, t.median * 1e3,
           updates / t.best * 1e-6, mb / t.best, mb / t.median);
}

int main(int argc, char **argv) {
    unsigned long n = DEFAULT_UPDATES;
    int reps = DEFAULT_REPS, i, r;
    input_t in;
    double *t, mb, t0;
    timing_t lib, val, tok, jsm, cjs, onepass;
    alloc_stats_t as;
    handler_state_t st;
    bce_coin_desc_t desc;
    bce_coin_t *coin;
    unsigned long warm_allocs, warm_frees;
    unsigned long long warm_bytes;
    int only_dispatch = 0;             /* 1: "only", 2: "only100", 3: "only1" */
    const char *dump_dir = NULL;        /* "dump DIR" */
    batches_t b100;                     /* the documents of 100, made once */
    batches_t b1;                       /* the one-update documents, made right after them */
    int have_b100 = 0, have_b1 = 0, usage = 0;
    unsigned long steady_allocs, batch_allocs = 0;

    if (argc > 1) {
        char *e;
        n = strtoul(argv[1], &e, 10);
        if (*e || n < 1 || n > MAX_UPDATES) usage = 1;
    }
    if (argc > 2) {
        char *e;
        long v = strtol(argv[2], &e, 10);
        if (*e || v < 1 || v > 1000) usage = 1;
        reps = (int)v;
    }
    if (argc == 4 && strcmp(argv[3], "only") == 0) only_dispatch = 1;
    else if (argc == 4 && strcmp(argv[3], "only100") == 0) only_dispatch = 2;
    else if (argc == 4 && strcmp(argv[3], "only1") == 0) only_dispatch = 3;
    else if (argc == 5 && strcmp(argv[3], "dump") == 0) dump_dir = argv[4];
    else if (argc > 3) usage = 1;
    if (usage) {
        fprintf(stderr, "usage: %s [updates 1..%lu] [repetitions 1..1000] [only | only100 | only1 | dump DIR]\n",
                argv[0], MAX_UPDATES);
        return 2;
    }

    t0 = now_s();
    memset(&in, 0, sizeof in);
    if (only_dispatch < 2) {            /* only100 and only1 need their documents alone */
        if (make_input(&in, n) != 0) {
            fprintf(stderr, "out of memory generating the input\n");
            return 1;
        }
        if (in.len > (size_t)INT_MAX) {     /* jsmn offsets are int */
            fprintf(stderr, "input too large for jsmn (%zu bytes); use fewer updates\n", in.len);
            return 1;
        }
    }
    mb = (double)in.len / 1e6;
    /* right after the one document, as the full run makes them (the same generator state) */
    if (only_dispatch >= 2 || dump_dir) {
        if (make_batches(&b100, n, only_dispatch == 3 ? 1 : 100) != 0) {
            fprintf(stderr, "out of memory generating the documents of %d\n", only_dispatch == 3 ? 1 : 100);
            return 1;
        }
        have_b100 = 1;
    }
    if (dump_dir) {
        if (make_batches(&b1, n, 1) != 0) {
            fprintf(stderr, "out of memory generating the one-update documents\n");
            return 1;
        }
        have_b1 = 1;
    }
    t = (double *)malloc(sizeof(double) * (size_t)reps);
    if (!t) return 1;

    printf("bitcart_events.h %s dispatch benchmark\n", BCE_VERSION_STRING);
    if (only_dispatch >= 2) {
        printf("input: %lu updates (%lu new_transaction, %lu new_payment, %lu new_block, %lu verified_tx)\n",
               n, b100.per_kind[EV_TX], b100.per_kind[EV_PAYMENT], b100.per_kind[EV_BLOCK], b100.per_kind[EV_VERIFIED]);
        printf("       in %lu documents of %lu: %.2f MB (%zu bytes, %.1f bytes/update); generated in %.2f s\n",
               b100.count, b100.per, (double)b100.total / 1e6, b100.total, (double)b100.total / (double)n, now_s() - t0);
    } else {
        printf("input: %lu updates (%lu new_transaction, %lu new_payment, %lu new_block, %lu verified_tx)\n",
               n, in.per_kind[EV_TX], in.per_kind[EV_PAYMENT], in.per_kind[EV_BLOCK], in.per_kind[EV_VERIFIED]);
        printf("       %.2f MB (%zu bytes, %.1f bytes/update), %zu JSON values; generated in %.2f s\n",
               mb, in.len, (double)in.len / (double)n, in.tokens, now_s() - t0);
    }
    /* a failed dump leaves bench/run.sh without this line, and the benchmark goes on */
    if (dump_dir && dump_input(dump_dir, &in, &b100, &b1) != 0)
        fprintf(stderr, "dump to %s failed; the benchmark goes on\n", dump_dir);
    printf("repetitions: %d (best and median reported; MB = 10^6 bytes)\n", reps);
    printf("note: timings are noisy on shared or busy machines; compare runs on the same host\n\n");

    /* -- library: bce_process_updates into one handler ------------------------------------ */
    memset(&as, 0, sizeof as);
    memset(&st, 0, sizeof st);
    memset(&desc, 0, sizeof desc);
    desc.currency = "BTC";
    desc.allocator.alloc = count_alloc;
    desc.allocator.free = count_free;
    desc.allocator.user_data = &as;
    desc.logger.fn = count_log;
    coin = bce_coin_create(&desc);
    if (!coin) {
        fprintf(stderr, "bce_coin_create failed\n");
        return 1;
    }
    r = bce_on(coin, "new_block,new_transaction,new_payment,verified_tx", on_update, &st);
    if (r != BCE_OK) {
        fprintf(stderr, "bce_on: %s\n", bce_result_str(r));
        return 1;
    }
    printf("allocations at create + bce_on: %lu (%llu bytes)\n", as.allocs, as.bytes);
    warm_allocs = as.allocs;
    warm_bytes = as.bytes;
    if (only_dispatch >= 2) {   /* for callgrind: documents of 100 (or of 1) only */
        timing_t lb;
        if (time_docs(&b100, reps, t, dispatch_doc, coin, "bce_process_updates", &lb) < 0) return 1;
        printf("only the dispatch of %lu documents of %lu was run (%d + 1 warm-up passes)\n", b100.count, b100.per,
               reps);
        row("bce_process_updates per document", lb, (double)b100.total / 1e6, (double)n);
        bce_coin_destroy(coin);
        free_batches(&b100);
        free(t);
        return 0;
    }
    r = bce_process_updates(coin, in.json, in.len);                   /* warm-up: buffers grow */
    if (r < 0 || (unsigned long)r != n) {
        fprintf(stderr, "warm-up: bce_process_updates returned %d (%s), expected %lu\n", r,
                r < 0 ? bce_result_str(r) : "handler calls", n);
        return 1;
    }
    printf("allocations during warm-up dispatch: %lu (%llu bytes)\n", as.allocs - warm_allocs,
           as.bytes - warm_bytes);
    /* one pass from a zero checksum: bench/simdjson_ref.cpp prints the same for the same work */
    printf("handler checksum of one pass: %016llx\n", st.checksum);
    warm_allocs = as.allocs;
    warm_frees = as.frees;
    warm_bytes = as.bytes;
    st.calls = 0;
    for (i = 0; i < reps; i++) {
        double a = now_s();
        r = bce_process_updates(coin, in.json, in.len);
        t[i] = now_s() - a;
        if (r < 0 || (unsigned long)r != n) {
            fprintf(stderr, "bce_process_updates returned %d, expected %lu\n", r, n);
            return 1;
        }
    }
    lib = summarize(t, reps);
    steady_allocs = as.allocs - warm_allocs;
    printf("allocations during warm dispatch: %lu (%llu bytes, %lu frees) over %d runs\n",
           as.allocs - warm_allocs, as.bytes - warm_bytes, as.frees - warm_frees, reps);
    if (only_dispatch) {        /* for callgrind: instructions / (updates * (reps + 1)) */
        printf("only the dispatch was run (%d + 1 warm-up calls of %lu updates)\n", reps, n);
        row("bce_process_updates (dispatch)", lib, mb, (double)n);
        bce_coin_destroy(coin);
        return 0;
    }
    printf("handler calls per run: %llu (expected %lu), strings missing: %llu, log lines: %lu, checksum %016llx\n\n",
           st.calls / (unsigned long long)reps, n, st.missing, log_lines, st.checksum);

    /* -- the same document with max_json_tokens raised to hold all its tokens: one pass (what a
       DOM parser does: memory for the whole document), where the default validates it first
       and then tokenizes one update at a time ------------------------------------------------ */
    {
        bce_coin_desc_t big = desc;
        bce_coin_t *c2;
        big.limits.max_json_tokens = (uint32_t)(in.len / 16 + in.tokens + 16);
        c2 = bce_coin_create(&big);
        if (!c2 || bce_on(c2, "new_block,new_transaction,new_payment,verified_tx", on_update, &st) != BCE_OK) return 1;
        for (i = -1; i < reps; i++) {               /* i == -1: untimed, grows the tokens */
            double a = now_s();
            r = bce_process_updates(c2, in.json, in.len);
            if (i >= 0) t[i] = now_s() - a;
            if (r < 0 || (unsigned long)r != n) {
                fprintf(stderr, "one pass: bce_process_updates returned %d, expected %lu\n", r, n);
                return 1;
            }
        }
        onepass = summarize(t, reps);
        bce_coin_destroy(c2);
    }

    /* -- library pieces: validate only, and the tokenizer over the whole document --------- */
    for (i = 0; i < reps; i++) {
        double a = now_s();
        r = bce_json_validate(in.json, in.len, 0, NULL);
        t[i] = now_s() - a;
        if (r != BCE_OK) {
            fprintf(stderr, "bce_json_validate: %s\n", bce_result_str(r));
            return 1;
        }
    }
    val = summarize(t, reps);
    {
        bce_json_t p;
        bce_json_desc_t jd;
        memset(&jd, 0, sizeof jd);
        jd.max_tokens = (uint32_t)in.tokens;
        if (bce_json_init(&p, &jd) != BCE_OK) return 1;
        for (i = -1; i < reps; i++) {               /* i == -1: untimed, grows the tokens */
            double a = now_s();
            r = bce_json_parse(&p, in.json, in.len);
            if (i >= 0) t[i] = now_s() - a;
            if (r < 0 || (size_t)r != in.tokens) {
                fprintf(stderr, "bce_json_parse returned %d (%s), expected %zu tokens\n", r,
                        r < 0 ? bce_result_str(r) : "tokens", in.tokens);
                return 1;
            }
        }
        bce_json_release(&p);
    }
    tok = summarize(t, reps);

    /* -- jsmn: tokenize only, parent links, token array allocated once --------------------- */
    {
        jsmn_parser jp;
        jsmntok_t *toks;
        unsigned ntok;
        jsmn_init(&jp);
        r = jsmn_parse(&jp, in.json, in.len, NULL, 0);                 /* count only */
        if (r < 0 || (size_t)r != in.tokens) {
            fprintf(stderr, "jsmn count returned %d, expected %zu\n", r, in.tokens);
            return 1;
        }
        ntok = (unsigned)r;
        toks = (jsmntok_t *)malloc(sizeof(jsmntok_t) * ntok);
        if (!toks) return 1;
        for (i = -1; i < reps; i++) {               /* i == -1: untimed, faults the pages in */
            double a = now_s();
            jsmn_init(&jp);
            r = jsmn_parse(&jp, in.json, in.len, toks, ntok);
            if (i >= 0) t[i] = now_s() - a;
            if (r < 0 || (unsigned)r != ntok || toks[0].size != (int)n) {
                fprintf(stderr, "jsmn_parse returned %d, expected %u tokens\n", r, ntok);
                return 1;
            }
        }
        free(toks);
    }
    jsm = summarize(t, reps);

    /* -- cJSON: parse + delete ----------------------------------------------------------- */
    for (i = 0; i < reps; i++) {
        double a = now_s(), b, c;
        cJSON *root = cJSON_ParseWithLength(in.json, in.len);
        b = now_s();
        if (!root || !cJSON_IsArray(root)) {
            fprintf(stderr, "cJSON_ParseWithLength failed\n");
            return 1;
        }
        if (i == 0 && (unsigned long)cJSON_GetArraySize(root) != n) {   /* outside the timing */
            fprintf(stderr, "cJSON: %d items, expected %lu\n", cJSON_GetArraySize(root), n);
            return 1;
        }
        c = now_s();
        cJSON_Delete(root);
        t[i] = (b - a) + (now_s() - c);
    }
    cjs = summarize(t, reps);

    printf("%-34s %10s %10s %9s %9s %9s\n", "", "best ms", "median ms", "Mupd/s", "MB/s", "MB/s med");
    row("bce_process_updates (dispatch)", lib, mb, (double)n);
    row("  one pass (max_json_tokens raised)", onepass, mb, (double)n);
    row("  bce_json_validate (part of it)", val, mb, (double)n);
    row("bce_json_parse (whole doc tokens)", tok, mb, (double)n);
    row("jsmn_parse (tokenize, parent)", jsm, mb, (double)n);
    row("cJSON parse + delete", cjs, mb, (double)n);
    printf("\n");
    printf("dispatch vs jsmn tokenize-only throughput: %.2fx best, %.2fx median (goal: >= 2x)\n",
           jsm.best / lib.best, jsm.median / lib.median);
    printf("dispatch vs cJSON parse+delete throughput: %.2fx best, %.2fx median\n",
           cjs.best / lib.best, cjs.median / lib.median);

    /* -- the same number of updates in get_updates-sized documents of 100 ------------------ */
    {
        timing_t lb, jb, pb, eb;
        double mbb;
        jsmn_ctx_t jc;
        bce_json_t jp2;
        bce_json_desc_t jd2;
        bce_coin_t *bare;
        unsigned long long bare_calls = 0;
        if (!have_b100 && make_batches(&b100, n, 100) != 0) return 1;
        mbb = (double)b100.total / 1e6;
        st.checksum = 0;                            /* one pass from a zero checksum first */
        if (run_docs(&b100, dispatch_doc, coin, "bce_process_updates") != (long long)n) return 1;
        printf("documents of 100: handler checksum of one pass: %016llx\n", st.checksum);
        batch_allocs = as.allocs;
        if (time_docs(&b100, reps, t, dispatch_doc, coin, "bce_process_updates", &lb) != (long long)n) {
            fprintf(stderr, "documents of 100: not %lu handler calls a pass\n", n);
            return 1;
        }
        batch_allocs = as.allocs - batch_allocs;
        jc.cap = (unsigned)b100.tokens_max;
        jc.toks = (jsmntok_t *)malloc(sizeof(jsmntok_t) * b100.tokens_max);
        if (!jc.toks || time_docs(&b100, reps, t, jsmn_doc, &jc, "jsmn", &jb) < 0) return 1;
        free(jc.toks);
        /* the breakdown: the validating tokenizer alone, and dispatch into a handler that reads
           nothing (the bench handler's argument work is the difference) */
        memset(&jd2, 0, sizeof jd2);
        jd2.max_tokens = (uint32_t)b100.tokens_max;
        if (bce_json_init(&jp2, &jd2) != BCE_OK || time_docs(&b100, reps, t, parse_doc, &jp2, "bce_json_parse", &pb) < 0)
            return 1;
        bce_json_release(&jp2);
        bare = bce_coin_create(&desc);
        if (!bare || bce_on(bare, "new_block,new_transaction,new_payment,verified_tx", count_only, &bare_calls) != BCE_OK
            || time_docs(&b100, reps, t, dispatch_doc, bare, "empty handler", &eb) != (long long)n)
            return 1;
        bce_coin_destroy(bare);
        printf("\nthe same count of updates as %lu documents of %lu (%.2f MB in all), as get_updates returns them:\n",
               b100.count, b100.per, mbb);
        printf("%-34s %10s %10s %9s %9s %9s\n", "", "best ms", "median ms", "Mupd/s", "MB/s", "MB/s med");
        row("bce_process_updates per document", lb, mbb, (double)n);
        row("jsmn_parse per document", jb, mbb, (double)n);
        row("  bce_json_parse per document", pb, mbb, (double)n);
        row("  dispatch, handler reads nothing", eb, mbb, (double)n);
        printf("dispatch vs jsmn tokenize-only throughput: %.2fx best, %.2fx median (goal: >= 2x)\n",
               jb.best / lb.best, jb.median / lb.median);
        printf("ROW\tbce_process_updates, %lu updates in documents of %lu\tjsmn %.0f MB/s (tokenize only, same documents)\t"
               "none: issue 7's >= 2x jsmn, restated against simdjson (issue 17 rows)\t%.0f MB/s = %.2fx jsmn (best of %d)\treference\n",
               n, b100.per, mbb / jb.best, mbb / lb.best, jb.best / lb.best, reps);
        free_batches(&b100);
        printf("ROWDATA\tbce, documents of 100\t%.1f\nROWDATA\tjsmn, documents of 100\t%.1f\n", mbb / lb.best,
               mbb / jb.best);
    }
    /* -- the same number of updates as one-update documents (the websocket's usual message) -- */
    {
        timing_t lb, jb;
        double mb1;
        jsmn_ctx_t jc;
        if (!have_b1 && make_batches(&b1, n, 1) != 0) return 1;
        mb1 = (double)b1.total / 1e6;
        st.checksum = 0;
        if (run_docs(&b1, dispatch_doc, coin, "bce_process_updates") != (long long)n) return 1;
        printf("\none-update documents: handler checksum of one pass: %016llx\n", st.checksum);
        if (time_docs(&b1, reps, t, dispatch_doc, coin, "bce_process_updates", &lb) != (long long)n) {
            fprintf(stderr, "one-update documents: not %lu handler calls a pass\n", n);
            return 1;
        }
        jc.cap = (unsigned)b1.tokens_max;
        jc.toks = (jsmntok_t *)malloc(sizeof(jsmntok_t) * b1.tokens_max);
        if (!jc.toks || time_docs(&b1, reps, t, jsmn_doc, &jc, "jsmn", &jb) < 0) return 1;
        free(jc.toks);
        printf("the same updates as %lu one-update documents (%.2f MB in all), as the websocket sends them:\n",
               b1.count, mb1);
        printf("%-34s %10s %10s %9s %9s %9s\n", "", "best ms", "median ms", "Mupd/s", "MB/s", "MB/s med");
        row("bce_process_updates per document", lb, mb1, (double)n);
        row("jsmn_parse per document", jb, mb1, (double)n);
        printf("ROWDATA\tbce, one-update documents\t%.1f\nROWDATA\tjsmn, one-update documents\t%.1f\n", mb1 / lb.best,
               mb1 / jb.best);
        free_batches(&b1);
    }
    printf("ROWDATA\tbce, one document\t%.1f\nROWDATA\tjsmn, one document\t%.1f\nROWDATA\tcJSON, one document\t%.1f\n",
           mb / lib.best, mb / jsm.best, mb / cjs.best);
    printf("ROWDATA\tbce, one document, one pass\t%.1f\n", mb / onepass.best);
    printf("validation share of dispatch (best times): %.0f%%\n", 100.0 * val.best / lib.best);

    /* the summary row of `make bench` (bench/run.sh) */
    printf("ROW\tbce_process_updates, %lu realistic updates\tjsmn %.0f MB/s (tokenize only); cJSON %.0f MB/s\t"
           "none: issue 7's >= 2x jsmn, restated against simdjson (issue 17 rows)\t%.0f MB/s = %.2fx jsmn, %.2fx cJSON (best of %d)\treference\n",
           n, mb / jsm.best, mb / cjs.best, mb / lib.best, jsm.best / lib.best, cjs.best / lib.best, reps);
    printf("ROW\theap allocations per event (manual dispatch, warm)\tPython: several objects per event\t0\t"
           "%lu and %lu calls over %d runs of %lu updates (one document; documents of 100)\t%s\n", steady_allocs,
           batch_allocs, reps, n, steady_allocs == 0 && batch_allocs == 0 ? "met" : "NOT met");
    bce_coin_destroy(coin);
    printf("allocator after destroy: %lu allocs, %lu frees\n", as.allocs, as.frees);
    free(t);
    free(in.json);
    return 0;
}
