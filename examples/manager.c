/* examples/manager.c - one program, two currencies: a BTC wallet and an LTC wallet.

   Shows: the manager (the SDK's APIManager): per-currency settings with bce_manager_configure,
   wallets added with bce_manager_add_wallet, one handler for every wallet, and
   bce_manager_start_websocket, which keeps one websocket per currency, all in this thread.
   Each event says which currency and which wallet it is for; new_block is global (no wallet).
   The manager hears every wallet of each daemon, also wallets it was not given (as the SDK
   does): bce_manager_wallet tells them apart.

   Build:  make                 (or: cc -I. examples/manager.c -o manager)
   Run:    ./build/example_manager BTC_URL LTC_URL BTC_XPUB LTC_XPUB
             BTC_URL, LTC_URL    the daemons, e.g. http://127.0.0.1:5000 and http://127.0.0.1:5001
             BTC_XPUB, LTC_XPUB  the wallets' real keys (required: a daemon refuses a made-up
                                 key such as vpub5ExampleWallet with JSON-RPC error -32005)
           BITCART_USER and BITCART_PASSWORD set the credentials of both daemons. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bce_manager_t *g_manager;   /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_manager_stop(g_manager);   /* safe in a signal handler: the websockets close soon */
}

/* Prints n bytes of text from the daemon (a wallet key, an update's JSON) with control characters (C0, DEL, and C1
   encoded as UTF-8) shown as '?': a daemon must not be able to send escape sequences to your
   terminal. (A decoded wallet key may hold any character.) */
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

/* Every event of every wallet; user_data is the manager. bce_event_instance(ev) is the
   wallet's coin, should you keep data per wallet. */
static void on_event(const bce_event_t *ev, void *user_data) {
    const char *currency = bce_event_currency(ev), *wallet = bce_event_wallet(ev);
    int ours = wallet && bce_manager_wallet((bce_manager_t *)user_data, currency, wallet);
    size_t len = 0;
    const char *json = bce_event_json(ev, NULL, &len);
    printf("%s ", currency);
    if (wallet) print_text(wallet, strlen(wallet));
    else fputs("(every wallet)", stdout);
    printf("%s %s: ", wallet && !ours ? " (not ours)" : "", bce_event_name(ev));
    print_text(json ? json : "", len);
    putchar('\n');
}

static void on_connect(bce_coin_t *coin, const char *currency, void *user_data) {
    (void)user_data;
    fprintf(stderr, "%s: connected to %s\n", currency, bce_coin_url(coin));
}

/* Settings for one currency (url, credentials), then its wallet. */
static int add(bce_manager_t *m, const char *currency, const char *url, const char *xpub) {
    bce_coin_desc_t params;
    memset(&params, 0, sizeof params);
    params.url = url;
    params.user = getenv("BITCART_USER");        /* NULL: the default */
    params.password = getenv("BITCART_PASSWORD");
    if (bce_manager_configure(m, currency, &params) != BCE_OK) return 0;
    return bce_manager_add_wallet(m, currency, xpub) != NULL;
}

int main(int argc, char **argv) {
    bce_ws_opts_t opts;
    struct sigaction sa;
    int r;

    if (argc < 5) {
        fprintf(stderr, "usage: %s BTC_URL LTC_URL BTC_XPUB LTC_XPUB\n"
                        "  the wallets' real keys (a daemon refuses made-up ones)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);   /* one event, one line, at once (even into a pipe) */
    g_manager = bce_manager_create(NULL);        /* NULL: default logger and limits */
    if (!g_manager) return 1;
    if (!add(g_manager, "BTC", argv[1], argv[3]) || !add(g_manager, "LTC", argv[2], argv[4]) ||
        bce_manager_on(g_manager, "new_block, new_transaction, new_payment, verified_tx", on_event,
                       g_manager) != BCE_OK) {
        bce_manager_destroy(g_manager);
        return 1;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("sigaction");
        bce_manager_destroy(g_manager);
        return 1;
    }

    memset(&opts, 0, sizeof opts);      /* reconnect forever, ping, catch up per currency */
    opts.on_connect = on_connect;
    r = bce_manager_start_websocket(g_manager, &opts);   /* until bce_manager_stop: BCE_OK */
    if (r != BCE_OK)
        fprintf(stderr, "manager: %s\n", bce_result_str(r));
    else
        fprintf(stderr, "stopped\n");
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the manager once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_manager_destroy(g_manager);      /* frees its coins too */
    return r == BCE_OK ? 0 : 1;
}
