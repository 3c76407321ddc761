// tests/test_cpp.cpp: the header compiled and used as C++.
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include <cstdio>
#include <string>

namespace {
struct Collector {
    std::string tx;
    int calls = 0;
};
void on_tx(const bce_event_t *ev, void *ud) {
    Collector *c = static_cast<Collector *>(ud);
    const char *tx = bce_event_str(ev, "tx");
    c->tx = tx ? tx : "";
    c->calls++;
}
}  // namespace

int main() {
    Collector col;
    bce_coin_desc_t d = {};
    d.currency = "ltc";
    bce_coin_t *coin = bce_coin_create(&d);
    bce_on(coin, "new_transaction", on_tx, &col);
    std::string json = "[{\"event\":\"new_transaction\",\"tx\":\"c++\"}]";
    int r = bce_process_updates(coin, json.data(), json.size());
    bce_coin_destroy(coin);
    bce_manager_t *m = bce_manager_create(nullptr);
    bool mok = bce_manager_add_wallet(m, "BTC", "x") != nullptr;
    bce_manager_destroy(m);
    bool ok = r == 1 && col.calls == 1 && col.tx == "c++" && mok;
    std::printf("c++: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    return ok ? 0 : 1;
}
