/* tests/fuzz/fuzz_updates.c: update dispatch. The same document goes three ways:
   bce_process_updates on a coin of its own, bce_manager_process_updates routed by a currency
   and wallet key, and bce_process_updates on a coin the manager holds (manager handlers take
   precedence). Handlers call every bce_event_* accessor and cross-check them against the
   harness's own parse; the number of handler calls must be exactly what an independent reading
   of the document predicts (validation first, object items only, the first "event" member,
   accepted events of the currency, registered handlers, per-update token limit).

   Input: 5 header bytes, then the JSON document.
     [0] low nibble: the coin's currency (of 10); high nibble: the route currency (of 14,
         including NULL, lower case and unsupported names)
     [1] bits 0-1: the coin's wallet (none, xpub, token, XMR); bits 2-3: the route wallet
         (NULL, held, held token wallet, not held); bit 4: the manager holds a token wallet
     [2] bits 0-3: coin handlers (new_block, new_transaction, new_payment, verified_tx);
         bits 4-7: manager handlers
     [3] bit 0: log every level through a checking logger; bit 1: try the calls a handler is
         refused; bit 2: max_json_tokens = 1 + [4] % 32; bit 3: allocations fail after [4];
         bit 4: max_json_depth = 1 + [4] % 8
     [4] the parameter of [3] */
#include "fuzz_common.h"

static const char *const coin_currencies[10] = {"BTC", "LTC", "ETH", "BCH", "XRG", "BNB", "MATIC", "TRX", "GRS", "XMR"};
static const char *const route_currencies[14] = {"BTC", "LTC", "ETH", "BCH", "XRG", "BNB", "MATIC", "TRX", "GRS",
                                                 "XMR", NULL, "btc", "DOGE", "Matic\x7f"};
static const char *const event_names[4] = {"new_block", "new_transaction", "new_payment", "verified_tx"};

#define HELD_A "xpubHeldA"
#define HELD_B "xpubHeldB"
#define CONTRACT "0xc0ffee"
#define HELD_B_KEY HELD_B "_" CONTRACT

typedef struct ctx_t {
    fuzz_events_t fe;
    bce_coin_t *expect_instance;        /* NULL: a stand-in coin */
    const char *expect_wallet;          /* the route's wallet key (stand-in coins carry it as xpub) */
    int check_instance;
} ctx_t;

static void on_event(const bce_event_t *ev, void *ud) {
    ctx_t *c = (ctx_t *)ud;
    bce_coin_t *inst = bce_event_instance(ev);
    if (c->check_instance) {
        const char *w = bce_event_wallet(ev);
        if (c->expect_instance) FUZZ_CHECK(inst == c->expect_instance);
        else {
            const char *x = bce_coin_xpub(inst);
            FUZZ_CHECK((x == NULL) == (c->expect_wallet == NULL));
            if (x) FUZZ_CHECK(strcmp(x, c->expect_wallet) == 0);
        }
        if (strcmp(bce_event_name(ev), "new_block") != 0) {
            FUZZ_CHECK((w == NULL) == (c->expect_wallet == NULL));
            if (w) FUZZ_CHECK(strcmp(w, c->expect_wallet) == 0);
        }
    }
    fuzz_on_event(ev, &c->fe);
}

static int currency_index(const char *name) {
    int i;
    if (!name) name = "BTC";
    for (i = 0; i < 10; i++)
        if (_bce_strieq(name, coin_currencies[i])) return i;
    return -1;
}

static unsigned accepted(int cur) {
    /* Electrum-family coins have verified_tx too */
    return (cur == 0 || cur == 1 || cur == 3 || cur == 4 || cur == 8) ? 0xFu : 0x7u;
}

/* The handler calls an independent reading predicts; -1 when it cannot tell (a limit of the
   harness's own parse). handlers: bit k set when event k has a handler. */
static long predict(bce_json_t *p, const char *json, size_t len, unsigned acc, unsigned handlers,
                    uint32_t max_tokens) {
    const bce_json_token_t *t;
    uint32_t i, k;
    long calls = 0;
    int r = bce_json_parse(p, json, len);
    if (r <= 0) return -1;
    t = p->tokens;
    if (t[0].type != BCE_JSON_ARRAY) return 0;
    for (i = 0, k = 1; i < t[0].size; i++, k = t[k].next) {
        uint32_t e;
        int ev;
        if (t[k].type != BCE_JSON_OBJECT) continue;
        if (t[k].next - k > max_tokens) continue;                  /* skipped: too many tokens */
        e = bce_json_find(json, t, k, "event");
        if (!e) continue;
        for (ev = 0; ev < 4; ev++)
            if (_bce_json_str_eq(json, &t[e], event_names[ev], strlen(event_names[ev]))) break;
        if (ev == 4 || !(acc & (1u << ev)) || !(handlers & (1u << ev))) continue;
        calls++;
    }
    return calls;
}

static int register_mask(bce_coin_t *coin, bce_manager_t *m, unsigned mask, ctx_t *c) {
    int k;
    for (k = 0; k < 4; k++) {
        if (!(mask & (1u << k))) continue;
        if (coin) FUZZ_CHECK(bce_on(coin, event_names[k], on_event, c) == BCE_OK);
        else FUZZ_CHECK(bce_manager_on(m, event_names[k], on_event, c) == BCE_OK);
    }
    /* an unknown name changes nothing */
    if (coin) FUZZ_CHECK(bce_on(coin, "new_block, bogus", NULL, NULL) == BCE_ERR_INVALID_ARG);
    else FUZZ_CHECK(bce_manager_on(m, "", NULL, NULL) == BCE_ERR_INVALID_ARG);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in_t in = {data, size, 0};
    unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in), b4 = fuzz_u8(&in);
    const char *json = (const char *)data + in.i;
    size_t len = size - in.i;
    int cur = (int)(b0 & 15) % 10, rcur_i = (int)(b0 >> 4) % 14, rc, depth = 0, exact;
    const char *rcur = route_currencies[rcur_i];
    unsigned coin_mask = b2 & 15, mgr_mask = b2 >> 4;
    uint32_t max_tokens = 65536;
    fuzz_alloc_t fa = {0, -1};
    bce_coin_desc_t d;
    bce_manager_desc_t md;
    bce_coin_t *coin, *held_a = NULL, *held_b = NULL;
    bce_manager_t *m;
    ctx_t c;
    bce_json_t p;
    long expect;

    if (size < 5) return 0;
    fuzz_secret_init(data, size);
    memset(&c, 0, sizeof c);
    fuzz_events_init(&c.fe);
    c.fe.reenter = (b3 & 2) != 0;
    FUZZ_CHECK(bce_json_init(&p, NULL) == BCE_OK);
    memset(&d, 0, sizeof d);
    d.currency = coin_currencies[cur];
    d.password = fuzz_password;
    d.logger = fuzz_logger(b3 & 1);
    if (b3 & 4) d.limits.max_json_tokens = max_tokens = 1 + b4 % 32;
    if (b3 & 16) d.limits.max_json_depth = depth = 1 + (int)(b4 % 8);
    if (b3 & 8) {
        fa.fail_after = b4;
        d.allocator = fuzz_allocator(&fa);
    }
    exact = !(b3 & 8);
    switch (b1 & 3) {
    case 1: d.xpub = "vpub5YfuzzWallet"; break;
    case 2: d.xpub = "0xWalletAddress"; d.contract = CONTRACT; break;
    case 3: d.xpub = "viewkey"; d.address = "4PrimaryAddress"; break;
    default: break;
    }

    /* 1. a coin of its own */
    coin = bce_coin_create(&d);
    if (coin) {
        register_mask(coin, NULL, coin_mask, &c);
        c.fe.expect_currency = coin_currencies[cur];
        c.check_instance = 1;
        c.expect_instance = coin;
        c.expect_wallet = bce_coin_wallet_key(coin);
        rc = bce_process_updates(coin, json, len);
        if (bce_json_validate(json, len, depth, NULL) != BCE_OK) {
            FUZZ_CHECK(rc < 0 && rc == bce_json_validate(json, len, depth, NULL));
            FUZZ_CHECK(c.fe.calls == 0);
        } else if (exact && (expect = predict(&p, json, len, accepted(cur), coin_mask, max_tokens)) >= 0) {
            FUZZ_CHECK(rc == expect && c.fe.calls == expect);
        } else {
            FUZZ_CHECK(rc >= 0 && rc == c.fe.calls);
        }
        FUZZ_CHECK(bce_process_updates(coin, NULL, 1) == BCE_ERR_INVALID_ARG);
        bce_coin_destroy(coin);
    }

    /* 2. a manager, routed by currency and wallet */
    memset(&md, 0, sizeof md);
    md.logger = d.logger;
    md.allocator = d.allocator;
    m = bce_manager_create(&md);
    if (m) {
        bce_coin_desc_t params;
        const char *rwallet = NULL;
        int rcur_idx = currency_index(rcur), held;
        memset(&params, 0, sizeof params);
        params.password = fuzz_password;
        params.logger = d.logger;
        held_a = bce_manager_add_wallet(m, coin_currencies[cur], HELD_A);
        if (b1 & 16) {
            params.contract = CONTRACT;
            if (bce_manager_configure(m, coin_currencies[cur], &params) == BCE_OK)
                held_b = bce_manager_add_wallet(m, coin_currencies[cur], HELD_B);
        }
        if (held_a) register_mask(held_a, NULL, coin_mask, &c);
        if (held_b) {
            FUZZ_CHECK(strcmp(bce_coin_wallet_key(held_b), HELD_B_KEY) == 0);
            FUZZ_CHECK(bce_manager_wallet(m, coin_currencies[cur], HELD_B) == held_b);
            register_mask(held_b, NULL, coin_mask, &c);
        }
        register_mask(NULL, m, mgr_mask, &c);
        switch ((b1 >> 2) & 3) {
        case 1: rwallet = HELD_A; break;
        case 2: rwallet = HELD_B_KEY; break;
        case 3: rwallet = "not-held"; break;
        default: break;
        }
        c.fe.calls = 0;
        c.fe.manager = m;
        c.fe.expect_currency = rcur_idx >= 0 ? coin_currencies[rcur_idx] : NULL;
        c.expect_wallet = rwallet;
        c.expect_instance = NULL;
        held = 0;
        if (rcur_idx == cur && rwallet) {
            if (held_a && strcmp(rwallet, HELD_A) == 0) c.expect_instance = held_a;
            if (held_b && strcmp(rwallet, HELD_B_KEY) == 0) c.expect_instance = held_b;
            held = c.expect_instance != NULL;
        }
        rc = bce_manager_process_updates(m, rcur, rwallet, json, len);
        if (rcur_idx < 0) {
            FUZZ_CHECK(rc == BCE_ERR_UNSUPPORTED && c.fe.calls == 0);
        } else if (rc == BCE_ERR_NOMEM) {
            FUZZ_CHECK(!exact && c.fe.calls == 0);             /* no stand-in coin */
        } else if (bce_json_validate(json, len, 0, NULL) != BCE_OK) {
            FUZZ_CHECK(rc < 0 && c.fe.calls == 0);
        } else if (exact && (expect = predict(&p, json, len, accepted(rcur_idx),
                                              mgr_mask | (held ? coin_mask : 0), 65536)) >= 0) {
            FUZZ_CHECK(rc == expect && c.fe.calls == expect);
        } else {
            FUZZ_CHECK(rc >= 0 && rc == c.fe.calls);
        }
        /* the stand-in coin gave its wallet back */
        if (m->conf[rcur_idx >= 0 ? rcur_idx : 0].spare) FUZZ_CHECK(m->conf[rcur_idx >= 0 ? rcur_idx : 0].spare->xpub == NULL);

        /* 3. a coin the manager holds: manager handlers first */
        if (held_a) {
            c.fe.calls = 0;
            c.fe.manager = NULL;     /* its handlers may not destroy the manager: nothing guards that */
            c.fe.expect_currency = coin_currencies[cur];
            c.expect_instance = held_a;
            c.expect_wallet = HELD_A;
            rc = bce_process_updates(held_a, json, len);
            if (rc == BCE_ERR_NOMEM) {
                FUZZ_CHECK(!exact && c.fe.calls == 0);      /* its runtime is made on first use */
            } else if (bce_json_validate(json, len, 0, NULL) != BCE_OK) {
                FUZZ_CHECK(rc < 0 && c.fe.calls == 0);
            } else if (exact && (expect = predict(&p, json, len, accepted(cur), mgr_mask | coin_mask, 65536)) >= 0) {
                FUZZ_CHECK(rc == expect && c.fe.calls == expect);
            } else {
                FUZZ_CHECK(rc >= 0 && rc == c.fe.calls);
            }
            bce_coin_destroy(held_a);       /* refused: the manager owns it */
            FUZZ_CHECK(bce_manager_wallet(m, coin_currencies[cur], HELD_A) == held_a);
        }
        bce_manager_destroy(m);
    }
    bce_json_release(&p);
    fuzz_events_release(&c.fe);
    FUZZ_CHECK(fa.live == 0);
    return 0;
}
