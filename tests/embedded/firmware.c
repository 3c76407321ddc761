/* tests/embedded/firmware.c: a firmware-shaped listener for a Cortex-M4 (make embedded): one
   coin on a websocket with catch-up, no stdio, sockets through lwIP (BCE_USE_LWIP, with
   tests/embedded/lwipopts.h), and the clock and entropy hooks a bare-metal system provides
   itself: a millisecond tick counter (a SysTick interrupt would advance it) and a hardware
   random number generator (the STM32 RNG's data register is read here as an example address;
   this program is built and linked, never run). lwip_stubs.c stands in for lwIP's sources.
   firmware_tls.c builds the same program with TLS (FW_URL, FW_CA_PEM, BCE_USE_MBEDTLS). */
#include <stdint.h>

volatile uint32_t fw_ticks_ms;      /* advanced by the SysTick handler */
static uint32_t fw_ticks_high, fw_ticks_last;

/* a 64-bit millisecond clock from the 32-bit tick counter (called from the one listener thread) */
long long fw_now_ms(void) {
    uint32_t t = fw_ticks_ms;
    if (t < fw_ticks_last) fw_ticks_high++;
    fw_ticks_last = t;
    return (long long)(((uint64_t)fw_ticks_high << 32) | t);
}

/* n bytes from the RNG peripheral's data register; 0 on success */
int fw_random(unsigned char *buf, unsigned n) {
    volatile uint32_t *rng_dr = (volatile uint32_t *)0x50060808u;
    unsigned i;
    for (i = 0; i < n; i++) buf[i] = (unsigned char)(*rng_dr >> (8 * (i & 3)));
    return 0;
}

#define BCE_USE_LWIP
#define BCE_NO_STDIO
#define BCE_NOW_MS() fw_now_ms()
#define BCE_RANDOM(buf, n) fw_random((buf), (unsigned)(n))
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"

#ifndef FW_URL
#define FW_URL "http://192.168.1.10:5000"
#endif

static volatile unsigned paid;

static void on_paid(const bce_event_t *ev, void *user_data) {
    const char *status = bce_event_str(ev, "status");
    (void)user_data;
    if (status && !strcmp(status, "complete")) paid++;   /* open the vending machine's door */
}

int main(void) {
    bce_coin_desc_t d;
    bce_ws_opts_t o;
    bce_coin_t *coin;
    memset(&d, 0, sizeof d);
    d.currency = "BTC";
    d.url = FW_URL;
#ifdef FW_CA_PEM
    d.tls.ca_pem = FW_CA_PEM;   /* the daemon's CA, in flash */
#endif
    d.xpub = "vpub5VfkVzoT7qgd5gUKjxgGE2oMJU4zKSktusfLx2NaQCTfSeeSY3S723qXKUZZaJzaF6YaF8nwQgbMTWx54Ugkf4NZvSxdzicENHoLJh96EKg";
    coin = bce_coin_create(&d);
    if (!coin) return 1;
    bce_on(coin, "new_payment", on_paid, NULL);
    memset(&o, 0, sizeof o);
    o.force_connect = 1;
    return bce_start_websocket(coin, &o);
}
