/* examples/allocator_logger.c - your own allocator and your own logger.

   Shows: the allocator and logger fields of bce_coin_desc_t (bce_manager_desc_t has the same).
   The allocator here counts what the library holds and refuses to go over a budget (the library
   then fails that one operation cleanly: a result code and a log line, never a crash); free gets
   no size, so each block keeps its size in a small header. The logger prints the library's messages with a time stamp and the level, at
   INFO, so connects and reconnects show. Both receive the user_data pointer given beside them.
   At exit the program prints the memory statistics; nothing may be left in use.

   Build:  make                 (or: cc -I. examples/allocator_logger.c -o allocator_logger)
   Run:    ./build/example_allocator_logger URL XPUB
             URL   the BTC daemon, e.g. http://127.0.0.1:5000
             XPUB  the wallet to watch: its real key (required; a daemon refuses a made-up
                   key such as vpub5ExampleWallet with JSON-RPC error -32005)
           BITCART_USER and BITCART_PASSWORD set the credentials (default electrum/electrumz).
   Events and the statistics go to stdout, log lines to stderr. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct memory_t {
    size_t in_use, peak, budget;    /* bytes */
    unsigned long allocations, refused;
} memory_t;

/* Placed before each block: its size, and room enough that the block stays aligned. */
typedef union header_t {
    size_t size;
    long double align_1;
    long long align_2;
    void *align_3;
} header_t;

static void *budget_alloc(size_t size, void *user_data) {
    memory_t *m = (memory_t *)user_data;
    header_t *h;
    if (size > m->budget - m->in_use || !(h = (header_t *)malloc(sizeof *h + size))) {
        m->refused++;
        return NULL;
    }
    h->size = size;
    m->in_use += size;
    if (m->in_use > m->peak) m->peak = m->in_use;
    m->allocations++;
    return h + 1;
}

static void budget_free(void *ptr, void *user_data) {   /* never called with NULL */
    memory_t *m = (memory_t *)user_data;
    header_t *h = (header_t *)ptr - 1;
    m->in_use -= h->size;
    free(h);
}

/* One line per message; message has no newline and is valid only during the call. */
static void log_line(int level, const char *message, void *user_data) {
    static const char *const names[] = {"", "ERROR", "WARN", "INFO", "DEBUG"};
    char stamp[16] = "";
    time_t now = time(NULL);
    struct tm *utc = gmtime(&now);
    if (utc) strftime(stamp, sizeof stamp, "%H:%M:%S", utc);
    fprintf((FILE *)user_data, "%s UTC [%s] %s\n", stamp, names[level >= 1 && level <= 4 ? level : 0], message);
}

static bce_coin_t *g_coin;   /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_stop(g_coin);
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

static void on_event(const bce_event_t *ev, void *user_data) {
    size_t len = 0;
    const char *json = bce_event_json(ev, NULL, &len);
    (void)user_data;
    printf("%s %s: ", bce_event_currency(ev), bce_event_name(ev));
    print_text(json ? json : "", len);
    putchar('\n');
}

int main(int argc, char **argv) {
    memory_t memory;
    bce_coin_desc_t desc;
    struct sigaction sa;
    int r;

    if (argc < 3) {
        fprintf(stderr, "usage: %s URL XPUB\n  URL   the BTC daemon, e.g. http://127.0.0.1:5000\n"
                        "  XPUB  the wallet's real key (a daemon refuses a made-up one)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);   /* one event, one line, at once (even into a pipe) */
    memset(&memory, 0, sizeof memory);
    memory.budget = 4u << 20;           /* 4 MiB */
    memset(&desc, 0, sizeof desc);      /* zero means "the default" everywhere */
    desc.currency = "BTC";
    desc.url = argv[1];
    desc.xpub = argv[2];
    desc.user = getenv("BITCART_USER");          /* NULL: the default */
    desc.password = getenv("BITCART_PASSWORD");
    desc.allocator.alloc = budget_alloc;         /* both functions, or neither */
    desc.allocator.free = budget_free;
    desc.allocator.user_data = &memory;
    desc.logger.fn = log_line;
    desc.logger.user_data = stderr;
    desc.logger.level = BCE_LOG_INFO;            /* the most verbose level passed on */
    g_coin = bce_coin_create(&desc);
    if (!g_coin) return 1;                      /* the reason went to log_line */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (bce_on(g_coin, "new_block, new_transaction, new_payment, verified_tx", on_event, NULL) != BCE_OK ||
        sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        bce_coin_destroy(g_coin);
        return 1;
    }

    r = bce_start_websocket(g_coin, NULL);      /* until bce_stop; NULL: default options */
    if (r != BCE_OK) fprintf(stderr, "websocket: %s: %s\n", bce_result_str(r), bce_coin_last_error(g_coin));
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the coin once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_coin_destroy(g_coin);                   /* gives back everything */
    printf("memory: %lu allocations, peak %zu bytes, %lu refused, %zu bytes still in use\n",
           memory.allocations, memory.peak, memory.refused, memory.in_use);
    return r == BCE_OK && memory.in_use == 0 ? 0 : 1;
}
