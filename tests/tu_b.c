/* The second translation unit: declarations only, or (BCE_STATIC) a private implementation. */
#ifdef BCE_STATIC
#define BITCART_EVENTS_IMPLEMENTATION
#endif
#include "../bitcart_events.h"
#include <string.h>

static void on_block(const bce_event_t *ev, void *ud) { (void)ev; (*(int *)ud)++; }

int tu_b_count(const char *json);
int tu_b_count(const char *json) {
    int n = 0;
    bce_coin_t *c = bce_coin_create(NULL);
    bce_on(c, "new_block", on_block, &n);
    bce_process_updates(c, json, strlen(json));
    bce_coin_destroy(c);
    return n;
}
