/* tests/tu_a.c + tu_b.c: the header in two translation units, the implementation in one.
   Built a second time with BCE_STATIC, where each unit holds its own private copy. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "../bitcart_events.h"   /* included twice: the guards must hold */
#include <stdio.h>

int tu_b_count(const char *json);

static void on_block(const bce_event_t *ev, void *ud) { (void)ev; (*(int *)ud)++; }

int main(void) {
    int n = 0, b;
    bce_coin_t *c = bce_coin_create(NULL);
    bce_on(c, "new_block", on_block, &n);
    bce_process_updates(c, "[{\"event\":\"new_block\",\"height\":1}]", 34);
    bce_coin_destroy(c);
    b = tu_b_count("[{\"event\":\"new_block\",\"height\":2},{\"event\":\"new_block\",\"height\":3}]");
    printf("two translation units: %d passed, %d failed\n", (n == 1) + (b == 2), (n != 1) + (b != 2));
    return n == 1 && b == 2 ? 0 : 1;
}
