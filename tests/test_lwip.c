/* tests/test_lwip.c: the library with BCE_USE_LWIP over a real lwIP stack (Debian's
   liblwip-dev, lwIP 2.1.3's unix port: tcpip_init, a TAP netif), not the kernel's. Run by
   tests/test_lwip.sh inside a network namespace of its own, where a TAP device (name in
   $PRECONFIGURED_TAPIF) has the kernel's side 10.201.0.1/30 and this program's lwIP the other
   address, 10.201.0.2. The C fake daemon listens on 0.0.0.0 in that namespace: the library
   reaches it at 10.201.0.1 through lwIP and the TAP device; this program's control requests
   (/_test routes, tests/daemon.h) go over the namespace's own kernel loopback. Those two
   addresses are the one exception to the tests' "127.0.0.1 only" rule: they exist only inside
   the test's namespace, so no packet leaves it.
   Covered: JSON-RPC and polling, the websocket with catch-up after the daemon restarts (same
   port, updates queued while it was down), a manager's websocket for two wallets, and
   bce_stop from another thread (no wake-up descriptor under lwIP: within BCE_LWIP_WAKE_MS).
   TLS over lwIP (BCE_USE_MBEDTLS; built on mbedTLS 2.28, 3.6 and 3.6-small): the aiohttp fake
   daemon serving https/wss in the namespace with tests/make_certs.sh's certificate for
   10.201.0.1; a coin
   trusting the test CA from memory (tls.ca_pem) gets its events by https polling, the wss
   websocket and its catch-up; a certificate for another host, an untrusted CA, no CA at all
   and a failing entropy hook are refused. The entropy for mbedTLS comes through BCE_RANDOM,
   as on a device (here: getrandom(2)). */
#include <stddef.h>          /* (nothing that sets glibc's feature macros before the header) */
static int test_random(unsigned char *buf, size_t n);
#define BCE_RANDOM(buf, n) test_random((buf), (n))
#define BCE_USE_MBEDTLS
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include <sys/random.h>
static long g_rand_big;         /* BCE_RANDOM calls for more than 8 bytes (mbedTLS's entropy) */
static int g_rand_fail;         /* 1: the hook fails */
static int test_random(unsigned char *buf, size_t n) {
    if (g_rand_fail) return -1;
    if (n > 8) g_rand_big++;
    return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}
#include "test.h"
#include "daemon.h"
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"
#include <pthread.h>
#include <time.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#define TALLY_MAX 1000
#include "tally.h"

static int port;
static daemon_t dmn;
static struct netif nif;

static void stack_ready(void *arg) { sys_sem_signal((sys_sem_t *)arg); }

/* The TAP netif: a small driver of our own. Debian's tapif_init/tapif_poll (liblwip.so
   2.1.3-3) overflow a heap block on receive (valgrind: pbuf_take writes past the 616-byte
   block pbuf_alloc gave it, for a 1 KB frame), so frames are read here into PBUF_RAM pbufs
   and handed to lwIP's tcpip_input; everything above the link is Debian's lwIP. */
static int tap_fd = -1;

static err_t tap_linkoutput(struct netif *n, struct pbuf *p) {
    static unsigned char frame[1600];
    u16_t len;
    (void)n;
    if (p->tot_len > sizeof frame) return ERR_BUF;
    len = pbuf_copy_partial(p, frame, p->tot_len, 0);
    return write(tap_fd, frame, len) == (ssize_t)len ? ERR_OK : ERR_IF;
}

static void *tap_reader(void *arg) {
    static unsigned char frame[1600];
    (void)arg;
    for (;;) {
        ssize_t r = read(tap_fd, frame, sizeof frame);
        struct pbuf *p;
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            return NULL;
        }
        p = pbuf_alloc(PBUF_RAW, (u16_t)r, PBUF_RAM);
        if (!p) continue;
        pbuf_take(p, frame, (u16_t)r);
        if (nif.input(p, &nif) != ERR_OK) pbuf_free(p);
    }
}

static err_t tap_netif_init(struct netif *n) {
    struct ifreq ifr;
    static const u8_t mac[6] = {0x02, 0x00, 0x0a, 0xc9, 0x00, 0x02};
    tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tap_fd < 0) return ERR_IF;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", getenv("PRECONFIGURED_TAPIF"));
    if (ioctl(tap_fd, TUNSETIFF, &ifr) < 0) return ERR_IF;
    n->name[0] = 't';
    n->name[1] = 'p';
    n->output = etharp_output;
    n->linkoutput = tap_linkoutput;
    n->mtu = 1500;
    n->hwaddr_len = 6;
    memcpy(n->hwaddr, mac, 6);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

/* lwIP's own TCP/IP thread and the TAP netif at 10.201.0.2/30 (gateway: the kernel's side). */
static int stack_up(void) {
    sys_sem_t sem;
    ip4_addr_t ip, mask, gw;
    struct netif *n;
    if (sys_sem_new(&sem, 0) != ERR_OK) return -1;
    tcpip_init(stack_ready, &sem);
    sys_sem_wait(&sem);
    sys_sem_free(&sem);
    IP4_ADDR(&ip, 10, 201, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 252);
    IP4_ADDR(&gw, 10, 201, 0, 1);
    LOCK_TCPIP_CORE();
    n = netif_add(&nif, &ip, &mask, &gw, NULL, tap_netif_init, tcpip_input);
    if (n) {
        netif_set_default(&nif);
        netif_set_up(&nif);
        netif_set_link_up(&nif);
    }
    UNLOCK_TCPIP_CORE();
    {
        pthread_t th;
        if (!n || pthread_create(&th, NULL, tap_reader, NULL) != 0) return -1;
        pthread_detach(th);
    }
    return 0;
}

static bce_coin_t *coin_for(const char *wallet) {
    bce_coin_desc_t d;
    char url[64];
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://10.201.0.1:%d", port);
    d.url = url;
    d.xpub = wallet;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    return bce_coin_create(&d);
}

static int restart_daemon(void) {
    char p[16];
    const char *argv[] = {FAKE_DAEMON, "--host", "0.0.0.0", "--port", p, NULL};
    snprintf(p, sizeof p, "%d", port);
    daemon_stop(&dmn);
    if (daemon_start(&dmn, argv) != 0) return -1;
    return dmn.port == port ? 0 : -1;
}

/* JSON-RPC through lwIP, then polling until 100 updates arrived, exactly once. */
static void test_rpc_and_polling(void) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = coin_for("lwip-poll");
    char out[4096];
    size_t len = 0;
    CHECK(c != NULL && t != NULL);
    if (!c || !t) { free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, &len), BCE_OK);
    CHECK_STR(out, "[]");
    CHECK_INT(daemon_inject_seq(port, "lwip-poll", 0, 100), 0);
    CHECK_INT(bce_coin_start_polling(c, 30), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->total >= 100, 10000);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    CHECK_INT(t->total, 100);
    CHECK_INT(t->dups, 0);
    CHECK_INT(gaps(t, 100), 0);
    CHECK_STR(t->wallet, "lwip-poll");
    bce_coin_destroy(c);
    free(t);
}

/* The websocket streams; the daemon is restarted on the same port (a restarted daemon knows
   no wallet, so nothing can be queued for the coin before it reconnects): the coin reconnects
   (its backoff is 1 s), loads its wallet again and streams; then the daemon resets the
   websocket and updates queued meanwhile arrive through catch-up. Every update exactly once. */
static void test_websocket_restart(void) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = coin_for("lwip-ws");
    bce_ws_opts_t o;
    int seq = 0, k;
    CHECK(c != NULL && t != NULL);
    if (!c || !t) { free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.on_disconnect = on_disc;
    o.user_data = t;
    o.reconnect_min_ms = 1000;
    o.reconnect_max_ms = 1000;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->connects == 1 && daemon_loaded(port, "lwip-ws"), 5000);
    CHECK_INT(t->connects, 1);
    for (k = 0; k < 5; k++) {
        CHECK_INT(daemon_inject_seq(port, "lwip-ws", seq, 20), 0);
        seq += 20;
        bce_coin_step(c, 5);
    }
    STEP_UNTIL(bce_coin_step, c, t->total >= seq, 5000);
    CHECK_INT(t->total, seq);
    CHECK_INT(restart_daemon(), 0);
    STEP_UNTIL(bce_coin_step, c, t->disconnects >= 1, 5000);
    CHECK_INT(t->disconnects, 1);
    CHECK_INT(t->connects, 1);
    STEP_UNTIL(bce_coin_step, c, t->connects >= 2 && daemon_loaded(port, "lwip-ws"), 8000);
    CHECK_INT(t->connects, 2);
    CHECK_INT(daemon_inject_seq(port, "lwip-ws", seq, 40), 0);
    seq += 40;
    STEP_UNTIL(bce_coin_step, c, t->total >= seq, 8000);
    CHECK_INT(t->total, seq);
    /* catch-up: the daemon (wallet loaded) resets the websocket; what is injected then is
       queued only, and comes through get_updates after the reconnect */
    CHECK_INT(http_request(port, "POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0), 0);
    CHECK_INT(daemon_inject_seq(port, "lwip-ws", seq, 40), 0);
    seq += 40;
    STEP_UNTIL(bce_coin_step, c, t->connects >= 3 && t->total >= seq, 8000);
    CHECK_INT(t->connects, 3);
    CHECK_INT(t->total, seq);
    CHECK_INT(t->dups, 0);
    CHECK_INT(t->bad, 0);
    CHECK_INT(gaps(t, seq), 0);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    free(t);
}

/* Two wallets on one manager websocket over lwIP: each routed to its wallet, exactly once. */
static void test_manager(void) {
    tally_t *t = (tally_t *)calloc(2, sizeof *t);
    bce_manager_t *m = bce_manager_create(NULL);
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    char url[64];
    int i;
    CHECK(m != NULL && t != NULL);
    if (!m || !t) { free(t); bce_manager_destroy(m); return; }
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "http://10.201.0.1:%d", port);
    d.url = url;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    CHECK_INT(bce_manager_configure(m, "BTC", &d), BCE_OK);
    CHECK(bce_on(bce_manager_add_wallet(m, "BTC", "lwip-m0"), "new_transaction", on_seq, &t[0]) == BCE_OK);
    CHECK(bce_on(bce_manager_add_wallet(m, "BTC", "lwip-m1"), "new_transaction", on_seq, &t[1]) == BCE_OK);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = &t[0];
    CHECK_INT(bce_manager_begin_websocket(m, NULL, &o), BCE_OK);
    STEP_UNTIL(bce_manager_step, m, t[0].connects == 1 && daemon_loaded(port, "lwip-m0") && daemon_loaded(port, "lwip-m1"), 5000);
    CHECK_INT(t[0].connects, 1);
    CHECK_INT(daemon_inject_seq(port, "lwip-m0", 0, 30), 0);
    CHECK_INT(daemon_inject_seq(port, "lwip-m1", 0, 50), 0);
    STEP_UNTIL(bce_manager_step, m, t[0].total >= 30 && t[1].total >= 50, 5000);
    for (i = 0; i < 2; i++) {
        CHECK_INT(t[i].total, i ? 50 : 30);
        CHECK_INT(t[i].dups, 0);
        CHECK_INT(gaps(&t[i], i ? 50 : 30), 0);
        CHECK_STR(t[i].wallet, i ? "lwip-m1" : "lwip-m0");
    }
    bce_manager_stop(m);
    CHECK_INT(bce_manager_step(m, 0), 0);
    bce_manager_destroy(m);
    free(t);
}

/* bce_stop from another thread ends a blocking websocket run that has no timer: under lwIP
   there is no wake-up descriptor, so within BCE_LWIP_WAKE_MS (100 ms) plus scheduling. */
typedef struct stopper_t {
    bce_coin_t *coin;
    volatile int connected, done;
    volatile long long stopped_at;
} stopper_t;

static void on_conn_flag(bce_coin_t *c, const char *cur, void *ud) { (void)c; (void)cur; ((stopper_t *)ud)->connected = 1; }

static void *stopper(void *p) {
    stopper_t *s = (stopper_t *)p;
    long long t0 = _bce_now_ms();
    struct timespec ts = {0, 5000000L};
    while (!s->connected && !s->done && _bce_now_ms() - t0 < 10000) nanosleep(&ts, NULL);
    t0 = _bce_now_ms();
    while (!s->done && _bce_now_ms() - t0 < 300) nanosleep(&ts, NULL);   /* into the untimed wait */
    if (s->done) return NULL;
    s->stopped_at = _bce_now_ms();
    bce_stop(s->coin);
    return NULL;
}

static void test_stop_from_thread(void) {
    stopper_t s;
    bce_ws_opts_t o;
    pthread_t th;
    long long late;
    int r;
    memset(&s, 0, sizeof s);
    s.coin = coin_for("lwip-stop");
    CHECK(s.coin != NULL);
    if (!s.coin) return;
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn_flag;
    o.user_data = &s;
    o.ping_interval_ms = -1;
    o.drain_interval_ms = -1;
    o.disable_catch_up = 1;
    CHECK_INT(pthread_create(&th, NULL, stopper, &s), 0);
    r = bce_start_websocket(s.coin, &o);
    late = _bce_now_ms() - s.stopped_at;
    s.done = 1;
    pthread_join(th, NULL);
    CHECK_INT(r, BCE_OK);
    CHECK_INT(s.connected, 1);
    CHECK(s.stopped_at > 0);
    CHECK(late <= BCE_LWIP_WAKE_MS + 400);
    printf("  bce_stop seen after %lld ms\n", late);
    bce_coin_destroy(s.coin);
}

/* ---- TLS over lwIP ------------------------------------------------------------------------ */

static char g_certs[400], *g_ca_pem, *g_self_pem;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = (char *)malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* The aiohttp daemon serving TLS with certificate cert on 0.0.0.0 in the namespace. */
static int tls_daemon(daemon_t *d, const char *cert) {
    char c[512], k[512];
    const char *argv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--host", "0.0.0.0", "--port", "0",
                          "--tls-cert", c, "--tls-key", k, NULL};
    snprintf(c, sizeof c, "%s%s.pem", g_certs, cert);
    snprintf(k, sizeof k, "%s%s.key", g_certs, cert);
    return daemon_start(d, argv);
}

static bce_coin_t *tls_coin(int tport, const char *ca_pem, const char *ca_file, const char *xpub) {
    bce_coin_desc_t d;
    char url[64];
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "https://10.201.0.1:%d", tport);
    d.url = url;
    d.xpub = xpub;
    d.tls.ca_pem = ca_pem;
    d.tls.ca_file = ca_file;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    return bce_coin_create(&d);
}

/* The daemon's control routes sit behind its TLS port: a raw POST to /_test/inject through
   the library's own connection machinery, over lwIP like everything else. */
static void inject_tls(int tport, int from, int count, const char *wallet) {
    char body[4096], req[4600];
    size_t o = 0;
    int i, k;
    bce_coin_t *ctl = tls_coin(tport, g_ca_pem, NULL, NULL);
    _bce_rpc_t *r;
    void *buf;
    CHECK(ctl != NULL);
    if (!ctl) return;
    o += (size_t)snprintf(body + o, sizeof body - o, "{\"wallet\":\"%s\",\"updates\":[", wallet);
    for (i = from; i < from + count; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}",
                              i == from ? "" : ",", i, i);
    snprintf(body + o, sizeof body - o, "]}");
    r = &ctl->solo->link.rpc;
    CHECK_INT(_bce_rpc_begin(r, "x", NULL, 0, "null", _bce_now_ms()), BCE_OK);
    k = snprintf(req, sizeof req, "POST /_test/inject HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %u\r\n\r\n%s", r->ep->url.host, r->ep->url.port, (unsigned)strlen(body), body);
    buf = r->out;
    CHECK_INT(_bce_grow(r->ep->alloc, &buf, &r->out_cap, (size_t)k, 1, (size_t)-1), BCE_OK);
    r->out = (char *)buf;
    memcpy(r->out, req, (size_t)k);
    r->out_len = (size_t)k;
    r->out_off = 0;
    _bce_rpc_wait(r, -1, NULL);
    CHECK_INT(r->resp.status, 200);
    r->state = _BCE_RPC_IDLE;
    bce_coin_destroy(ctl);
}

/* A verified https/wss coin over lwIP, the CA given in memory: polling, then the websocket
   with updates queued before it connected (catch-up over https) and live ones. */
static void test_tls_stream(void) {
    daemon_t td;
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = NULL;
    bce_ws_opts_t o;
    char out[64];
    long before = g_rand_big;
    CHECK(t != NULL && g_ca_pem != NULL);
    if (!t || !g_ca_pem) { free(t); return; }
    CHECK_INT(tls_daemon(&td, "lwip"), 0);
    c = tls_coin(td.port, g_ca_pem, NULL, "lwip-tls");
    CHECK(c != NULL);
    if (!c) { daemon_stop(&td); free(t); return; }
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, NULL), BCE_OK);   /* loads the wallet */
    if (strcmp(bce_coin_last_error(c), "") != 0) printf("  %s\n", bce_coin_last_error(c));
    CHECK(g_rand_big > before);     /* mbedTLS's DRBG was seeded through BCE_RANDOM */
    inject_tls(td.port, 0, 20, "lwip-tls");
    CHECK_INT(bce_coin_start_polling(c, 20), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->total >= 20, 8000);
    CHECK_INT(t->total, 20);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    inject_tls(td.port, 20, 10, "lwip-tls");       /* queued: comes by catch-up */
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = t;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    STEP_UNTIL(bce_coin_step, c, t->total >= 30, 8000);
    CHECK_INT(t->connects, 1);
    CHECK_INT(t->total, 30);
    inject_tls(td.port, 30, 30, "lwip-tls");       /* live, over wss */
    STEP_UNTIL(bce_coin_step, c, t->total >= 60, 8000);
    CHECK_INT(t->total, 60);
    CHECK_INT(t->dups, 0);
    CHECK_INT(gaps(t, 60), 0);
    CHECK_INT(t->bad, 0);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    daemon_stop(&td);
    free(t);
}

/* bce_rpc on a coin of ca_pem/ca_file against port must fail with BCE_ERR_TLS naming why. */
static void refused(int tport, const char *ca_pem, const char *ca_file, const char *why) {
    bce_coin_t *c = tls_coin(tport, ca_pem, ca_file, NULL);
    char out[64];
    CHECK(c != NULL);
    if (!c) return;
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, NULL), BCE_ERR_TLS);
    if (!strstr(bce_coin_last_error(c), why)) printf("  last error: %s (expected: %s)\n", bce_coin_last_error(c), why);
    CHECK(strstr(bce_coin_last_error(c), why) != NULL);
    bce_coin_destroy(c);
}

/* What must not connect: a certificate for another host (the "good" one names 127.0.0.1 and
   localhost, not 10.201.0.1), an untrusted CA (the self-signed one trusted instead of the test
   CA), no CA at all (an lwIP build has no system bundle), and mbedTLS without entropy (the
   BCE_RANDOM hook fails). The CA file still works where there is a file system. */
static void test_tls_refused(void) {
    daemon_t good, lw;
    char ca_file[512], out[64];
    bce_coin_t *c;
    CHECK_INT(tls_daemon(&good, "good"), 0);
    refused(good.port, g_ca_pem, NULL, "host name mismatch");
    daemon_stop(&good);
    CHECK_INT(tls_daemon(&lw, "lwip"), 0);
    refused(lw.port, g_self_pem, NULL, "untrusted issuer");
    refused(lw.port, NULL, NULL, "no CA");
    g_rand_fail = 1;
    refused(lw.port, g_ca_pem, NULL, "cannot seed the random generator");
    g_rand_fail = 0;
    snprintf(ca_file, sizeof ca_file, "%sca.pem", g_certs);
    c = tls_coin(lw.port, NULL, ca_file, "lwip-file");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, NULL), BCE_OK);
        if (strcmp(bce_coin_last_error(c), "") != 0) printf("  %s\n", bce_coin_last_error(c));
        bce_coin_destroy(c);
    }
    daemon_stop(&lw);
}

int main(void) {
    const char *argv[] = {FAKE_DAEMON, "--host", "0.0.0.0", "--port", "0", NULL};
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!getenv("PRECONFIGURED_TAPIF") || stack_up() != 0) {
        fprintf(stderr, "test_lwip: no lwIP netif (run through tests/test_lwip.sh)\n");
        printf("test_lwip: 0 passed, 1 failed\n");
        return 1;
    }
    if (daemon_start(&dmn, argv) != 0) {
        printf("test_lwip: 0 passed, 1 failed\n");
        return 1;
    }
    port = dmn.port;
    printf("test_lwip: TLS on mbedTLS %s\n", MBEDTLS_VERSION_STRING);
    {
        char cmd[600];
        snprintf(g_certs, sizeof g_certs, "%s", build_path("certs/"));
        snprintf(cmd, sizeof cmd, "bash tests/make_certs.sh '%s'", g_certs);
        if (system(cmd) != 0) fprintf(stderr, "test_lwip: tests/make_certs.sh failed\n");
        g_ca_pem = slurp(build_path("certs/ca.pem"));
        g_self_pem = slurp(build_path("certs/self.pem"));
    }
    RUN(test_rpc_and_polling);
    RUN(test_websocket_restart);
    RUN(test_manager);
    RUN(test_stop_from_thread);
    RUN(test_tls_stream);
    RUN(test_tls_refused);
    daemon_stop(&dmn);
    free(g_ca_pem);
    free(g_self_pem);
    TEST_MAIN_END("test_lwip");
}
