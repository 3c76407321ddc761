/* bench/embedded.c - the RAM one listening coin needs, default and embedded profiles, without
   and with TLS. One scenario per process, so that the kernel's peak RSS (VmHWM) is this
   scenario's alone:

       bench_embedded bare         does nothing (the baseline: same binary, same libraries)
       bench_embedded plain|tls    one coin (xpub "emb"): websocket to the aiohttp fake daemon
                                   on 127.0.0.1 (tls: https/wss with the test CA), catch-up
                                   call, 20 events delivered (tls: connected and the catch-up
                                   call answered; the daemon's control route is plain HTTP)

   Built by `make bench` as bench_embedded (library defaults), bench_embedded_small
   (-DEMBEDDED_SMALL: the manual's embedded profile, BCE_WS_RECV_BYTES and BCE_RPC_RECV_STEP
   1024 and 63-byte URL hosts and paths at compile time, small run-time limits, below); and
   bench_embedded_small32, the embedded profile with clang -m32 and -DEMBEDDED_NO_TLS (no
   mbedTLS: plain and bare only), for the heap on ILP32, the Cortex-M4's type sizes. Prints
   the library's heap high-water mark (a counting allocator in desc.allocator: every byte the
   library itself asked for; mbedTLS allocates through libc, not through it), the process heap from mallinfo2 (bytes in use above the start: mbedTLS's and
   the library's blocks alike, since the counting allocator calls malloc) and VmHWM in KiB.
   Built once more against the embedded TLS profile's mbedTLS 3.6 (bench_embedded_tls36s:
   bench/mbedtls_small_config.h, MBEDTLS_PLATFORM_MEMORY): mbedTLS then allocates through the
   same counting allocator, and the library heap peak is of both together.
   Needs $BUILD_DIR/certs (default build/certs; tests/make_certs.sh) and /usr/bin/python3 with aiohttp. Numbers only. */
#ifdef EMBEDDED_SMALL
#define BCE_WS_RECV_BYTES 1024
#define BCE_RPC_RECV_STEP 1024
#define BCE_URL_HOST_MAX 63
#define BCE_URL_PATH_MAX 63
#endif
#ifndef EMBEDDED_NO_TLS
#define BCE_USE_MBEDTLS
#endif
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include "tests/daemon.h"
#include <malloc.h>     /* mallinfo2 (glibc): the whole process's heap, mbedTLS included */
#include "bench_util.h" /* counter_t, count_alloc, count_free, vm_hwm_kib */

#ifdef MBEDTLS_PLATFORM_MEMORY
/* mbedTLS built with MBEDTLS_PLATFORM_MEMORY (build/mbedtls-3.6-small): its allocations go
   through the library's counting allocator too, so that the peak is of both together */
#include <mbedtls/platform.h>
static counter_t *g_ctr;
static long long g_tls_in_use, g_tls_peak;     /* mbedTLS's share alone */
static void *tls_calloc(size_t n, size_t size) {
    void *p;
    if (size && n > (size_t)-1 / size) return NULL;
    p = count_alloc(n * size, g_ctr);
    if (p) {
        memset(p, 0, n * size);
        g_tls_in_use += (long long)(n * size);
        if (g_tls_in_use > g_tls_peak) g_tls_peak = g_tls_in_use;
    }
    return p;
}
static void tls_free(void *p) {
    size_t n;
    if (!p) return;
    memcpy(&n, (unsigned char *)p - COUNTER_HDR, sizeof n);
    g_tls_in_use -= (long long)n;
    count_free(p, g_ctr);
}
#endif

static int handled;
static size_t heap_peak_libc, heap_base;

static void on_tx(const bce_event_t *ev, void *ud) {
    struct mallinfo2 m = mallinfo2();
    (void)ud;
    if (m.uordblks - heap_base > heap_peak_libc) heap_peak_libc = m.uordblks - heap_base;
    if (bce_event_str(ev, "tx")) handled++;
}

static int connected, inject_port;

static void on_connect(bce_coin_t *coin, const char *currency, void *ud) {
    (void)coin; (void)currency; (void)ud;
    connected = 1;
    /* delivered by the daemon's websocket or the catch-up call (the control route is plain
       HTTP: with TLS the run measures the connection and the catch-up call only) */
    if (inject_port) {      /* a daemon has events only for a loaded wallet: name it first */
        daemon_rpc(inject_port, "getbalance", "emb", NULL, 0);
        daemon_inject_seq(inject_port, "emb", 0, 20);
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "plain";
    int tls = strcmp(mode, "tls") == 0;
    const char *cert = build_path("certs/good.pem"), *key = build_path("certs/good.key");
    const char *targv_tls[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", "--tls-cert", cert, "--tls-key", key, NULL};
    const char *targv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", NULL};
    daemon_t d;
    counter_t ctr;
    bce_coin_desc_t desc;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    char url[64];
    int r;
    if (strcmp(mode, "bare") == 0) {
        printf("EMB\tbare\t0\t0\t%ld\n", vm_hwm_kib());
        return 0;
    }
#ifdef EMBEDDED_NO_TLS
    if (tls) { fprintf(stderr, "bench_embedded: built without TLS (EMBEDDED_NO_TLS)\n"); return 2; }
#endif
    if (daemon_start(&d, tls ? targv_tls : targv) != 0) return 1;
    memset(&ctr, 0, sizeof ctr);
#ifdef MBEDTLS_PLATFORM_MEMORY
    g_ctr = &ctr;
    mbedtls_platform_set_calloc_free(tls_calloc, tls_free);
#endif
    memset(&desc, 0, sizeof desc);
    memset(&o, 0, sizeof o);
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", tls ? "https" : "http", d.port);
    desc.url = url;
    desc.xpub = "emb";
    desc.tls.ca_file = build_path("certs/ca.pem");
    desc.allocator.alloc = count_alloc;
    desc.allocator.free = count_free;
    desc.allocator.user_data = &ctr;
#ifdef EMBEDDED_SMALL
    desc.limits.max_json_tokens = 32;           /* an update or websocket message: 10-20 tokens */
    desc.limits.max_header_bytes = 4096;
    desc.limits.max_response_bytes = 65536;     /* a get_updates answer: at most 100 updates */
    o.max_message_bytes = 16384;
    o.dedup_entries = 16;
#endif
    o.on_connect = on_connect;
    inject_port = tls ? 0 : d.port;
    heap_base = mallinfo2().uordblks;
    coin = bce_coin_create(&desc);
    if (!coin) return 1;
    bce_on(coin, "new_transaction", on_tx, NULL);
    r = bce_coin_begin_websocket(coin, &o);
    {   /* until 20 events (TLS: connected, then 1 s for the catch-up call), at most 15 s */
        int after = 0, i;
        for (i = 0; i < 300 && r == BCE_OK; i++) {
            if (bce_coin_step(coin, 50) < 0) break;
            if (tls ? connected && ++after >= 20 : handled >= 20) break;
        }
        if (tls) { struct mallinfo2 m = mallinfo2(); heap_peak_libc = m.uordblks - heap_base; }
        bce_stop(coin);
        bce_coin_step(coin, 0);
    }
    printf("EMB\t%s\t%lld\t%zu\t%ld\t%d events, %lld allocator calls, run ended with %s", mode, ctr.peak,
           heap_peak_libc, vm_hwm_kib(), handled, ctr.calls, bce_result_str(r));
#ifdef MBEDTLS_PLATFORM_MEMORY
    printf(" (mbedTLS's allocations counted in too: its own peak %lld B)", g_tls_peak);
#endif
    printf("\n");
    bce_coin_destroy(coin);
    daemon_stop(&d);
    return (tls ? connected : handled >= 20) ? 0 : 1;
}
