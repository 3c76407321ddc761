/* examples/poll_loop.c - the library inside your own poll(2) loop, next to your own descriptor.

   Shows: the non-blocking core. bce_coin_begin_websocket starts the websocket without blocking;
   then, each time round the loop, bce_coin_fds says which descriptors to watch (they change as
   connections open and close: ask every time), bce_coin_timeout_ms when the library's next
   timer is due, and bce_coin_step(coin, 0) runs its I/O, timers and handlers without waiting.
   Standard input shares the loop: each line typed is answered at once, even while events flow.
   The same loop works with bce_coin_start_polling, and for a manager with bce_manager_fds,
   bce_manager_timeout_ms and bce_manager_step.

   Build:  make                 (or: cc -I. examples/poll_loop.c -o poll_loop)
   Run:    ./build/example_poll_loop URL XPUB
             URL   the BTC daemon, e.g. http://127.0.0.1:5000
             XPUB  the wallet to watch: its real key (required; a daemon refuses a made-up
                   key such as vpub5ExampleWallet with JSON-RPC error -32005)
           BITCART_USER and BITCART_PASSWORD set the credentials (default electrum/electrumz).
           Type lines; "quit", end of input (Ctrl-D), Ctrl-C or SIGTERM stops it. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS 8

static bce_coin_t *g_coin;   /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    bce_stop(g_coin);        /* wakes the loop: one of the coin's descriptors becomes readable */
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
    ++*(int *)user_data;     /* the user_data given to bce_on: the event counter in main */
    printf("%s %s: ", bce_event_currency(ev), bce_event_name(ev));
    print_text(json ? json : "", len);
    putchar('\n');
}

/* Reads what stdin has (poll said it would not block) and answers each complete line.
   Returns 0 at end of input or on "quit". */
static int read_stdin(char *line, size_t cap, size_t *used, int events) {
    char *nl;
    ssize_t n = read(STDIN_FILENO, line + *used, cap - 1 - *used);
    if (n <= 0) return 0;
    *used += (size_t)n;
    line[*used] = '\0';
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        if (strcmp(line, "quit") == 0) return 0;
        printf("you typed \"%s\"; %d events so far\n", line, events);
        *used -= (size_t)(nl + 1 - line);
        memmove(line, nl + 1, *used + 1);
    }
    if (*used == cap - 1) *used = 0;   /* an overlong line: forget it */
    return 1;
}

/* The loop. Returns 0 once stopped, 1 on an error. */
static int run(bce_coin_t *coin, const int *events) {
    char line[256];
    size_t used = 0;
    int r;
    do {
        bce_fd_t fds[MAX_FDS];
        struct pollfd pfd[MAX_FDS + 1];
        int n = bce_coin_fds(coin, fds, MAX_FDS), i;
        if (n < 0 || n > MAX_FDS) return 1;     /* a coin has 3 at most */
        for (i = 0; i < n; i++) {
            pfd[i].fd = fds[i].fd;
            pfd[i].events = (short)((fds[i].events & BCE_WANT_READ ? POLLIN : 0) |
                                    (fds[i].events & BCE_WANT_WRITE ? POLLOUT : 0));
        }
        pfd[n].fd = STDIN_FILENO;       /* your own descriptors go after the library's */
        pfd[n].events = POLLIN;
        if (poll(pfd, (nfds_t)n + 1, bce_coin_timeout_ms(coin)) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        if ((pfd[n].revents & (POLLIN | POLLHUP)) && !read_stdin(line, sizeof line, &used, *events))
            bce_stop(coin);             /* the next step ends the websocket */
    } while ((r = bce_coin_step(coin, 0)) > 0);   /* 1: running; 0: stopped; < 0: error */
    if (r < 0) {
        fprintf(stderr, "websocket: %s: %s\n", bce_result_str(r), bce_coin_last_error(coin));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    bce_coin_desc_t desc;
    struct sigaction sa;
    int events = 0, r;

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
    if (bce_on(g_coin, "new_block, new_transaction, new_payment, verified_tx", on_event, &events) != BCE_OK ||
        sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        bce_coin_destroy(g_coin);
        return 1;
    }
    r = bce_coin_begin_websocket(g_coin, NULL);  /* NULL: the default options */
    if (r != BCE_OK) {
        fprintf(stderr, "websocket: %s\n", bce_result_str(r));
        bce_coin_destroy(g_coin);
        return 1;
    }
    r = run(g_coin, &events);
    fprintf(stderr, "stopped after %d events\n", events);
    sa.sa_handler = SIG_DFL;            /* no signal handler may reach the coin once it is freed */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bce_coin_destroy(g_coin);
    return r;
}
