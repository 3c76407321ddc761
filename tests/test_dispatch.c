/* tests/test_dispatch.c: coins, handlers, events, manual updates and the manager's routing. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* What a handler saw, copied out while the pointers were valid. */
typedef struct seen_t {
    int calls;
    char name[32], currency[16], wallet[128], tx[256], whole[512];
    int has_wallet;
    long long height;
    int got_height;
    bce_coin_t *instance;
    char instance_xpub[128];
} seen_t;

static void copy(char *dst, size_t cap, const char *src) {
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (src) memcpy(dst, src, n);
    dst[n] = 0;
}

static void record(const bce_event_t *ev, void *ud) {
    seen_t *s = (seen_t *)ud;
    size_t n = 0;
    const char *w = bce_event_json(ev, NULL, &n);
    s->calls++;
    copy(s->name, sizeof s->name, bce_event_name(ev));
    copy(s->currency, sizeof s->currency, bce_event_currency(ev));
    s->has_wallet = bce_event_wallet(ev) != NULL;
    copy(s->wallet, sizeof s->wallet, bce_event_wallet(ev));
    copy(s->tx, sizeof s->tx, bce_event_str(ev, "tx"));
    if (n >= sizeof s->whole) n = sizeof s->whole - 1;
    memcpy(s->whole, w, n);
    s->whole[n] = 0;
    s->got_height = bce_event_int(ev, "height", &s->height);
    s->instance = bce_event_instance(ev);
    copy(s->instance_xpub, sizeof s->instance_xpub, bce_coin_xpub(s->instance));
}

static bce_coin_t *coin_with_log(const char *currency, const char *xpub, test_log_t *log) {
    bce_coin_desc_t d;
    memset(&d, 0, sizeof d);
    d.currency = currency;
    d.xpub = xpub;
    d.logger.fn = test_log_fn;
    d.logger.user_data = log;
    d.logger.level = BCE_LOG_DEBUG;
    return bce_coin_create(&d);
}

/* The Python SDK's own event tests, translated. */
static void test_sdk_cases(void) {
    test_log_t log;
    seen_t s;
    bce_coin_t *c;
    memset(&log, 0, sizeof log);
    memset(&s, 0, sizeof s);
    c = coin_with_log("BTC", "xpub1", &log);
    CHECK(c != NULL);
    CHECK_INT(bce_on(c, "new_transaction", record, &s), BCE_OK);
    CHECK_INT(bce_process_updates(c, S("{}")), 0);
    CHECK_INT(bce_process_updates(c, S("[[]]")), 0);
    CHECK_INT(bce_process_updates(c, S("[{}]")), 0);
    CHECK_STR(log.last, "Invalid event from server: None");
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"event\"}]")), 0);
    CHECK_STR(log.last, "Invalid event from server: event");
    CHECK_INT(s.calls, 0);
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_transaction\"},{\"event\":\"new_transaction\",\"tx\":\"test\"}]")), 2);
    CHECK_INT(s.calls, 2);
    CHECK_STR(s.tx, "test");
    CHECK_STR(s.name, "new_transaction");
    bce_coin_destroy(c);
}

static void count_a(const bce_event_t *ev, void *ud) { (void)ev; ((int *)ud)[0]++; }
static void count_b(const bce_event_t *ev, void *ud) { (void)ev; ((int *)ud)[1]++; }

static void test_handler_registration(void) {
    int n[2] = {0, 0};
    bce_coin_t *c = bce_coin_create(NULL);
    static const char all[] = "[{\"event\":\"new_block\",\"height\":1},{\"event\":\"new_transaction\",\"tx\":\"a\"},"
                              "{\"event\":\"new_payment\",\"address\":\"x\"},{\"event\":\"verified_tx\",\"tx\":\"a\",\"height\":2}]";
    CHECK(c != NULL);
    /* one handler for several events; separators are commas and/or spaces */
    CHECK_INT(bce_on(c, "new_block, new_transaction ,,new_payment  verified_tx", count_a, n), BCE_OK);
    CHECK_INT(bce_process_updates(c, S(all)), 4);
    CHECK_INT(n[0], 4);
    /* registering again replaces */
    CHECK_INT(bce_add_event_handler(c, "new_block", count_b, n), BCE_OK);
    CHECK_INT(bce_process_updates(c, S(all)), 4);
    CHECK_INT(n[0], 7);
    CHECK_INT(n[1], 1);
    /* NULL removes */
    CHECK_INT(bce_on(c, "new_block,verified_tx", NULL, NULL), BCE_OK);
    CHECK_INT(bce_process_updates(c, S(all)), 2);
    CHECK_INT(n[0], 9);
    CHECK_INT(n[1], 1);
    /* bad lists change nothing */
    CHECK_INT(bce_on(c, "", count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_on(c, " , ", count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_on(c, NULL, count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_on(c, "new_payment,new_blocks", count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_on(c, "New_Payment", count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_on(NULL, "new_payment", count_b, n), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_process_updates(c, S(all)), 2);
    CHECK_INT(n[0], 11);
    CHECK_INT(n[1], 1);
    bce_coin_destroy(c);
}

static void test_accepted_events_per_currency(void) {
    test_log_t log;
    int n[2] = {0, 0};
    bce_coin_t *eth, *ltc;
    static const char v[] = "[{\"event\":\"verified_tx\",\"tx\":\"a\",\"height\":2},{\"event\":\"new_block\",\"height\":3}]";
    memset(&log, 0, sizeof log);
    eth = coin_with_log("eth", NULL, &log);
    ltc = coin_with_log("LtC", NULL, &log);
    CHECK(eth && ltc);
    CHECK_STR(bce_coin_currency(eth), "ETH");
    CHECK_STR(bce_coin_currency(ltc), "LTC");
    CHECK_INT(bce_on(eth, "verified_tx,new_block", count_a, n), BCE_OK);
    CHECK_INT(bce_on(ltc, "verified_tx,new_block", count_b, n), BCE_OK);
    CHECK_INT(bce_process_updates(eth, S(v)), 1);
    CHECK_STR(log.last, "Invalid event from server: verified_tx");
    CHECK_INT(bce_process_updates(ltc, S(v)), 2);
    CHECK_INT(n[0], 1);
    CHECK_INT(n[1], 2);
    bce_coin_destroy(eth);
    bce_coin_destroy(ltc);
}

typedef struct args_t {
    int calls;
    int has_event, has_tx, has_missing;
    char tx[64], esc[64], amount[32], status_str[32];
    int tx_same_ptr;
    long long status, big;
    int big_ok, str_on_int, int_on_str;
    char hashes[128], contract[16], whole[300];
} args_t;

static void read_args(const bce_event_t *ev, void *ud) {
    args_t *a = (args_t *)ud;
    const char *p1, *p2, *j;
    size_t n;
    a->calls++;
    a->has_event = bce_event_has(ev, "event");
    a->has_tx = bce_event_has(ev, "tx");
    a->has_missing = bce_event_has(ev, "nope");
    p1 = bce_event_str(ev, "address");
    p2 = bce_event_str(ev, "address");
    a->tx_same_ptr = p1 == p2;
    copy(a->tx, sizeof a->tx, p1);
    copy(a->esc, sizeof a->esc, bce_event_str(ev, "status_str"));
    copy(a->amount, sizeof a->amount, bce_event_str(ev, "sent_amount"));
    bce_event_int(ev, "status", &a->status);
    a->big_ok = bce_event_int(ev, "big", &a->big);
    a->str_on_int = bce_event_str(ev, "status") != NULL;
    a->int_on_str = bce_event_int(ev, "sent_amount", NULL);
    j = bce_event_json(ev, "tx_hashes", &n);
    if (j && n < sizeof a->hashes) { memcpy(a->hashes, j, n); a->hashes[n] = 0; }
    j = bce_event_json(ev, "contract", &n);
    if (j && n < sizeof a->contract) { memcpy(a->contract, j, n); a->contract[n] = 0; }
    j = bce_event_json(ev, "address", &n);
    copy(a->status_str, sizeof a->status_str, "");
    if (j && n < sizeof a->status_str) { memcpy(a->status_str, j, n); a->status_str[n] = 0; }
    j = bce_event_json(ev, NULL, &n);
    if (j && n < sizeof a->whole) { memcpy(a->whole, j, n); a->whole[n] = 0; }
    /* every decoded string stays valid until the handler returns */
    a->tx_same_ptr = a->tx_same_ptr && strcmp(p1, a->tx) == 0;
}

static void test_event_arguments(void) {
    static const char upd[] =
        "[ {\"event\":\"new_payment\", \"address\":\"d2f0a1b3c4\", \"status\":7,"
        " \"status_str\":\"Unconfirmed \\u2713 \\\"q\\\"\", \"tx_hashes\":[\"9f2c\",\"e1\"],"
        " \"sent_amount\":\"0.00100000\", \"contract\":null, \"big\":99999999999999999999} ]";
    args_t a;
    bce_coin_t *c = bce_coin_create(NULL);
    memset(&a, 0, sizeof a);
    CHECK_INT(bce_on(c, "new_payment", read_args, &a), BCE_OK);
    CHECK_INT(bce_process_updates(c, S(upd)), 1);
    CHECK_INT(a.calls, 1);
    CHECK_INT(a.has_event, 0);
    CHECK_INT(a.has_tx, 0);
    CHECK_INT(a.has_missing, 0);
    CHECK_STR(a.tx, "d2f0a1b3c4");
    CHECK(a.tx_same_ptr);
    CHECK_STR(a.esc, "Unconfirmed \xE2\x9C\x93 \"q\"");
    CHECK_STR(a.amount, "0.00100000");
    CHECK_INT(a.status, 7);
    CHECK_INT(a.big_ok, 0);
    CHECK_INT(a.str_on_int, 0);
    CHECK_INT(a.int_on_str, 0);
    CHECK_STR(a.hashes, "[\"9f2c\",\"e1\"]");
    CHECK_STR(a.contract, "null");
    CHECK_STR(a.status_str, "\"d2f0a1b3c4\"");
    CHECK(strncmp(a.whole, "{\"event\":\"new_payment\"", 22) == 0);
    CHECK(a.whole[strlen(a.whole) - 1] == '}');
    bce_coin_destroy(c);
}

/* argument lookup: keys that share a prefix with the argument, an empty key, an escaped key,
   "event" first or not, a lone "event" member */
typedef struct lookup_t {
    int calls, has_empty, has_t, has_tx, has_txx, has_event;
    char empty[8], tx[8], esc[8];
    long long h;
    int h_ok;
} lookup_t;

static void read_lookup(const bce_event_t *ev, void *ud) {
    lookup_t *l = (lookup_t *)ud;
    l->calls++;
    l->has_empty = bce_event_has(ev, "");
    l->has_t = bce_event_has(ev, "t");
    l->has_tx = bce_event_has(ev, "tx");
    l->has_txx = bce_event_has(ev, "txx");
    l->has_event = bce_event_has(ev, "event");
    copy(l->empty, sizeof l->empty, bce_event_str(ev, ""));
    copy(l->tx, sizeof l->tx, bce_event_str(ev, "tx"));
    copy(l->esc, sizeof l->esc, bce_event_str(ev, "k\\"));
    l->h_ok = bce_event_int(ev, "height", &l->h);
}

static void test_event_lookup(void) {
    lookup_t l;
    bce_coin_t *c = bce_coin_create(NULL);
    memset(&l, 0, sizeof l);
    CHECK_INT(bce_on(c, "new_transaction", read_lookup, &l), BCE_OK);
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_transaction\",\"txh\":\"no\",\"tx\":\"a1\","
                                       "\"\":\"e\",\"k\\\\\":\"b\",\"height\":123456789012345678}]")), 1);
    CHECK_INT(l.calls, 1);
    CHECK_INT(l.has_empty, 1);
    CHECK_INT(l.has_t, 0);
    CHECK_INT(l.has_tx, 1);
    CHECK_INT(l.has_txx, 0);
    CHECK_INT(l.has_event, 0);
    CHECK_STR(l.empty, "e");
    CHECK_STR(l.tx, "a1");
    CHECK_STR(l.esc, "b");
    CHECK_INT(l.h_ok, 1);
    CHECK(l.h == 123456789012345678LL);
    memset(&l, 0, sizeof l);    /* "event" last, escaped keys, no height */
    CHECK_INT(bce_process_updates(c, S("[{\"\\u0074x\":\"a2\",\"height\":-5.0,\"\\u0065vent\":\"new_transaction\"}]")), 1);
    CHECK_INT(l.calls, 1);
    CHECK_INT(l.has_empty, 0);
    CHECK_INT(l.has_tx, 1);
    CHECK_INT(l.has_event, 0);
    CHECK_STR(l.tx, "a2");
    CHECK_INT(l.h_ok, 0);
    memset(&l, 0, sizeof l);    /* nothing but the event */
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_transaction\"}]")), 1);
    CHECK_INT(l.calls, 1);
    CHECK_INT(l.has_tx, 0);
    CHECK_INT(l.has_empty, 0);
    CHECK(l.tx[0] == 0);
    bce_coin_destroy(c);
}

static void test_event_context(void) {
    seen_t s;
    bce_coin_desc_t d;
    bce_coin_t *c;
    memset(&s, 0, sizeof s);
    memset(&d, 0, sizeof d);
    d.currency = "matic";
    d.xpub = "0xAbC";
    d.contract = "0xdAC1";
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    CHECK_STR(bce_coin_wallet_key(c), "0xAbC_0xdAC1");
    CHECK_STR(bce_coin_xpub(c), "0xAbC");
    CHECK_INT(bce_on(c, "new_block new_transaction", record, &s), BCE_OK);
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_transaction\",\"tx\":\"t1\",\"from_address\":\"a\"}]")), 1);
    CHECK_STR(s.currency, "MATIC");
    CHECK_STR(s.wallet, "0xAbC_0xdAC1");
    CHECK(s.instance == c);
    /* new_block is global: no wallet */
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_block\",\"height\":2500001}]")), 1);
    CHECK_INT(s.has_wallet, 0);
    CHECK_INT(s.got_height, 1);
    CHECK_INT(s.height, 2500001);
    CHECK_STR(s.whole, "{\"event\":\"new_block\",\"height\":2500001}");
    bce_coin_destroy(c);
}

static int nested_result;
static void nested_call(const bce_event_t *ev, void *ud) {
    nested_result = bce_process_updates(bce_event_instance(ev), S("[]"));
    (void)ud;
}

static void test_malformed_runs_nothing(void) {
    static const char *const bad[] = {
        "[{\"event\":\"new_block\",\"height\":1},",
        "[{\"event\":\"new_block\",\"height\":1}] x",
        "[{\"event\":\"new_block\",\"height\":01}]",
        "[{\"event\":\"new_block\",\"height\":1},{\"event\":\"new_block\",\"h\":\"\xC0\xAF\"}]",
        "",
        "[{\"event\":\"new_block\",\"height\":1}]]",
    };
    test_log_t log;
    int n[2] = {0, 0};
    size_t i;
    bce_coin_t *c;
    memset(&log, 0, sizeof log);
    c = coin_with_log("BTC", NULL, &log);
    CHECK_INT(bce_on(c, "new_block", count_a, n), BCE_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = bce_process_updates(c, bad[i], strlen(bad[i]));
        CHECK(r == BCE_ERR_JSON);
    }
    CHECK_INT(n[0], 0);
    CHECK(strstr(log.last, "malformed JSON in updates at byte") != NULL);
    CHECK_INT(bce_process_updates(c, NULL, 3), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_process_updates(NULL, S("[]")), BCE_ERR_INVALID_ARG);
    /* non-object items and non-list documents are ignored, not errors */
    CHECK_INT(bce_process_updates(c, S("[1,\"x\",null,[{\"event\":\"new_block\"}],{\"event\":\"new_block\"}]")), 1);
    CHECK_INT(bce_process_updates(c, S("\"new_block\"")), 0);
    CHECK_INT(bce_process_updates(c, S("{\"event\":\"new_block\"}")), 0);
    CHECK_INT(n[0], 1);
    /* events that are not strings */
    CHECK_INT(bce_process_updates(c, S("[{\"event\":5},{\"event\":null},{\"event\":[\"new_block\"]}]")), 0);
    CHECK_STR(log.last, "Invalid event from server: [\"new_block\"]");
    /* an escaped event name is still the event */
    CHECK_INT(bce_process_updates(c, S("[{\"\\u0065vent\":\"new\\u005fblock\"}]")), 1);
    /* hostile names are cut and made printable in the log */
    {
        char big[400];
        memset(big, 'A', sizeof big);
        static const char head[] = "[{\"event\":\"\\u0007\\n";
        memcpy(big, head, sizeof head - 1);
        memcpy(big + sizeof big - 4, "\"}]", 3);
        CHECK_INT(bce_process_updates(c, big, sizeof big - 1), 0);
        CHECK(strlen(log.last) < 140);
        CHECK(strstr(log.last, "...") != NULL);
        for (i = 0; log.last[i]; i++) CHECK(log.last[i] >= 0x20 && log.last[i] < 0x7f);
    }
    /* blocking the re-entrant path */
    CHECK_INT(bce_on(c, "new_block", nested_call, NULL), BCE_OK);
    CHECK_INT(bce_process_updates(c, S("[{\"event\":\"new_block\"}]")), 1);
    CHECK_INT(nested_result, BCE_ERR_STATE);
    bce_coin_destroy(c);
}

static void test_coin_create(void) {
    static const struct { const char *cur; const char *url; } ports[] = {
        {"BTC", "http://localhost:5000"}, {"ltc", "http://localhost:5001"}, {"Eth", "http://localhost:5002"},
        {"BCH", "http://localhost:5004"}, {"XRG", "http://localhost:5005"}, {"BNB", "http://localhost:5006"},
        {"MATIC", "http://localhost:5008"}, {"TRX", "http://localhost:5009"}, {"GRS", "http://localhost:5010"},
        {"xmr", "http://localhost:5011"},
    };
    test_log_t log;
    bce_coin_desc_t d;
    size_t i;
    char xpub[16] = "vpub5Y";
    bce_coin_t *c;
    for (i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        memset(&d, 0, sizeof d);
        d.currency = ports[i].cur;
        c = bce_coin_create(&d);
        CHECK(c != NULL);
        CHECK_STR(bce_coin_url(c), ports[i].url);
        CHECK(bce_coin_xpub(c) == NULL);
        CHECK(bce_coin_wallet_key(c) == NULL);
        CHECK_STR(bce_coin_last_error(c), "");
        bce_coin_destroy(c);
    }
    c = bce_coin_create(NULL);
    CHECK_STR(bce_coin_currency(c), "BTC");
    bce_coin_destroy(c);
    /* strings are copied */
    memset(&d, 0, sizeof d);
    d.xpub = xpub;
    d.url = "http://127.0.0.1:1234";
    c = bce_coin_create(&d);
    xpub[0] = 'X';
    CHECK_STR(bce_coin_xpub(c), "vpub5Y");
    CHECK_STR(bce_coin_url(c), "http://127.0.0.1:1234");
    bce_coin_destroy(c);
    /* bad descs */
    memset(&log, 0, sizeof log);
    memset(&d, 0, sizeof d);
    d.logger.fn = test_log_fn;
    d.logger.user_data = &log;
    d.currency = "DOGE";
    CHECK(bce_coin_create(&d) == NULL);
    CHECK_STR(log.last, "unsupported currency: DOGE");
    d.currency = "BTC";
    d.user = "a:b";
    CHECK(bce_coin_create(&d) == NULL);
    CHECK(strstr(log.last, "':'") != NULL);
    d.user = NULL;
    d.limits.max_json_depth = BCE_JSON_MAX_DEPTH_LIMIT + 1;
    CHECK(bce_coin_create(&d) == NULL);
    d.limits.max_json_depth = 0;
    d.rpc_timeout_ms = -1;
    CHECK(bce_coin_create(&d) == NULL);
    d.rpc_timeout_ms = 0;
    d.tls.skip_verify = 1;
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    CHECK(strstr(log.last, "verification is OFF") != NULL);
    bce_coin_destroy(c);
    bce_coin_destroy(NULL);
    CHECK_STR(bce_coin_last_error(NULL), "");
    /* XMR: the view key names the wallet */
    memset(&d, 0, sizeof d);
    d.currency = "XMR";
    d.xpub = "viewkey";
    d.address = "4addr";
    c = bce_coin_create(&d);
    CHECK_STR(bce_coin_wallet_key(c), "viewkey");
    bce_coin_destroy(c);
}

static void test_results_named(void) {
    int r;
    for (r = 0; r >= -14; r--) {
        CHECK(bce_result_str(r) != NULL);
        CHECK(strncmp(bce_result_str(r), "BCE_", 4) == 0);
    }
    CHECK_STR(bce_result_str(-99), "unknown result");
    CHECK_STR(bce_result_str(BCE_ERR_AUTH), "BCE_ERR_AUTH: authentication failed");
}

static void test_no_allocation_when_warm(void) {
    test_alloc_t ta = {0, 0, -1};
    bce_coin_desc_t d;
    bce_coin_t *c;
    seen_t s;
    long before;
    int i;
    static const char upd[] = "[{\"event\":\"new_payment\",\"address\":\"d2\",\"status\":3,\"status_str\":\"Paid\","
                              "\"tx_hashes\":[\"aa\"],\"sent_amount\":\"1.5\"},{\"event\":\"new_transaction\",\"tx\":\"x\\u00e9\"},"
                              "{\"event\":\"new_block\",\"height\":5}]";
    memset(&d, 0, sizeof d);
    memset(&s, 0, sizeof s);
    d.allocator.alloc = test_alloc_fn;
    d.allocator.free = test_free_fn;
    d.allocator.user_data = &ta;
    d.xpub = "w";
    c = bce_coin_create(&d);
    CHECK(c != NULL);
    CHECK_INT(bce_on(c, "new_payment,new_transaction,new_block", record, &s), BCE_OK);
    CHECK_INT(bce_process_updates(c, S(upd)), 3);
    before = ta.allocs;
    for (i = 0; i < 1000; i++) CHECK_INT(bce_process_updates(c, S(upd)), 3);
    CHECK_INT(ta.allocs, before);
    CHECK_STR(s.tx, "");
    bce_coin_destroy(c);
    CHECK_INT(ta.allocs, ta.frees);
    /* every allocation failing in turn: NULL or a working coin, never a crash or a leak */
    for (i = 0; i < 12; i++) {
        test_alloc_t tf = {0, 0, 0};
        tf.fail_after = i;
        d.allocator.user_data = &tf;
        d.contract = "c";
        c = bce_coin_create(&d);
        if (c) {
            int r = bce_process_updates(c, S(upd));
            CHECK(r == 0 || r == BCE_ERR_NOMEM);
            bce_coin_destroy(c);
        }
        CHECK_INT(tf.allocs, tf.frees);
    }
}

static void test_hostile_sizes(void) {
    size_t n = 100000, i, o = 0;
    const char *u = "{\"event\":\"new_transaction\",\"tx\":\"abcdef\"},";
    size_t ul = strlen(u);
    char *big = (char *)malloc(n * ul + 64);
    int cnt[2] = {0, 0};
    bce_coin_t *c = bce_coin_create(NULL);
    big[o++] = '[';
    for (i = 0; i < n; i++) { memcpy(big + o, u, ul); o += ul; }
    big[o - 1] = ']';
    CHECK_INT(bce_on(c, "new_transaction", count_a, cnt), BCE_OK);
    CHECK_INT(bce_process_updates(c, big, o), (int)n);
    CHECK_INT(cnt[0], (int)n);
    free(big);
    /* deep nesting is refused before any handler runs */
    big = (char *)malloc(200001);
    big[0] = '[';
    memcpy(big + 1, "{\"event\":\"new_transaction\",\"x\":", 31);
    memset(big + 32, '[', 200000 - 32);
    CHECK_INT(bce_process_updates(c, big, 200000), BCE_ERR_LIMIT);
    CHECK_INT(cnt[0], (int)n);
    free(big);
    /* a 4 MiB string argument comes out whole */
    {
        seen_t *s = (seen_t *)calloc(1, sizeof *s);
        size_t sl = 4u << 20;
        char *doc = (char *)malloc(sl + 64);
        int len;
        CHECK_INT(bce_on(c, "new_transaction", read_args, s), BCE_OK);
        len = sprintf(doc, "[{\"event\":\"new_transaction\",\"address\":\"");
        memset(doc + len, 'z', sl);
        memcpy(doc + (size_t)len + sl, "\"}]", 4);
        CHECK_INT(bce_process_updates(c, doc, (size_t)len + sl + 3), 1);
        free(doc);
        free(s);
    }
    /* an update with more tokens than the limit is skipped, the others still arrive */
    {
        bce_coin_desc_t d;
        bce_coin_t *small;
        test_log_t log;
        memset(&d, 0, sizeof d);
        memset(&log, 0, sizeof log);
        d.limits.max_json_tokens = 8;
        d.logger.fn = test_log_fn;
        d.logger.user_data = &log;
        small = bce_coin_create(&d);
        CHECK_INT(bce_on(small, "new_block", count_b, cnt), BCE_OK);
        CHECK_INT(bce_process_updates(small, S("[{\"event\":\"new_block\",\"a\":[1,2,3,4,5,6]},{\"event\":\"new_block\"}]")), 1);
        CHECK_INT(cnt[1], 1);
        CHECK_STR(log.last, "update with too many tokens skipped");
        bce_coin_destroy(small);
    }
    bce_coin_destroy(c);
}

/* A document that fits in the token limit is dispatched in one pass, a larger one in two
   (validate, then tokenize each update): both must deliver exactly the same. */
typedef struct transcript_t {
    char text[16384];
    size_t len;
    int calls;
} transcript_t;

static void transcribe(const bce_event_t *ev, void *ud) {
    transcript_t *t = (transcript_t *)ud;
    const char *tx = bce_event_str(ev, "tx"), *w;
    long long h = 0;
    int got = bce_event_int(ev, "height", &h);
    size_t n = 0;
    w = bce_event_json(ev, NULL, &n);
    t->calls++;
    t->len += (size_t)snprintf(t->text + t->len, sizeof t->text - t->len, "%s|%s|%d:%lld|%.*s\n",
                               bce_event_name(ev), tx ? tx : "(none)", got, h, (int)n, w);
    if (t->len >= sizeof t->text) t->len = sizeof t->text - 1;
}

static void test_one_pass_and_two_pass_agree(void) {
    static const char *const items[] = {
        "{\"event\":\"new_transaction\",\"tx\":\"ab\\u00e9\\\"c\"}",
        "{\"event\":\"new_block\",\"height\":123}",
        "7", "[1,{\"event\":\"new_block\"}]", "\"str\"", "null",
        "{\"tx\":\"first\",\"event\":\"new_transaction\",\"tx\":\"second\"}",
        "{\"event\":\"verified_tx\",\"tx\":\"\xC3\xA9\xE2\x82\xAC\",\"height\":-5,\"x\":{\"y\":[[],{}]}}",
        "{\"event\":\"new_payment\",\"tx_hashes\":[\"a\",\"b\"],\"status\":3,\"tx\":\"p\"}",
        "{\"event\":\"ne\\u0077_block\",\"height\":1e3}",
        "{\"event\":\"bogus\"}", "{}", "{\"event\":7}",
    };
    char doc[8192];
    size_t o = 0, i;
    transcript_t *a = (transcript_t *)calloc(1, sizeof *a), *b = (transcript_t *)calloc(1, sizeof *b);
    bce_coin_desc_t d;
    bce_coin_t *one, *two;
    test_log_t log;
    memset(&d, 0, sizeof d);
    memset(&log, 0, sizeof log);
    d.logger.fn = test_log_fn;                      /* the bogus items are logged, quietly */
    d.logger.user_data = &log;
    one = bce_coin_create(&d);
    d.limits.max_json_tokens = 24;                  /* each update fits, the document does not */
    two = bce_coin_create(&d);
    doc[o++] = '[';
    for (i = 0; i < 4 * sizeof items / sizeof items[0]; i++) {
        const char *it = items[i % (sizeof items / sizeof items[0])];
        if (i && i % 3 == 0) doc[o++] = '\n';      /* whitespace too */
        if (i) doc[o++] = ',';
        memcpy(doc + o, it, strlen(it));
        o += strlen(it);
    }
    doc[o++] = ']';
    CHECK_INT(bce_on(one, "new_block,new_transaction,new_payment,verified_tx", transcribe, a), BCE_OK);
    CHECK_INT(bce_on(two, "new_block,new_transaction,new_payment,verified_tx", transcribe, b), BCE_OK);
    CHECK_INT(bce_process_updates(one, doc, o), 24);
    CHECK_INT(bce_process_updates(two, doc, o), 24);
    CHECK(one->solo->disp.json.count > 24);               /* the whole document was tokenized once */
    CHECK_INT(a->calls, 24);
    CHECK_INT(b->calls, 24);
    CHECK_INT(a->len, b->len);
    CHECK(memcmp(a->text, b->text, a->len) == 0);
    {   /* a one-pass attempt that runs out of tokens falls back to two passes */
        bce_json_t p;
        bce_coin_t *three;
        int ntok;
        transcript_t *c3 = (transcript_t *)calloc(1, sizeof *c3);
        bce_json_init(&p, NULL);
        ntok = bce_json_parse(&p, doc, o);
        bce_json_release(&p);
        CHECK(ntok > 24 && o / 16 <= (size_t)(ntok - 1));
        d.limits.max_json_tokens = (uint32_t)(ntok - 1);
        three = bce_coin_create(&d);
        CHECK_INT(bce_on(three, "new_block,new_transaction,new_payment,verified_tx", transcribe, c3), BCE_OK);
        CHECK_INT(bce_process_updates(three, doc, o), 24);
        CHECK_INT(c3->len, a->len);
        CHECK(memcmp(c3->text, a->text, a->len) == 0);
        bce_coin_destroy(three);
        free(c3);
    }
    CHECK(strstr(a->text, "new_transaction|ab\xC3\xA9\"c|0:0|") != NULL);
    CHECK(strstr(a->text, "verified_tx|\xC3\xA9\xE2\x82\xAC|1:-5|") != NULL);
    /* malformed: nothing delivered either way, the same offset reported */
    doc[o - 1] = ',';
    CHECK_INT(bce_process_updates(one, doc, o), BCE_ERR_JSON);
    CHECK_INT(bce_process_updates(two, doc, o), BCE_ERR_JSON);
    CHECK_INT(a->calls, 24);
    CHECK_INT(b->calls, 24);
    bce_coin_destroy(one);
    bce_coin_destroy(two);
    free(a);
    free(b);
}

/* ---- manager ---- */

static bce_manager_t *manager_with_log(test_log_t *log) {
    bce_manager_desc_t d;
    memset(&d, 0, sizeof d);
    d.logger.fn = test_log_fn;
    d.logger.user_data = log;
    return bce_manager_create(&d);
}

static void test_manager_routing(void) {
    test_log_t log;
    seen_t s;
    bce_manager_t *m;
    bce_coin_t *w1, *w2, *e1;
    memset(&log, 0, sizeof log);
    memset(&s, 0, sizeof s);
    m = manager_with_log(&log);
    CHECK(m != NULL);
    w1 = bce_manager_add_wallet(m, "BTC", "xpubA");
    w2 = bce_manager_add_wallet(m, "btc", "xpubB");
    e1 = bce_manager_add_wallet(m, "ETH", "xpubA");
    CHECK(w1 && w2 && e1 && w1 != w2 && w1 != e1);
    CHECK(bce_manager_add_wallet(m, "BTC", "xpubA") == w1);
    CHECK(bce_manager_wallet(m, "BTC", "xpubB") == w2);
    CHECK(bce_manager_wallet(m, "ETH", "xpubB") == NULL);
    CHECK(bce_manager_wallet(m, "ETH", "xpubA") == e1);
    CHECK_INT(bce_manager_on(m, "new_transaction,new_block,verified_tx", record, &s), BCE_OK);
    /* routed to the held wallet of the right currency */
    CHECK_INT(bce_manager_process_updates(m, "BTC", "xpubB", S("[{\"event\":\"new_transaction\",\"tx\":\"t\"}]")), 1);
    CHECK(s.instance == w2);
    CHECK_STR(s.wallet, "xpubB");
    CHECK_STR(s.currency, "BTC");
    CHECK_INT(bce_manager_process_updates(m, "eth", "xpubA", S("[{\"event\":\"new_transaction\",\"tx\":\"t\"}]")), 1);
    CHECK(s.instance == e1);
    CHECK_STR(s.currency, "ETH");
    /* a wallet the manager does not hold: a coin of that currency with that xpub */
    CHECK_INT(bce_manager_process_updates(m, "LTC", "xpubZ", S("[{\"event\":\"new_transaction\",\"tx\":\"t\"}]")), 1);
    CHECK(s.instance != NULL && s.instance != w1 && s.instance != w2);
    CHECK_STR(s.instance_xpub, "xpubZ");
    CHECK_STR(s.currency, "LTC");
    CHECK_STR(s.wallet, "xpubZ");
    /* a global event */
    CHECK_INT(bce_manager_process_updates(m, "BTC", NULL, S("[{\"event\":\"new_block\",\"height\":9}]")), 1);
    CHECK_INT(s.has_wallet, 0);
    CHECK_STR(s.instance_xpub, "");
    CHECK_STR(s.currency, "BTC");
    CHECK_INT(s.height, 9);
    /* currency NULL means BTC (the SDK's default) */
    CHECK_INT(bce_manager_process_updates(m, NULL, "xpubA", S("[{\"event\":\"new_transaction\"}]")), 1);
    CHECK(s.instance == w1);
    /* accepted events follow the routed currency */
    CHECK_INT(bce_manager_process_updates(m, "ETH", "xpubA", S("[{\"event\":\"verified_tx\",\"tx\":\"t\",\"height\":1}]")), 0);
    CHECK_STR(log.last, "Invalid event from server: verified_tx");
    /* unsupported currency */
    CHECK_INT(bce_manager_process_updates(m, "DOGE", NULL, S("[{\"event\":\"new_block\"}]")), BCE_ERR_UNSUPPORTED);
    CHECK_STR(log.last, "Received event for unsupported currency: DOGE");
    CHECK(bce_manager_add_wallet(m, "DOGE", "x") == NULL);
    CHECK_INT(bce_manager_process_updates(m, "BTC", NULL, S("[1,")), BCE_ERR_JSON);
    /* coins of a manager are freed by the manager only */
    bce_coin_destroy(w1);
    CHECK(strstr(log.last, "belongs to a manager") != NULL);
    CHECK(bce_manager_wallet(m, "BTC", "xpubA") == w1);
    bce_manager_destroy(m);
}

static void test_manager_precedence(void) {
    int mgr[2] = {0, 0}, own[2] = {0, 0};
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_t *w = bce_manager_add_wallet(m, "BTC", "w");
    static const char tx[] = "[{\"event\":\"new_transaction\",\"tx\":\"t\"}]";
    static const char pay[] = "[{\"event\":\"new_payment\",\"address\":\"a\"}]";
    CHECK_INT(bce_on(w, "new_transaction,new_payment", count_a, own), BCE_OK);
    CHECK_INT(bce_manager_add_event_handler(m, "new_transaction", count_a, mgr), BCE_OK);
    CHECK_INT(bce_manager_process_updates(m, "BTC", "w", S(tx)), 1);
    CHECK_INT(mgr[0], 1);
    CHECK_INT(own[0], 0);
    /* no manager handler for new_payment: the wallet's own handler runs */
    CHECK_INT(bce_manager_process_updates(m, "BTC", "w", S(pay)), 1);
    CHECK_INT(own[0], 1);
    /* the same precedence when the wallet's coin is fed directly */
    CHECK_INT(bce_process_updates(w, S(tx)), 1);
    CHECK_INT(mgr[0], 2);
    CHECK_INT(own[0], 1);
    /* removing the manager's handler gives the event back to the wallet */
    CHECK_INT(bce_manager_on(m, "new_transaction", NULL, NULL), BCE_OK);
    CHECK_INT(bce_manager_process_updates(m, "BTC", "w", S(tx)), 1);
    CHECK_INT(own[0], 2);
    /* nothing registered anywhere: no call */
    CHECK_INT(bce_manager_process_updates(m, "BTC", "other", S(tx)), 0);
    CHECK_INT(bce_manager_on(m, "bogus", count_a, mgr), BCE_ERR_INVALID_ARG);
    bce_manager_destroy(m);
    bce_manager_destroy(NULL);
}

static void test_manager_configure(void) {
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_desc_t p;
    bce_coin_t *before, *after, *tok;
    char url[64] = "http://127.0.0.1:7000";
    const char *const many[] = {"a", "b", "c", "a", ""};
    seen_t s;
    before = bce_manager_add_wallet(m, "BNB", "x0");
    memset(&p, 0, sizeof p);
    p.url = url;
    p.contract = "0xC";
    p.currency = "ignored";
    CHECK_INT(bce_manager_configure(m, "bnb", &p), BCE_OK);
    url[0] = 'X';
    after = bce_manager_add_wallet(m, "BNB", "x1");
    CHECK_STR(bce_coin_url(before), "http://localhost:5006");
    CHECK_STR(bce_coin_url(after), "http://127.0.0.1:7000");
    CHECK_STR(bce_coin_wallet_key(after), "x1_0xC");
    /* token wallets are found by xpub or by wallet key, and events route by wallet key */
    CHECK(bce_manager_wallet(m, "BNB", "x1") == after);
    CHECK(bce_manager_wallet(m, "BNB", "x1_0xC") == after);
    memset(&s, 0, sizeof s);
    CHECK_INT(bce_manager_on(m, "new_transaction", record, &s), BCE_OK);
    CHECK_INT(bce_manager_process_updates(m, "BNB", "x1_0xC", S("[{\"event\":\"new_transaction\"}]")), 1);
    CHECK(s.instance == after);
    tok = bce_manager_add_wallet(m, "BNB", "x1");
    CHECK(tok == after);
    CHECK_INT(bce_manager_configure(m, "DOGE", &p), BCE_ERR_UNSUPPORTED);
    CHECK_INT(bce_manager_configure(m, "BTC", NULL), BCE_OK);
    p.user = "bad:user";
    CHECK_INT(bce_manager_configure(m, "BTC", &p), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_manager_add_wallets(m, "LTC", many, 4), 4);
    CHECK_INT(bce_manager_add_wallets(m, "LTC", many + 4, 1), BCE_ERR_INVALID_ARG);
    CHECK_INT(bce_manager_add_wallets(m, "DOGE", many, 1), BCE_ERR_UNSUPPORTED);
    CHECK(bce_manager_wallet(m, "LTC", "c") != NULL);
    bce_manager_destroy(m);
}

static void test_manager_many_wallets(void) {
    bce_manager_desc_t d;
    bce_manager_t *m;
    char key[32];
    int i, found = 0;
    seen_t s;
    memset(&d, 0, sizeof d);
    d.limits.max_wallets = 5000;
    m = bce_manager_create(&d);
    for (i = 0; i < 5000; i++) {
        sprintf(key, "vpub%d", i);
        CHECK(bce_manager_add_wallet(m, i % 2 ? "BTC" : "LTC", key) != NULL);
    }
    CHECK(bce_manager_add_wallet(m, "BTC", "one-too-many") == NULL);
    CHECK(bce_manager_add_wallet(m, "BTC", "vpub1") != NULL);   /* existing wallets still resolve */
    memset(&s, 0, sizeof s);
    bce_manager_on(m, "new_transaction", record, &s);
    for (i = 0; i < 5000; i += 7) {
        sprintf(key, "vpub%d", i);
        bce_manager_process_updates(m, i % 2 ? "BTC" : "LTC", key, S("[{\"event\":\"new_transaction\"}]"));
        if (s.instance == bce_manager_wallet(m, i % 2 ? "BTC" : "LTC", key)) found++;
    }
    CHECK_INT(found, (5000 + 6) / 7);
    bce_manager_destroy(m);
}

/* Event names are matched exactly: each of the four is delivered, and every near miss (one
   byte changed at any position, one byte cut or added, every length 0-20) is not. */
static const char *const event_names[4] = {"new_block", "new_transaction", "new_payment", "verified_tx"};

static void count_name(const bce_event_t *ev, void *ud) {
    int *counts = (int *)ud, k;
    for (k = 0; k < 4; k++)
        if (strcmp(bce_event_name(ev), event_names[k]) == 0) counts[k]++;
}

/* {"event":"<the first n bytes of name>"} as one update: what bce_process_updates returns */
static int send_name(bce_coin_t *c, const char *prefix, const char *name, size_t n, const char *suffix) {
    char doc[128];
    snprintf(doc, sizeof doc, "[{\"event\":\"%s%.*s%s\"}]", prefix, (int)n, name, suffix);
    return bce_process_updates(c, doc, strlen(doc));
}

static void test_event_names_exact(void) {
    static const char alter[] = {'x', 'n', 'v', '_', 'N', 'V', '~'};
    int counts[4] = {0, 0, 0, 0}, k, misses = 0;
    size_t pos, a;
    char name[32];
    test_log_t log;
    bce_coin_t *c;
    memset(&log, 0, sizeof log);
    c = coin_with_log("BTC", NULL, &log);
    CHECK_INT(bce_on(c, "new_block,new_transaction,new_payment,verified_tx", count_name, counts), BCE_OK);
    for (k = 0; k < 4; k++) {
        size_t n = strlen(event_names[k]);
        CHECK_INT(send_name(c, "", event_names[k], n, ""), 1);
        CHECK_INT(counts[k], 1);
        for (pos = 0; pos < n; pos++)           /* one byte changed */
            for (a = 0; a < sizeof alter; a++) {
                if (event_names[k][pos] == alter[a]) continue;
                memcpy(name, event_names[k], n + 1);
                name[pos] = alter[a];
                CHECK_INT(send_name(c, "", name, n, ""), 0);
                misses++;
            }
        CHECK_INT(send_name(c, "", event_names[k], n - 1, ""), 0);         /* cut */
        CHECK_INT(send_name(c, "", event_names[k] + 1, n - 1, ""), 0);
        CHECK_INT(send_name(c, "", event_names[k], n, "x"), 0);            /* added */
        CHECK_INT(send_name(c, "n", event_names[k], n, ""), 0);
        misses += 4;
    }
    for (pos = 0; pos <= 20; pos++) {           /* every length, from the first bytes of a name */
        CHECK_INT(send_name(c, "", "verified_txnew_block_", pos, ""), pos == 11);
        CHECK_INT(send_name(c, "", "new_transaction_new_block", pos, ""), pos == 15);
        misses += (pos != 11) + (pos != 15);
    }
    /* "event" not the first member */
    CHECK_INT(bce_process_updates(c, S("[{\"height\":1,\"event\":\"new_block\"},{\"x\":[],\"event\":\"new_payment\"}]")), 2);
    for (k = 0; k < 4; k++) CHECK_INT(counts[k], 2);
    CHECK_INT(log.count, misses);           /* each near miss logged as an invalid event */
    bce_coin_destroy(c);
}

/* A get_updates answer is validated and tokenized once: the poller dispatches from the
   JSON-RPC answer's own tokens. When something else has parsed in between (a websocket
   message on the same coin), it parses the result list again instead of reading stale
   tokens. Drives the coin's call state directly (no daemon needed). */
static void finish_answer(bce_coin_t *c, char *body, unsigned long long id) {
    c->solo->link.rpc.in = body;
    c->solo->link.rpc.resp.status = 200;
    c->solo->link.rpc.resp.body_start = 0;
    c->solo->link.rpc.resp.body_len = strlen(body);
    c->solo->link.rpc.call_id = id;
    _bce_rpc_finish(&c->solo->link.rpc);
}

static void test_answer_tokenized_once(void) {
    char body[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[{\"event\":\"new_transaction\",\"tx\":\"a1\"},"
                  "7,{\"event\":\"new_transaction\",\"tx\":\"a2\",\"height\":5}]}";
    char body2[sizeof body];
    static const char other[] = "[{\"event\":\"new_transaction\",\"tx\":\"zz\",\"height\":99}]";
    seen_t s;
    bce_coin_t *c = bce_coin_create(NULL);
    char *keep = c->solo->link.rpc.in;
    _bce_route_t rt;
    uint32_t before;
    memset(&s, 0, sizeof s);
    CHECK_INT(bce_on(c, "new_transaction", record, &s), BCE_OK);
    memcpy(body2, body, sizeof body);
    before = c->solo->disp.json.parses_;
    finish_answer(c, body, 7);
    CHECK_INT(c->solo->link.rpc.result, BCE_OK);
    _bce_coin_route(c, &rt);
    CHECK_INT(_bce_poll_collect(&c->solo->link.rpc, &c->solo->disp, &rt), BCE_OK);
    CHECK_INT((int)(c->solo->disp.json.parses_ - before), 1);     /* one scan for answer and dispatch */
    CHECK_INT(s.calls, 2);
    CHECK_STR(s.tx, "a2");
    CHECK_INT(s.got_height, 1);
    CHECK(s.height == 5);
    /* a message parsed between the end of the call and its collection */
    memset(&s, 0, sizeof s);
    finish_answer(c, body2, 8);                 /* wrong id: refused */
    CHECK_INT(c->solo->link.rpc.result, BCE_ERR_JSON);
    memcpy(body2, body, sizeof body);
    finish_answer(c, body2, 7);
    CHECK_INT(c->solo->link.rpc.result, BCE_OK);
    CHECK_INT(bce_process_updates(c, other, strlen(other)), 1);
    CHECK_STR(s.tx, "zz");
    memset(&s, 0, sizeof s);
    before = c->solo->disp.json.parses_;
    CHECK_INT(_bce_poll_collect(&c->solo->link.rpc, &c->solo->disp, &rt), BCE_OK);
    CHECK_INT((int)(c->solo->disp.json.parses_ - before), 1);     /* the result list parsed again */
    CHECK_INT(s.calls, 2);
    CHECK_STR(s.tx, "a2");
    CHECK(s.height == 5);
    c->solo->link.rpc.in = keep;
    bce_coin_destroy(c);
}

/* The "xpub" value of every call, built in the coin's one string block sized exactly: plain,
   with every character JSON must escape, and the token and XMR object forms. Under ASan a
   block one byte short is an error. */
static void test_wallet_json(void) {
    static const struct { const char *xpub, *contract, *address, *json, *key; } cases[] = {
        {"xpub6plain", NULL, NULL, "\"xpub6plain\"", "xpub6plain"},
        {"q\"b\\s\x01\x1f" "e", NULL, NULL, "\"q\\\"b\\\\s\\u0001\\u001fe\"", "q\"b\\s\x01\x1f" "e"},
        {"0xabc", "0xC\"T", NULL, "{\"xpub\":\"0xabc\",\"contract\":\"0xC\\\"T\"}", "0xabc_0xC\"T"},
        {"view\x02", NULL, "4ad\\dr", "{\"xpub\":\"view\\u0002\",\"address\":\"4ad\\\\dr\"}", "view\x02"},
        {"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", NULL, NULL,
         "\"\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\"", NULL},
    };
    size_t i;
    bce_coin_desc_t d;
    bce_coin_t *c;
    bce_manager_t *m;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&d, 0, sizeof d);
        d.currency = cases[i].contract ? "ETH" : cases[i].address ? "XMR" : "BTC";
        d.xpub = cases[i].xpub;
        d.contract = cases[i].contract;
        d.address = cases[i].address;
        c = bce_coin_create(&d);
        CHECK(c != NULL);
        if (!c) continue;
        CHECK_STR(c->wallet_json, cases[i].json);
        if (cases[i].key) CHECK_STR(bce_coin_wallet_key(c), cases[i].key);
        CHECK(_bce_wallet_json_cap(d.xpub, d.contract, d.address) >= strlen(cases[i].json) + 1);
        bce_coin_destroy(c);
    }
    c = bce_coin_create(NULL);
    CHECK_STR(c->wallet_json, "null");
    bce_coin_destroy(c);
    /* a manager's wallet is a routing target: no runtime of its own until a call needs one */
    m = bce_manager_create(NULL);
    c = bce_manager_add_wallet(m, "BTC", "xpub-routing-target");
    CHECK(c != NULL && c->solo == NULL);
    CHECK_STR(c->wallet_json, "\"xpub-routing-target\"");
    bce_manager_destroy(m);
}

int main(void) {
    RUN(test_sdk_cases);
    RUN(test_handler_registration);
    RUN(test_accepted_events_per_currency);
    RUN(test_event_arguments);
    RUN(test_event_lookup);
    RUN(test_event_names_exact);
    RUN(test_answer_tokenized_once);
    RUN(test_event_context);
    RUN(test_malformed_runs_nothing);
    RUN(test_coin_create);
    RUN(test_wallet_json);
    RUN(test_results_named);
    RUN(test_no_allocation_when_warm);
    RUN(test_hostile_sizes);
    RUN(test_one_pass_and_two_pass_agree);
    RUN(test_manager_routing);
    RUN(test_manager_precedence);
    RUN(test_manager_configure);
    RUN(test_manager_many_wallets);
    TEST_MAIN_END("test_dispatch");
}
