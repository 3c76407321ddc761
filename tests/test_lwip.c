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
   bce_stop from another thread (no wake-up descriptor under lwIP: within BCE_LWIP_WAKE_MS). */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
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
    RUN(test_rpc_and_polling);
    RUN(test_websocket_restart);
    RUN(test_manager);
    RUN(test_stop_from_thread);
    daemon_stop(&dmn);
    TEST_MAIN_END("test_lwip");
}
