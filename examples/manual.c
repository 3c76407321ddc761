/* examples/manual.c: feed updates in by hand, for when you bring your own transport.
   Build: cc -I. examples/manual.c -o manual */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <stdio.h>
#include <string.h>

static void on_payment(const bce_event_t *ev, void *user_data) {
    long long status = -1;
    (void)user_data;
    bce_event_int(ev, "status", &status);
    printf("%s %s: request %s is now %s (status %lld), %s received\n", bce_event_currency(ev),
           bce_event_name(ev), bce_event_str(ev, "address"), bce_event_str(ev, "status_str"), status,
           bce_event_str(ev, "sent_amount"));
}

static void on_other(const bce_event_t *ev, void *user_data) {
    long long height;
    (void)user_data;
    if (bce_event_int(ev, "height", &height))
        printf("%s %s at height %lld\n", bce_event_currency(ev), bce_event_name(ev), height);
    else
        printf("%s %s %s\n", bce_event_currency(ev), bce_event_name(ev), bce_event_str(ev, "tx"));
}

int main(void) {
    /* what a daemon's get_updates call returns */
    const char *updates =
        "[{\"event\":\"new_transaction\",\"tx\":\"9f2c5e\"},"
        " {\"event\":\"new_payment\",\"address\":\"d2f0a1b3c4\",\"status\":7,\"status_str\":\"Unconfirmed\","
        "  \"tx_hashes\":[\"9f2c5e\"],\"sent_amount\":\"0.00100000\"},"
        " {\"event\":\"new_block\",\"height\":2500001},"
        " {\"event\":\"new_payment\",\"address\":\"d2f0a1b3c4\",\"status\":3,\"status_str\":\"Paid\","
        "  \"tx_hashes\":[\"9f2c5e\"],\"sent_amount\":\"0.00100000\"}]";
    bce_coin_desc_t desc;
    bce_coin_t *coin;
    int calls;

    memset(&desc, 0, sizeof desc);
    desc.currency = "BTC";
    desc.xpub = "vpub5YourWalletKey";
    coin = bce_coin_create(&desc);
    if (!coin) return 1;
    bce_on(coin, "new_payment", on_payment, NULL);
    bce_on(coin, "new_transaction, new_block", on_other, NULL);
    calls = bce_process_updates(coin, updates, strlen(updates));
    printf("%d handler calls (%s)\n", calls, calls < 0 ? bce_result_str(calls) : "ok");
    bce_coin_destroy(coin);
    return calls == 4 ? 0 : 1;
}
