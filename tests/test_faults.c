/* tests/test_faults.c: the delivery suite again, over a fault-injecting transport (seeded,
   reproducible): short reads and writes of every size, would-block at random points, stalls,
   and connection resets in the middle of frames and of requests. Asserts exact delivery by
   sequence number: no gap, no duplicate.
   What the protocol itself cannot survive is left out on purpose: a get_updates answer cut
   off after the daemon emptied its queue is gone for everybody, so JSON-RPC connections are
   only reset while the request is still going out (the daemon never saw it). Websocket
   connections are reset anywhere: catch-up brings back what they lose.
   BCE_FAULT_SEEDS=N runs more seeds (default 12 per scenario). */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"

typedef struct fault_t {
    uint64_t rng;
    int ws;                     /* websocket connection: resets allowed anywhere */
    long long stall_until;
    long sends, recvs, agains, shorts, resets, stalls;
} fault_t;

static unsigned roll(fault_t *f) { return (unsigned)(_bce_rand_next(&f->rng) % 1000u); }

static long f_send(_bce_conn_t *c, const char *buf, size_t len) {
    fault_t *f = (fault_t *)c->io_ctx;
    unsigned r = roll(f);
    f->sends++;
    if (r < 150) { f->agains++; return _BCE_IO_AGAIN_WRITE; }
    if (r < 170) {              /* reset: websocket anywhere; JSON-RPC before the request is out */
        f->resets++;
        shutdown(c->fd, SHUT_RDWR);
        _bce_conn_error(c, "fault injection: connection reset", NULL);
        return BCE_ERR_CONNECT;
    }
    if (r < 600 && len > 1) { f->shorts++; len = 1 + (size_t)(_bce_rand_next(&f->rng) % (len < 64 ? len - 1 : 63)); }
    return _bce_plain_send(c, buf, len);
}

static long f_recv(_bce_conn_t *c, char *buf, size_t len) {
    fault_t *f = (fault_t *)c->io_ctx;
    unsigned r = roll(f);
    long long now = _bce_now_ms();
    f->recvs++;
    if (now < f->stall_until) return _BCE_IO_AGAIN_READ;
    if (r < 5) { f->stalls++; f->stall_until = now + 30; return _BCE_IO_AGAIN_READ; }
    if (r < 150) { f->agains++; return _BCE_IO_AGAIN_READ; }
    if (f->ws && r < 165) {
        f->resets++;
        shutdown(c->fd, SHUT_RDWR);
        _bce_conn_error(c, "fault injection: connection reset", NULL);
        return BCE_ERR_CONNECT;
    }
    if (r < 700 && len > 1) { f->shorts++; len = 1 + (size_t)(_bce_rand_next(&f->rng) % (len < 200 ? len - 1 : 199)); }
    return _bce_plain_recv(c, buf, len);
}

static const _bce_io_t fault_io = {NULL, NULL, f_send, f_recv, NULL};

#define TALLY_MAX 2000
#include "tally.h"

static int seeds(void) {
    const char *e = getenv("BCE_FAULT_SEEDS");
    return e && atoi(e) > 0 ? atoi(e) : 12;
}

/* Once the daemon has loaded the wallet, 300 updates in batches of 30 (the next batch when
   the last one arrived), then until all are in: each exactly once, within `ms`. */
static void stream_300(bce_coin_t *c, const daemon_t *d, const char *wallet, tally_t *t, long long ms) {
    int seq = 0;
    long long t0 = _bce_now_ms();
    while (!daemon_loaded(d->port, wallet) && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 20);
    while (seq < 300 && _bce_now_ms() - t0 < ms) {
        if (t->total == seq) { daemon_inject_seq(d->port, wallet, seq, 30); seq += 30; }
        CHECK(bce_coin_step(c, 20) == 1);
    }
    while (t->total < seq && _bce_now_ms() - t0 < ms) CHECK(bce_coin_step(c, 20) == 1);
    CHECK_INT(t->total, 300);
    CHECK_INT(t->dups, 0);
    CHECK_INT(t->bad, 0);
}

static long total_resets, total_shorts, total_agains, seeds_run;

static bce_coin_t *fault_coin(const daemon_t *d, const char *wallet, fault_t *rpc) {
    bce_coin_desc_t desc;
    bce_coin_t *c;
    memset(&desc, 0, sizeof desc);
    desc.url = d->url;
    desc.xpub = wallet;
    desc.connect_timeout_ms = 2000;
    desc.rpc_timeout_ms = 3000;
    desc.logger.level = -1;
    c = bce_coin_create(&desc);
    c->solo->link.rpc.conn.transport = &fault_io;
    c->solo->link.rpc.conn.transport_ctx = rpc;
    c->solo->link.ep.transport = &fault_io;            /* the websocket, made later, takes the endpoint's */
    c->solo->link.ep.transport_ctx = rpc;
    return c;
}

static void account(const fault_t *f) {
    total_resets += f->resets;
    total_shorts += f->shorts;
    total_agains += f->agains;
}

/* Polling: every update exactly once through short reads and writes, would-blocks, stalls and
   resets while requests go out. */
static void check_polling(const daemon_t *d, uint64_t seed) {
    fault_t fr;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    char wallet[32];
    bce_coin_t *c;
    memset(&fr, 0, sizeof fr);
    fr.rng = seed;
    snprintf(wallet, sizeof wallet, "poll-%llu", (unsigned long long)seed);
    c = fault_coin(d, wallet, &fr);
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_coin_start_polling(c, 5), BCE_OK);
    stream_300(c, d, wallet, t, 20000);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    account(&fr);
    free(t);
}

/* The websocket with catch-up: resets anywhere on the websocket, every update exactly once. */
static void check_websocket(const daemon_t *d, uint64_t seed) {
    fault_t fr, fw;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    char wallet[32];
    bce_coin_t *c;
    bce_ws_opts_t o;
    memset(&fr, 0, sizeof fr);
    memset(&fw, 0, sizeof fw);
    fr.rng = seed;
    fw.rng = seed ^ 0x5555555555555555ull;
    fw.ws = 1;
    snprintf(wallet, sizeof wallet, "ws-%llu", (unsigned long long)seed);
    c = fault_coin(d, wallet, &fr);
    bce_on(c, "new_transaction", on_seq, t);
    memset(&o, 0, sizeof o);
    o.reconnect_min_ms = 10;
    o.reconnect_max_ms = 50;
    o.drain_interval_ms = 100;
    o.ping_interval_ms = -1;
    o.force_connect = 1;          /* a reset may hit the very first connection too */
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    c->solo->link.ws.conn.transport_ctx = &fw;         /* its own faults, resets anywhere */
    stream_300(c, d, wallet, t, 30000);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    account(&fr);
    account(&fw);
    free(t);
}

static void test_polling_over_faults(void) {
    const char *argv[] = {FAKE_DAEMON, "--port", "0", NULL};
    daemon_t d;
    int s;
    CHECK_INT(daemon_start(&d, argv), 0);
    for (s = 1; s <= seeds(); s++) { check_polling(&d, (uint64_t)s * 7919u); seeds_run++; }
    daemon_stop(&d);
}

static void test_websocket_over_faults(void) {
    const char *argv[] = {FAKE_DAEMON, "--port", "0", NULL};
    daemon_t d;
    int s;
    long before;
    CHECK_INT(daemon_start(&d, argv), 0);
    before = total_resets;
    for (s = 1; s <= seeds(); s++) { check_websocket(&d, (uint64_t)s * 104729u); seeds_run++; }
    CHECK(total_resets - before > 0);       /* the faults did happen */
    daemon_stop(&d);
}

/* A manager with two currencies on two daemons, both websockets and the catch-up calls over
   faulty transports. */
static void test_manager_over_faults(void) {
    const char *btc[] = {FAKE_DAEMON, "--port", "0", "--currency", "BTC", NULL};
    const char *ltc[] = {FAKE_DAEMON, "--port", "0", "--currency", "LTC", NULL};
    daemon_t db, dl;
    bce_manager_desc_t md;
    bce_manager_t *m;
    bce_coin_desc_t p;
    bce_ws_opts_t o;
    tally_t *tb = (tally_t *)calloc(1, sizeof *tb), *tl = (tally_t *)calloc(1, sizeof *tl);
    fault_t f[4];
    bce_coin_t *wb, *wl;
    int seq = 0, i;
    long long t0;
    memset(&md, 0, sizeof md);
    md.logger.level = -1;
    m = bce_manager_create(&md);
    memset(f, 0, sizeof f);
    for (i = 0; i < 4; i++) { f[i].rng = 977u * (uint64_t)(i + 1); f[i].ws = i >= 2; }
    CHECK_INT(daemon_start(&db, btc), 0);
    CHECK_INT(daemon_start(&dl, ltc), 0);
    memset(&p, 0, sizeof p);
    p.logger.level = -1;
    p.url = db.url;
    bce_manager_configure(m, "BTC", &p);
    p.url = dl.url;
    bce_manager_configure(m, "LTC", &p);
    wb = bce_manager_add_wallet(m, "BTC", "fb");
    wl = bce_manager_add_wallet(m, "LTC", "fl");
    bce_on(wb, "new_transaction", on_seq, tb);
    bce_on(wl, "new_transaction", on_seq, tl);
    memset(&o, 0, sizeof o);
    o.reconnect_min_ms = 10;
    o.reconnect_max_ms = 50;
    o.drain_interval_ms = 100;
    o.ping_interval_ms = -1;
    o.force_connect = 1;          /* a reset may hit the very first connection too */
    /* the per-currency clients exist once started: hook them before the first step */
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    m->cur[0].rpc.conn.transport = &fault_io;
    m->cur[0].rpc.conn.transport_ctx = &f[0];
    m->cur[1].rpc.conn.transport = &fault_io;
    m->cur[1].rpc.conn.transport_ctx = &f[1];
    m->cur[0].ws.conn.transport = &fault_io;
    m->cur[0].ws.conn.transport_ctx = &f[2];
    m->cur[1].ws.conn.transport = &fault_io;
    m->cur[1].ws.conn.transport_ctx = &f[3];
    t0 = _bce_now_ms();
    while (!(daemon_loaded(db.port, "fb") && daemon_loaded(dl.port, "fl")) && _bce_now_ms() - t0 < 5000) bce_manager_step(m, 20);
    while (seq < 200 && _bce_now_ms() - t0 < 30000) {
        if (tb->total == seq && tl->total == seq) {
            daemon_inject_seq(db.port, "fb", seq, 20);
            daemon_inject_seq(dl.port, "fl", seq, 20);
            seq += 20;
        }
        CHECK(bce_manager_step(m, 20) == 1);
    }
    while ((tb->total < seq || tl->total < seq) && _bce_now_ms() - t0 < 30000) CHECK(bce_manager_step(m, 20) == 1);
    CHECK_INT(tb->total, 200);
    CHECK_INT(tl->total, 200);
    CHECK_INT(tb->dups + tl->dups + tb->bad + tl->bad, 0);
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    for (i = 0; i < 4; i++) account(&f[i]);
    seeds_run++;
    daemon_stop(&db);
    daemon_stop(&dl);
    free(tb);
    free(tl);
}

int main(void) {
    signal(SIGPIPE, SIG_DFL);
    RUN(test_polling_over_faults);
    RUN(test_websocket_over_faults);
    RUN(test_manager_over_faults);
    printf("fault transport: %ld seeded runs, %ld resets, %ld short transfers, %ld would-blocks injected\n",
           seeds_run, total_resets, total_shorts, total_agains);
    TEST_MAIN_END("test_faults");
}
