/* tests/tally.h: counting the seq-numbered updates a network test injects ({"seq":N}), shared
   by the tests that stream them. Include after the implementation of bitcart_events.h. */
#ifndef BCE_TEST_TALLY_H
#define BCE_TEST_TALLY_H

#ifndef TALLY_MAX
#define TALLY_MAX 4000          /* the largest seq + 1 a test sends */
#endif

typedef struct tally_t {
    unsigned char seen[TALLY_MAX];  /* deliveries of each seq */
    int total, dups, bad;           /* deliveries; repeated ones; without a usable seq */
    int connects, disconnects, last_code;
    int stop_at;                    /* > 0: bce_stop the coin at this many deliveries */
    char last_reason[128], wallet[64], currency[8];
    bce_coin_t *instance;           /* of the last delivery */
} tally_t;

static inline void on_seq(const bce_event_t *ev, void *ud) {
    tally_t *t = (tally_t *)ud;
    long long seq = -1;
    if (!bce_event_int(ev, "seq", &seq) || seq < 0 || seq >= TALLY_MAX) { t->bad++; return; }
    if (t->seen[seq]) t->dups++;
    t->seen[seq]++;
    t->total++;
    t->instance = bce_event_instance(ev);
    snprintf(t->wallet, sizeof t->wallet, "%s", bce_event_wallet(ev) ? bce_event_wallet(ev) : "");
    snprintf(t->currency, sizeof t->currency, "%s", bce_event_currency(ev));
    if (t->stop_at && t->total == t->stop_at) bce_stop(t->instance);
}

static inline void on_conn(bce_coin_t *c, const char *cur, void *ud) {
    (void)c;
    (void)cur;
    ((tally_t *)ud)->connects++;
}

static inline void on_disc(bce_coin_t *c, int code, const char *reason, void *ud) {
    tally_t *t = (tally_t *)ud;
    (void)c;
    t->disconnects++;
    t->last_code = code;
    snprintf(t->last_reason, sizeof t->last_reason, "%s", reason);
}

/* How many of seq 0..upto-1 did not arrive exactly once. */
static inline int gaps(const tally_t *t, int upto) {
    int i, g = 0;
    for (i = 0; i < upto; i++) g += t->seen[i] != 1;
    return g;
}

/* Calls step(obj, 20) until cond holds or max_ms passes. */
#define STEP_UNTIL(step, obj, cond, max_ms) do { long long t0_ = _bce_now_ms(); \
    while (!(cond) && _bce_now_ms() - t0_ < (max_ms)) step(obj, 20); } while (0)

#endif
