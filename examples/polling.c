/* examples/polling.c - one wallet, asking the daemon for new events every interval.

   Shows: bce_poll_updates, one handler for every event that prints the whole update, and how
   polling ends: BCE_OK after bce_stop (Ctrl-C / SIGTERM here), BCE_ERR_AUTH on a wrong
   password. Failed calls (daemon down, timeouts) are logged and retried by the library.
   Polling needs no websocket, but each get_updates call empties the wallet's queue on the
   daemon: run one consumer per wallet.

   Build:  make                 (or: cc -I. examples/polling.c -o polling)
   Run:    ./build/example_polling URL XPUB [INTERVAL_MS]
             URL          the BTC daemon, e.g. http://127.0.0.1:5000
             XPUB  the wallet to watch: its real key (required; a daemon refuses a made-up
                   key such as vpub5ExampleWallet with JSON-RPC error -32005)
             INTERVAL_MS  time between two get_updates calls, default 1000
           BITCART_USER and BITCART_PASSWORD set the credentials (default electrum/electrumz). */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bce_coin_t *g_coin;   /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_stop(g_coin);        /* safe in a signal handler: bce_poll_updates returns soon */
}

/* Prints n bytes of JSON text from the daemon with control characters (C0, DEL, and C1
   encoded as UTF-8) shown as '?': a daemon must not be able to send escape sequences to your
   terminal. (Strict JSON has no raw C0 bytes, but DEL and C1 may appear inside strings.) */
static void print_text(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F) {
            c = '?';
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            c = '?';
        }
        putchar(c);
    }
}

/* One handler for all four events: the event's name, then the update as the daemon sent it.
   The JSON text is not NUL-terminated (hence %.*s) and lives until the handler returns. */
static void on_event(const bce_event_t *ev, void *user_data) {
    size_t len = 0;
    const char *json = bce_event_json(ev, NULL, &len);
    (void)user_data;
    printf("%s %s: ", bce_event_currency(ev), bce_event_name(ev));
    print_text(json ? json : "", len);
    putchar('\n');
}

int main(int argc, char **argv) {
    bce_coin_desc_t desc;
    struct sigaction sa;
    int interval_ms = argc > 3 ? atoi(argv[3]) : 1000;
    int r;

    if (argc < 3 || interval_ms <= 0) {
        fprintf(stderr, "usage: %s URL XPUB [INTERVAL_MS > 0]\n  URL   the BTC daemon, e.g. http://127.0.0.1:5000\n"
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
    if (bce_on(g_coin, "new_block, new_transaction, new_payment, verified_tx", on_event, NULL) != BCE_OK) {
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

    fprintf(stderr, "polling %s every %d ms\n", desc.url, interval_ms);
    r = bce_poll_updates(g_coin, interval_ms);  /* blocks until bce_stop: then BCE_OK */
    if (r != BCE_OK)
        fprintf(stderr, "polling: %s: %s\n", bce_result_str(r), bce_coin_last_error(g_coin));
    else
        fprintf(stderr, "stopped\n");
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the coin once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_coin_destroy(g_coin);
    return r == BCE_OK ? 0 : 1;
}
