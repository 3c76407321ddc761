/* tests/test_win_tls.c: https:// and wss:// in the Windows build (mingw-w64, mbedTLS 3.6 built
   with it; run under wine by tests/portability.sh), against the aiohttp fake daemon serving TLS
   on the Linux side: a Windows program cannot start it, so the script does and hands over
       BCE_TEST_TLS_GOOD   port of a daemon with certs/good.pem (names localhost, 127.0.0.1)
       BCE_TEST_TLS_OTHER  port of one with certs/other.pem (names another host)
       BCE_TEST_TLS_SELF   port of one with certs/self.pem (self-signed, not under the test CA)
       BCE_TEST_TLS_CA     the test CA as a Windows path (Z:\...)
   Cases: verified (JSON-RPC and the websocket), the wrong host refused, an untrusted CA
   refused, and without tls.ca_file the Windows ROOT store (which does not hold the test CA:
   refused as untrusted, or, in a prefix with an empty store, "no CA bundle found"). */
#define BCE_USE_MBEDTLS
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"

static int good, other, self;
static const char *ca;

static bce_coin_t *coin(const char *host, int port, const char *ca_file) {
    char url[96];
    bce_coin_desc_t d;
    memset(&d, 0, sizeof d);
    snprintf(url, sizeof url, "https://%s:%d", host, port);
    d.url = url;        /* copied by bce_coin_create */
    d.xpub = "w";
    d.tls.ca_file = ca_file;
    d.connect_timeout_ms = 5000;
    d.rpc_timeout_ms = 10000;
    d.logger.level = -1;
    return bce_coin_create(&d);
}

static int echo(bce_coin_t *c, char *out, size_t cap) {
    size_t n;
    return bce_rpc(c, "test_echo", "[\"tls\"]", out, cap, &n);
}

static void test_verified(void) {
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    size_t i;
    for (i = 0; i < 2; i++) {
        char out[256];
        bce_coin_t *c = coin(hosts[i], good, ca);
        int r = echo(c, out, sizeof out);
        if (r != BCE_OK) fprintf(stderr, "%s: %s\n", hosts[i], bce_coin_last_error(c));
        CHECK_INT(r, BCE_OK);
        if (r == BCE_OK) CHECK_STR(out, "[\"tls\",{\"xpub\":\"w\"}]");
        CHECK_INT(echo(c, out, sizeof out), BCE_OK);         /* the kept-alive connection */
        bce_coin_destroy(c);
    }
}

static int connected;
static void on_connect(bce_coin_t *c, const char *currency, void *ud) {
    (void)c; (void)currency; (void)ud;
    connected++;
}

static void test_wss(void) {
    bce_coin_t *c = coin("127.0.0.1", good, ca);
    bce_ws_opts_t o;
    int i;
    memset(&o, 0, sizeof o);
    o.on_connect = on_connect;
    o.disable_catch_up = 1;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    for (i = 0; i < 200 && !connected; i++) bce_coin_step(c, 50);
    if (!connected) fprintf(stderr, "wss: %s\n", bce_coin_last_error(c));
    CHECK_INT(connected, 1);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
}

static void refused(const char *host, int port, const char *ca_file, const char *why, const char *why2) {
    char out[64];
    bce_coin_t *c = coin(host, port, ca_file);
    const char *e;
    CHECK_INT(echo(c, out, sizeof out), BCE_ERR_TLS);
    e = bce_coin_last_error(c);
    printf("  https://%s:%d, %s: %s\n", host, port, ca_file ? "tls.ca_file" : "no tls.ca_file", e);
    if (!strstr(e, why) && !(why2 && strstr(e, why2))) fprintf(stderr, "%s:%d: %s\n", host, port, e);
    CHECK(strstr(e, why) != NULL || (why2 && strstr(e, why2) != NULL));
    bce_coin_destroy(c);
}

static void test_wrong_host(void) {
    refused("127.0.0.1", other, ca, "host name mismatch", NULL);
    refused("localhost", other, ca, "host name mismatch", NULL);
}

static void test_untrusted(void) {
    refused("127.0.0.1", self, ca, "untrusted issuer", NULL);
}

static void test_root_store(void) {
    refused("localhost", good, NULL, "untrusted issuer", "Windows ROOT store");
}

static int env_port(const char *name) {
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}

int main(void) {
    good = env_port("BCE_TEST_TLS_GOOD");
    other = env_port("BCE_TEST_TLS_OTHER");
    self = env_port("BCE_TEST_TLS_SELF");
    ca = getenv("BCE_TEST_TLS_CA");
    if (!good || !other || !self || !ca) {
        fprintf(stderr, "test_win_tls: set BCE_TEST_TLS_GOOD, _OTHER, _SELF and _CA (tests/portability.sh does)\n");
        printf("test_win_tls: 0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_verified);
    RUN(test_wss);
    RUN(test_wrong_host);
    RUN(test_untrusted);
    RUN(test_root_store);
    mbedtls_psa_crypto_free();
    TEST_MAIN_END("test_win_tls");
}
