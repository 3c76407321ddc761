/* examples/websocket.c - one wallet, events pushed by the daemon over its websocket.

   Shows: a coin for one wallet, one handler per event, bce_start_websocket with the
   on_connect / on_disconnect callbacks, and a clean stop on Ctrl-C (SIGINT) or SIGTERM.
   The library reconnects by itself and, after every connect, fetches what the daemon queued
   meanwhile (get_updates), so nothing the daemon still holds is missed or delivered twice.

   Build:  make                 (or: cc -I. examples/websocket.c -o websocket)
   Run:    ./build/example_websocket URL XPUB
             URL   the BTC daemon, e.g. http://127.0.0.1:5000
             XPUB  the wallet to watch: its real key (required; a daemon refuses a made-up
                   key such as vpub5ExampleWallet with JSON-RPC error -32005)
           BITCART_USER and BITCART_PASSWORD set the credentials (default electrum/electrumz).
   Events go to stdout, one line each; the connection status goes to stderr. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bce_coin_t *g_coin;   /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_stop(g_coin);        /* safe in a signal handler: bce_start_websocket returns soon */
}

/* Text from the daemon, made safe to print: bce_event_str decodes JSON escapes, so a string
   (like a close reason) may hold any character, escape sequences for your terminal included.
   Control characters (C0, DEL, and C1 encoded as UTF-8) become '?'; NULL (a missing
   argument: printf must never get NULL) becomes "-"; the copy is cut to the buffer. */
static const char *clean(const char *s, char *out, size_t cap) {
    size_t o = 0;
    if (!s) s = "-";
    for (; *s && o + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == 0xC2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9F) {
            c = '?';
            s++;
        } else if (c < 0x20 || c == 0x7F) {
            c = '?';
        }
        out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

#define TEXT_MAX 128
static const char *text(const bce_event_t *ev, const char *arg, char out[TEXT_MAX]) {
    return clean(bce_event_str(ev, arg), out, TEXT_MAX);
}

static void on_payment(const bce_event_t *ev, void *user_data) {
    long long status = -1;
    char a[TEXT_MAX], s[TEXT_MAX], n[TEXT_MAX];
    (void)user_data;
    bce_event_int(ev, "status", &status);
    printf("payment %s: %s (status %lld), %s received\n", text(ev, "address", a),
           text(ev, "status_str", s), status, text(ev, "sent_amount", n));
}

static void on_transaction(const bce_event_t *ev, void *user_data) {
    char t[TEXT_MAX];
    (void)user_data;
    printf("transaction %s\n", text(ev, "tx", t));
}

static void on_block(const bce_event_t *ev, void *user_data) {
    long long height = -1;
    (void)user_data;
    bce_event_int(ev, "height", &height);
    printf("block %lld\n", height);
}

static void on_verified(const bce_event_t *ev, void *user_data) {
    long long height = -1;
    char t[TEXT_MAX];
    (void)user_data;
    bce_event_int(ev, "height", &height);
    printf("verified %s at height %lld\n", text(ev, "tx", t), height);
}

static void on_connect(bce_coin_t *coin, const char *currency, void *user_data) {
    (void)user_data;
    fprintf(stderr, "connected to %s (%s)\n", bce_coin_url(coin), currency);
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *user_data) {
    char r[TEXT_MAX];
    (void)user_data;
    fprintf(stderr, "connection to %s lost (code %d: %s)\n", bce_coin_url(coin), code, clean(reason, r, sizeof r));
}

int main(int argc, char **argv) {
    bce_coin_desc_t desc;
    bce_ws_opts_t opts;
    struct sigaction sa;
    int r;

    if (argc < 3) {
        fprintf(stderr, "usage: %s URL XPUB\n  URL   the BTC daemon, e.g. http://127.0.0.1:5000\n"
                        "  XPUB  the wallet's real key (a daemon refuses a made-up one)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);   /* one event, one line, at once (even into a pipe) */
    memset(&desc, 0, sizeof desc);      /* zero means "the default" everywhere */
    desc.currency = "BTC";
    desc.url = argv[1];
    desc.xpub = argv[2];
    desc.user = getenv("BITCART_USER");          /* NULL: the default */
    desc.password = getenv("BITCART_PASSWORD");
    g_coin = bce_coin_create(&desc);
    if (!g_coin) return 1;                      /* the reason went to the logger (stderr) */

    if (bce_on(g_coin, "new_payment", on_payment, NULL) != BCE_OK ||
        bce_on(g_coin, "new_transaction", on_transaction, NULL) != BCE_OK ||
        bce_on(g_coin, "new_block", on_block, NULL) != BCE_OK ||
        bce_on(g_coin, "verified_tx", on_verified, NULL) != BCE_OK) {
        bce_coin_destroy(g_coin);
        return 1;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("sigaction");
        bce_coin_destroy(g_coin);
        return 1;
    }

    memset(&opts, 0, sizeof opts);      /* reconnect forever, ping every 15 s, catch up */
    opts.on_connect = on_connect;
    opts.on_disconnect = on_disconnect;
    r = bce_start_websocket(g_coin, &opts);      /* blocks until bce_stop: then BCE_OK */
    if (r != BCE_OK)
        fprintf(stderr, "websocket: %s: %s\n", bce_result_str(r), bce_coin_last_error(g_coin));
    else
        fprintf(stderr, "stopped\n");
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the coin once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_coin_destroy(g_coin);
    return r == BCE_OK ? 0 : 1;
}
