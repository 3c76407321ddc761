/* bench/min_listener.c - the smallest useful listener: one coin, its websocket, each
   new_transaction's tx id written to stdout with write(2). No stdio (BCE_NO_STDIO), no TLS,
   no name resolution (BCE_NO_DNS: the URL holds an IP address). `make bench` builds it
   statically with musl (Makefile MIN_FLAGS) and reports its stripped size:

       musl-gcc -std=c99 -static -Os -s -ffunction-sections -fdata-sections -Wl,--gc-sections \
                -fno-asynchronous-unwind-tables -fno-unwind-tables -Wl,-z,noseparate-code -Wl,-z,norelro \
                -I. bench/min_listener.c -o build/min_listener

   Usage: min_listener URL XPUB [CURRENCY]      e.g. min_listener http://127.0.0.1:5000 vpub5Y...
   tests/test_min_listener.sh runs it against the fake daemon (make perf-checks). */
#define BCE_NO_STDIO
#define BCE_NO_DNS
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"

static void put(const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void on_tx(const bce_event_t *ev, void *user_data) {
    const char *tx = bce_event_str(ev, "tx");
    (void)user_data;
    if (!tx) return;
    put(tx, strlen(tx));
    put("\n", 1);
}

int main(int argc, char **argv) {
    bce_coin_desc_t desc;
    bce_coin_t *coin;
    int r;
    if (argc < 3) {
        put("usage: min_listener URL XPUB [CURRENCY]\n", 40);
        return 2;
    }
    memset(&desc, 0, sizeof desc);
    desc.url = argv[1];
    desc.xpub = argv[2];
    desc.currency = argc > 3 ? argv[3] : "BTC";
    coin = bce_coin_create(&desc);
    if (!coin) return 1;
    bce_on(coin, "new_transaction", on_tx, NULL);
    r = bce_start_websocket(coin, NULL);         /* reconnects until stopped or a wrong password */
    bce_coin_destroy(coin);
    return r == BCE_OK ? 0 : 1;
}
