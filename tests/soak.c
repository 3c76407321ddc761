/* tests/soak.c: a coin and a manager listen for BCE_SOAK_SECONDS (default 60) to daemons that
   stream, drop their websockets every few seconds and are killed and restarted empty; RSS and
   the library's heap are sampled every second and must stay flat once warm, and every update
   must arrive exactly once. Prints the figures. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"

typedef struct heap_t { long long bytes, peak, calls; } heap_t;
static heap_t heap;

static void *h_alloc(size_t n, void *ud) {
    size_t *p = (size_t *)malloc(n + 16);
    (void)ud;
    if (!p) return NULL;
    p[0] = n;
    heap.bytes += (long long)n;
    heap.calls++;
    if (heap.bytes > heap.peak) heap.peak = heap.bytes;
    return (char *)p + 16;
}
static void h_free(void *ptr, void *ud) {
    size_t *p = (size_t *)((char *)ptr - 16);
    (void)ud;
    heap.bytes -= (long long)p[0];
    free(p);
}

#define MAXSEQ 200000
static unsigned char seen[3][MAXSEQ];
static long total[3], dups[3];

static void on_seq(const bce_event_t *ev, void *ud) {
    int k = (int)(intptr_t)ud;
    long long seq = -1;
    if (!bce_event_int(ev, "seq", &seq) || seq < 0 || seq >= MAXSEQ) return;
    if (seen[k][seq]) dups[k]++;
    seen[k][seq] = 1;
    total[k]++;
}

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void inject(int port, const char *wallet, int from, int count) {
    char buf[8000];
    size_t o = 0;
    int i;
    buf[o++] = '[';
    for (i = from; i < from + count; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{\"event\":\"new_payment\",\"address\":\"r%d\",\"status\":7,"
                              "\"status_str\":\"Unconfirmed\",\"tx_hashes\":[\"%064d\"],\"sent_amount\":\"0.001\",\"seq\":%d}",
                              i == from ? "" : ",", i, i, i);
    buf[o++] = ']';
    buf[o] = 0;
    daemon_inject(port, wallet, buf);
}

static void step_all(bce_coin_t *c, bce_manager_t *m, int ms) {
    CHECK(bce_coin_step(c, ms / 2) == 1);
    CHECK(bce_manager_step(m, ms / 2) == 1);
}

int main(void) {
    const char *e = getenv("BCE_SOAK_SECONDS");
    int seconds = e && atoi(e) > 0 ? atoi(e) : 60;
    char port_a[16], port_b[16];
    const char *argv_a[] = {FAKE_DAEMON, "--port", port_a, "--currency", "BTC", NULL};
    const char *argv_b[] = {FAKE_DAEMON, "--port", port_b, "--currency", "LTC", NULL};
    const char *first[] = {FAKE_DAEMON, "--port", "0", NULL};
    daemon_t da, db;
    bce_coin_desc_t desc;
    bce_manager_desc_t md;
    bce_coin_t *coin, *mb, *ml;
    bce_manager_t *m;
    bce_ws_opts_t o;
    long long t0, next_sample, next_drop, next_restart, warm_at, next_inject = 0;
    int seq = 0, samples = 0, restarts = 0, drops = 0;
    long rss_warm = 0, rss_max = 0, rss_end;
    long long heap_warm = 0, heap_max = 0;
    memset(seen, 0, sizeof seen);               /* touch the tally pages now, not during the run */
    /* free ports that the restarted daemons take again */
    CHECK_INT(daemon_start(&da, first), 0);
    CHECK_INT(daemon_start(&db, first), 0);
    snprintf(port_a, sizeof port_a, "%d", da.port);
    snprintf(port_b, sizeof port_b, "%d", db.port);
    daemon_stop(&da);
    daemon_stop(&db);
    CHECK_INT(daemon_start(&da, argv_a), 0);
    CHECK_INT(daemon_start(&db, argv_b), 0);
    memset(&desc, 0, sizeof desc);
    desc.url = da.url;
    desc.xpub = "soak-coin";
    desc.logger.level = -1;
    desc.allocator.alloc = h_alloc;
    desc.allocator.free = h_free;
    coin = bce_coin_create(&desc);
    bce_on(coin, "new_payment", on_seq, (void *)(intptr_t)0);
    memset(&md, 0, sizeof md);
    md.logger.level = -1;
    md.allocator = desc.allocator;
    m = bce_manager_create(&md);
    desc.xpub = NULL;
    bce_manager_configure(m, "BTC", &desc);
    desc.url = db.url;
    bce_manager_configure(m, "LTC", &desc);
    mb = bce_manager_add_wallet(m, "BTC", "soak-mb");
    ml = bce_manager_add_wallet(m, "LTC", "soak-ml");
    bce_on(mb, "new_payment", on_seq, (void *)(intptr_t)1);
    bce_on(ml, "new_payment", on_seq, (void *)(intptr_t)2);
    memset(&o, 0, sizeof o);
    o.reconnect_min_ms = 50;
    o.reconnect_max_ms = 500;
    o.drain_interval_ms = 500;
    o.ping_interval_ms = 1000;
    o.pong_timeout_ms = 1000;
    o.force_connect = 1;
    CHECK_INT(bce_coin_begin_websocket(coin, &o), BCE_OK);
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    t0 = _bce_now_ms();
    next_sample = t0 + 1000;
    next_drop = t0 + 3000;
    next_restart = t0 + 15000;
    warm_at = t0 + 5000;
    printf("soak: %d s, a coin and a manager (2 currencies) on 2 daemons; drops every 3 s, restarts every 15 s\n", seconds);
    printf("  t s   RSS KiB   heap B   delivered\n");
    while (_bce_now_ms() - t0 < (long long)seconds * 1000) {
        long long now = _bce_now_ms();
        int caught_up = total[0] == seq && total[1] == seq && total[2] == seq;
        if (caught_up && now >= next_inject && seq + 20 <= MAXSEQ && daemon_loaded(da.port, "soak-coin") && daemon_loaded(da.port, "soak-mb") && daemon_loaded(db.port, "soak-ml")) {
            inject(da.port, "soak-coin", seq, 20);
            inject(da.port, "soak-mb", seq, 20);
            inject(db.port, "soak-ml", seq, 20);
            seq += 20;
            next_inject = now + 100;            /* about 200 updates a second per wallet */
        }
        if (now >= next_drop) {
            http_request(da.port, "POST", "/_test/drop_ws", drops % 2 ? "{\"mode\":\"close\"}" : "{\"mode\":\"reset\"}", NULL, 0);
            http_request(db.port, "POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0);
            drops++;
            next_drop = now + 3000;
        }
        if (now >= next_restart && caught_up) {     /* nothing in flight: a restart may lose nothing */
            daemon_stop(&da);
            CHECK_INT(daemon_start(&da, argv_a), 0);
            restarts++;
            next_restart = now + 15000;
        }
        step_all(coin, m, 20);
        if (now >= next_sample) {
            long r = rss_kib();
            samples++;
            if (now >= warm_at && !rss_warm) { rss_warm = r; heap_warm = heap.bytes; }
            if (rss_warm && r > rss_max) rss_max = r;
            if (rss_warm && heap.bytes > heap_max) heap_max = heap.bytes;
            if (samples % 5 == 0)
                printf("  %3lld  %8ld  %7lld   %ld\n", (now - t0) / 1000, r, heap.bytes, total[0] + total[1] + total[2]);
            next_sample = now + 1000;
        }
    }
    t0 = _bce_now_ms();
    while ((total[0] < seq || total[1] < seq || total[2] < seq) && _bce_now_ms() - t0 < 10000) step_all(coin, m, 20);
    rss_end = rss_kib();
    printf("  injected %d per wallet; delivered %ld / %ld / %ld; duplicates %ld; drops %d; restarts %d\n", seq,
           total[0], total[1], total[2], dups[0] + dups[1] + dups[2], drops, restarts);
    printf("  RSS after warm-up %ld KiB, max %ld KiB, end %ld KiB; heap after warm-up %lld B, max %lld B, peak %lld B\n",
           rss_warm, rss_max, rss_end, heap_warm, heap_max, heap.peak);
    CHECK(seq > 0);
    CHECK_INT(total[0], seq);
    CHECK_INT(total[1], seq);
    CHECK_INT(total[2], seq);
    CHECK_INT(dups[0] + dups[1] + dups[2], 0);
    CHECK(restarts >= 1 || seconds < 16);
    CHECK(rss_max - rss_warm < 512);            /* flat: well under half a MiB of drift */
    CHECK(heap_max - heap_warm < 256 * 1024);
    bce_stop(coin);
    bce_coin_step(coin, 0);
    bce_manager_stop(m);
    bce_manager_step(m, 0);
    bce_coin_destroy(coin);
    bce_manager_destroy(m);
    CHECK_INT(heap.bytes, 0);
    daemon_stop(&da);
    daemon_stop(&db);
    if (test_failures_now) test_failed++; else test_passed++;
    TEST_MAIN_END("soak");
}
