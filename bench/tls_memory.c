/* bench/tls_memory.c: heap bytes of a coin without and with TLS (mbedTLS defaults), measured
   with glibc mallinfo2 around create, a first call and a websocket connection. Prints numbers. */
#define BCE_USE_MBEDTLS
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include "tests/daemon.h"
#include <malloc.h>   /* mallinfo2: glibc only */
static size_t heap(void) { struct mallinfo2 m = mallinfo2(); return m.uordblks; }
int main(void) {
    const char *c = build_path("certs/good.pem"), *k = build_path("certs/good.key");
    const char *argv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", "--tls-cert", c, "--tls-key", k, NULL};
    const char *argv_plain[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--port", "0", NULL};
    daemon_t d, dp; char url[64], out[64]; size_t h0, h1, h2, h3;
    bce_coin_desc_t desc; bce_coin_t *coin;
    daemon_start(&d, argv); daemon_start(&dp, argv_plain);
    memset(&desc, 0, sizeof desc); desc.tls.ca_file = build_path("certs/ca.pem"); desc.xpub = "m";
    snprintf(url, sizeof url, "http://127.0.0.1:%d", dp.port); desc.url = url;
    h0 = heap(); coin = bce_coin_create(&desc); h1 = heap();
    bce_rpc(coin, "test_echo", NULL, out, sizeof out, NULL); h2 = heap();
    printf("plain: coin %zu B, after one call (connection kept) %zu B\n", h1 - h0, h2 - h0);
    bce_coin_destroy(coin);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", d.port); desc.url = url;
    h0 = heap(); coin = bce_coin_create(&desc); h1 = heap();
    bce_rpc(coin, "test_echo", NULL, out, sizeof out, NULL); h2 = heap();
    printf("tls: coin %zu B, after one call (config + CA + 1 connection) %zu B\n", h1 - h0, h2 - h0);
    { bce_ws_opts_t o; memset(&o, 0, sizeof o); o.disable_catch_up = 1; bce_coin_begin_websocket(coin, &o);
      for (int i = 0; i < 20 && coin->solo->link.ws.state != _BCE_WS_OPEN; i++) { bce_coin_step(coin, 50); }
      h3 = heap();
      printf("tls: + websocket connection %zu B (second TLS connection)\n", h3 - h2); bce_stop(coin); bce_coin_step(coin,0);
      printf("ROW\tTLS memory (mbedTLS 2.28 defaults, whole heap by mallinfo2)\tPython SDK 35.8 MiB\tdocumented\t"
             "coin + CA + 1 connection %zu B; + websocket connection %zu B\tmet\n", h2 - h0, h3 - h2); }
    bce_coin_destroy(coin);
    daemon_stop(&d); daemon_stop(&dp);
}
