/* examples/worker_thread.c - handing events to a worker thread through a bounded queue.

   Shows: handlers run on the thread that runs the library and must return quickly, and every
   pointer an event hands out dies when the handler returns. So the handler copies what it
   needs into a queue and a worker thread does the slow part (here: printing). The queue is
   bounded: when it is full the handler waits for the worker, which slows the library down
   rather than dropping a payment. On Ctrl-C / SIGTERM the websocket stops, the worker
   finishes what is queued, and the program exits.

   Build:  make                 (or: cc -I. examples/worker_thread.c -o worker_thread -lpthread)
   Run:    ./build/example_worker_thread URL XPUB
             URL   the BTC daemon, e.g. http://127.0.0.1:5000
             XPUB  the wallet to watch: its real key (required; a daemon refuses a made-up
                   key such as vpub5ExampleWallet with JSON-RPC error -32005)
           BITCART_USER and BITCART_PASSWORD set the credentials (default electrum/electrumz). */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SLOTS 64

typedef struct item_t {
    char event[16];             /* the longest name, "new_transaction", fits */
    char *update;               /* the update's JSON, NUL-terminated, from malloc */
} item_t;

typedef struct queue_t {
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* an item came or went, or the queue closed */
    item_t items[QUEUE_SLOTS];
    size_t head, count;
    int closed;                 /* no more items will come */
} queue_t;

static queue_t g_queue;
static bce_coin_t *g_coin;      /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_stop(g_coin);           /* safe in a signal handler, whichever thread it runs on */
}

/* On the library's thread: copy, enqueue, return. */
static void on_event(const bce_event_t *ev, void *user_data) {
    queue_t *q = (queue_t *)user_data;
    size_t len = 0;
    const char *json = bce_event_json(ev, NULL, &len);
    item_t it;
    snprintf(it.event, sizeof it.event, "%s", bce_event_name(ev));
    it.update = (char *)malloc(len + 1);
    if (!it.update) {
        fprintf(stderr, "out of memory: %s dropped\n", it.event);
        return;
    }
    memcpy(it.update, json ? json : "", len);
    it.update[len] = '\0';
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_SLOTS) pthread_cond_wait(&q->changed, &q->lock);   /* full: wait */
    q->items[(q->head + q->count++) % QUEUE_SLOTS] = it;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
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

/* The worker: takes items until the queue is closed and empty. */
static void *worker(void *arg) {
    queue_t *q = (queue_t *)arg;
    for (;;) {
        item_t it;
        pthread_mutex_lock(&q->lock);
        while (q->count == 0 && !q->closed) pthread_cond_wait(&q->changed, &q->lock);
        if (q->count == 0) {    /* closed and drained */
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        it = q->items[q->head];
        q->head = (q->head + 1) % QUEUE_SLOTS;
        q->count--;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
        printf("worker: %s: ", it.event);                  /* the slow part goes here */
        print_text(it.update, strlen(it.update));
        putchar('\n');
        free(it.update);
    }
}

/* Starts the worker with SIGINT and SIGTERM blocked in it (a new thread inherits the mask), so
   the handler runs on the main thread only: it cannot be running elsewhere while main frees
   the coin. */
static int start_worker(pthread_t *thread) {
    sigset_t block, old;
    int r;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    r = pthread_create(thread, NULL, worker, &g_queue);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

int main(int argc, char **argv) {
    bce_coin_desc_t desc;
    struct sigaction sa;
    pthread_t thread;
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
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (bce_on(g_coin, "new_block, new_transaction, new_payment, verified_tx", on_event, &g_queue) != BCE_OK ||
        pthread_mutex_init(&g_queue.lock, NULL) != 0 || pthread_cond_init(&g_queue.changed, NULL) != 0 ||
        sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        start_worker(&thread) != 0) {
        bce_coin_destroy(g_coin);
        return 1;
    }

    r = bce_start_websocket(g_coin, NULL);      /* until bce_stop; NULL: default options */
    if (r != BCE_OK) fprintf(stderr, "websocket: %s: %s\n", bce_result_str(r), bce_coin_last_error(g_coin));

    pthread_mutex_lock(&g_queue.lock);          /* no handler runs any more: close the queue */
    g_queue.closed = 1;
    pthread_cond_broadcast(&g_queue.changed);
    pthread_mutex_unlock(&g_queue.lock);
    pthread_join(thread, NULL);                 /* the worker drains what is left, then ends */
    pthread_cond_destroy(&g_queue.changed);
    pthread_mutex_destroy(&g_queue.lock);
    fprintf(stderr, "stopped\n");
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the coin once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_coin_destroy(g_coin);
    return r == BCE_OK ? 0 : 1;
}
