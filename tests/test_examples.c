/* tests/test_examples.c: runs every example in examples/ (except manual.c, which `make unit`
   runs) against the C fake daemon started on 127.0.0.1 with a free port: injects updates,
   waits (with a deadline) for the lines they must print, stops the example with SIGTERM (or
   "quit" on stdin for poll_loop) and checks its exit status and its exact stdout. Then the
   same again with each example under valgrind (leaks and memory errors fail).

   Usage: test_examples [BUILD_DIR [plain]]
     BUILD_DIR  holds example_* and fake_daemon; default $BUILD_DIR, else "build"
     plain      skip the valgrind pass (e.g. for examples built with -fsanitize=address)
   Last line: "examples: N passed, M failed"; exit status 1 on any failure. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "daemon.h"
#include <time.h>

/* Keys of the right form (111 base58 characters): the fake daemons, like a real one, refuse a
   made-up key such as "vpub5ExampleWallet" with JSON-RPC error -32005. */
#define WALLET "vpub5SLqN2bLY4WeYhnmHMuXjhpfwECoaMbMR8dagBghrTG3FWqtKHpfHbde9apJAw1f7ieFaUeV6MmewmGwzNNnRx2SGjRZwdjAPYZ2612wexW"
#define LTC_WALLET "Ltub2SSUS19CirucWKwGwmuYKT3YAN27cVwyiSvwa67kDShscH34AqVg1fyMbqGQzvGcrJZzH1A6UxDKG7DgsouJr1uLtn4Zr1Cgs4LTvg42aqv"
#define OTHER_WALLET "vpub5SLqN2bLY4WeYQYT65S2oRWaAQvCHeXSEi4z8BGQTMWBLUWNXxJsqPkFtwE36ioS7zZiBKMhN4tkh1U2ZfodZ2wxJhdSdUtXGJ99TpqkD7n"

static const char *g_build = "build";
static int g_valgrind;          /* run the examples under valgrind */

typedef struct proc_t {
    pid_t pid;
    int in, out, err;           /* our ends of the child's stdin/stdout/stderr; -1: closed */
    char obuf[65536], ebuf[65536];
    size_t olen, elen;
} proc_t;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_budget_ms(void) { return g_valgrind ? 30000 : 10000; }

/* Starts <build>/example_NAME with args (NULL-terminated); env: NAME, VALUE pairs, or NULL. */
static int proc_start(proc_t *p, const char *name, const char *const *args, const char *const *env) {
    static const char *const vg[] = {"valgrind", "--quiet", "--error-exitcode=3", "--leak-check=full",
                                     "--errors-for-leak-kinds=all", NULL};
    const char *argv[32];
    char path[256];
    int pin[2], pout[2], perr[2], n = 0, i;
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
    snprintf(path, sizeof path, "%s/example_%s", g_build, name);
    if (g_valgrind)
        for (i = 0; vg[i]; i++) argv[n++] = vg[i];
    argv[n++] = path;
    for (i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0) return -1;
    p->pid = fork();
    if (p->pid < 0) return -1;
    if (p->pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]), close(perr[0]), close(perr[1]);
        unsetenv("BITCART_USER");
        unsetenv("BITCART_PASSWORD");
        for (i = 0; env && env[i] && env[i + 1]; i += 2) setenv(env[i], env[i + 1], 1);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pin[0]), close(pout[1]), close(perr[1]);
    p->in = pin[1], p->out = pout[0], p->err = perr[0];
    fcntl(p->in, F_SETFD, FD_CLOEXEC);
    fcntl(p->out, F_SETFD, FD_CLOEXEC);
    fcntl(p->err, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Reads what the child wrote, waiting at most ms. */
static void proc_pump(proc_t *p, int ms) {
    struct pollfd pf[2];
    int i;
    pf[0].fd = p->out, pf[1].fd = p->err;
    pf[0].events = pf[1].events = POLLIN;
    if (poll(pf, 2, ms) <= 0) return;
    for (i = 0; i < 2; i++) {
        char *buf = i ? p->ebuf : p->obuf;
        size_t *len = i ? &p->elen : &p->olen;
        char tmp[4096];
        ssize_t r;
        if (!pf[i].revents) continue;
        r = read(pf[i].fd, tmp, sizeof tmp);
        if (r <= 0) {
            close(pf[i].fd);
            if (i) p->err = -1;
            else p->out = -1;
            continue;
        }
        if ((size_t)r > sizeof p->obuf - 1 - *len) r = (ssize_t)(sizeof p->obuf - 1 - *len);
        memcpy(buf + *len, tmp, (size_t)r);
        *len += (size_t)r;
        buf[*len] = 0;
    }
}

/* 1 once the child's stdout (err: stderr) holds needle; 0 at the deadline. */
static int wait_text(proc_t *p, int err, const char *needle) {
    long long end = now_ms() + wait_budget_ms();
    while (!strstr(err ? p->ebuf : p->obuf, needle)) {
        if (now_ms() > end) {
            fprintf(stderr, "timed out waiting for \"%s\"\n", needle);
            return 0;
        }
        proc_pump(p, 50);
    }
    return 1;
}

static void send_line(proc_t *p, const char *line) {
    if (write(p->in, line, strlen(line)) != (ssize_t)strlen(line)) fprintf(stderr, "cannot write to the example\n");
}

/* Sends sig (0: none), waits for the exit; the exit status, or -1 (killed, timed out). */
static int proc_finish(proc_t *p, int sig) {
    long long end = now_ms() + wait_budget_ms();
    int st = 0, done = 0;
    if (sig) kill(p->pid, sig);
    while (!done || p->out >= 0 || p->err >= 0) {
        if (!done && waitpid(p->pid, &st, WNOHANG) == p->pid) done = 1;
        if (now_ms() > end) {
            fprintf(stderr, "the example did not end; killed\n");
            kill(p->pid, SIGKILL);
            if (!done) waitpid(p->pid, &st, 0);
            st = -1;
            break;
        }
        if (p->out >= 0 || p->err >= 0) proc_pump(p, 50);
        else poll(NULL, 0, 10);
    }
    if (p->in >= 0) close(p->in);
    if (p->out >= 0) close(p->out);
    if (p->err >= 0) close(p->err);
    p->in = p->out = p->err = -1;
    if (st == -1) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    fprintf(stderr, "the example died of signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
}

/* Exact comparison, where "<n>" in expected stands for one or more digits. */
static int matches(const char *expected, const char *actual) {
    while (*expected) {
        if (strncmp(expected, "<n>", 3) == 0) {
            if (*actual < '0' || *actual > '9') return 0;
            while (*actual >= '0' && *actual <= '9') actual++;
            expected += 3;
        } else if (*expected++ != *actual++) {
            return 0;
        }
    }
    return *actual == 0;
}

static void check_output(const proc_t *p, const char *expected, int status, int want_status) {
    int ok = matches(expected, p->obuf);
    CHECK(ok);
    CHECK_INT(status, want_status);
    if (!ok || status != want_status)
        fprintf(stderr, "--- expected stdout:\n%s--- stdout:\n%s--- stderr:\n%s---\n", expected, p->obuf, p->ebuf);
}

/* Waits until the daemon on port has loaded wallet and, if ws, has a websocket client. */
static int wait_daemon(int port, const char *wallet, int ws) {
    long long end = now_ms() + wait_budget_ms();
    while (!(daemon_loaded(port, wallet) && (!ws || stats_field(port, "ws_clients") >= 1))) {
        if (now_ms() > end) {
            fprintf(stderr, "timed out waiting for the example to reach the daemon\n");
            return 0;
        }
        poll(NULL, 0, 20);
    }
    return 1;
}

static int start_daemon(daemon_t *d, const char *currency) {
    char path[256];
    const char *argv[] = {path, "--port", "0", "--currency", currency, NULL};
    snprintf(path, sizeof path, "%s/fake_daemon", g_build);
    return daemon_start(d, argv);
}

/* What every test injects for the BTC wallet, and what arrives as the JSON of each update. */
#define TX1 "{\"event\":\"new_transaction\",\"tx\":\"9f2c5e\"}"
#define PAY7 "{\"event\":\"new_payment\",\"address\":\"d2f0a1\",\"status\":7,\"status_str\":\"Unconfirmed\"," \
             "\"tx_hashes\":[\"9f2c5e\"],\"sent_amount\":\"0.00100000\"}"
#define PAY3 "{\"event\":\"new_payment\",\"address\":\"d2f0a1\",\"status\":3,\"status_str\":\"Paid\"," \
             "\"tx_hashes\":[\"9f2c5e\"],\"sent_amount\":\"0.00100000\"}"
#define BLOCK "{\"event\":\"new_block\",\"height\":2500001}"
#define VERIFIED "{\"event\":\"verified_tx\",\"tx\":\"9f2c5e\",\"height\":2500001}"

/* Injects the sequence: a transaction and a payment for the wallet, an event for another
   wallet (a coin does not show it; the manager does; a daemon has events only for wallets a
   call has named, so a getbalance names it first), a block, the payment paid, the transaction
   verified. */
static int inject_sequence(int port, const char *wallet) {
    return daemon_inject(port, wallet, "[" TX1 "," PAY7 "]") == 0 &&
           daemon_rpc(port, "getbalance", OTHER_WALLET, NULL, 0) == 0 &&
           daemon_inject(port, OTHER_WALLET, "[{\"event\":\"new_transaction\",\"tx\":\"other\"}]") == 0 &&
           daemon_inject(port, NULL, "[" BLOCK "]") == 0 &&
           daemon_inject(port, wallet, "[" PAY3 "," VERIFIED "]") == 0;
}

#define JSON_LINES(prefix) \
    prefix "new_transaction: " TX1 "\n" prefix "new_payment: " PAY7 "\n" prefix "new_block: " BLOCK "\n" \
    prefix "new_payment: " PAY3 "\n" prefix "verified_tx: " VERIFIED "\n"

static void test_websocket(void) {
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, NULL};
    const char *expected =
        "transaction 9f2c5e\n"
        "payment d2f0a1: Unconfirmed (status 7), 0.00100000 received\n"
        "block 2500001\n"
        "payment d2f0a1: Paid (status 3), 0.00100000 received\n"
        "verified 9f2c5e at height 2500001\n"
        "transaction while-away\n"
        "transaction ?]0;owned?x\n";
    char connected[128];
    const char *again;
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "websocket", args, NULL) == 0);
    CHECK(wait_daemon(d.port, WALLET, 1));
    CHECK(inject_sequence(d.port, WALLET));
    CHECK(wait_text(&p, 0, "verified 9f2c5e at height 2500001\n"));
    /* the daemon drops the connection; what happens meanwhile arrives after the reconnect */
    CHECK(http_request(d.port, "POST", "/_test/drop_ws", "{\"mode\":\"reset\"}", NULL, 0) == 0);
    CHECK(daemon_inject(d.port, WALLET, "[{\"event\":\"new_transaction\",\"tx\":\"while-away\"}]") == 0);
    CHECK(wait_text(&p, 0, "transaction while-away\n"));
    /* text from the daemon reaches the terminal without its control characters: an event's
       string and a close reason holding escape sequences (OSC: set the title; CSI: clear) */
    CHECK(daemon_inject(d.port, WALLET, "[{\"event\":\"new_transaction\",\"tx\":\"\\u001b]0;owned\\u0007x\"}]") == 0);
    CHECK(wait_text(&p, 0, "transaction ?]0;owned?x\n"));
    CHECK(http_request(d.port, "POST", "/_test/drop_ws", "{\"mode\":\"close\",\"reason\":\"\\u001b[2Jbye\"}", NULL, 0) == 0);
    CHECK(wait_text(&p, 1, "lost (code 1000: ?[2Jbye)\n"));
    check_output(&p, expected, proc_finish(&p, SIGTERM), 0);
    CHECK(!memchr(p.obuf, 0x1b, p.olen) && !memchr(p.ebuf, 0x1b, p.elen));
    snprintf(connected, sizeof connected, "connected to %s (BTC)\n", d.url);
    again = strstr(p.ebuf, connected);
    CHECK(again && strstr(again + 1, connected));   /* connected twice */
    CHECK(strstr(p.ebuf, "lost (code 1006") != NULL);
    CHECK(strstr(p.ebuf, "stopped\n") != NULL);
    daemon_stop(&d);
}

static void test_polling(void) {
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, "50", NULL};
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "polling", args, NULL) == 0);
    CHECK(wait_daemon(d.port, WALLET, 0));
    CHECK(inject_sequence(d.port, WALLET));
    CHECK(wait_text(&p, 0, "BTC verified_tx: "));
    check_output(&p, JSON_LINES("BTC "), proc_finish(&p, SIGTERM), 0);
    daemon_stop(&d);
}

/* A wrong password: polling ends by itself with BCE_ERR_AUTH and the example exits 1. */
static void test_polling_auth(void) {
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, "50", NULL};
    const char *env[] = {"BITCART_PASSWORD", "wrong", NULL};
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "polling", args, env) == 0);
    check_output(&p, "", proc_finish(&p, 0), 1);
    CHECK(strstr(p.ebuf, "polling: BCE_ERR_AUTH") != NULL);
    daemon_stop(&d);
}

static void test_manager(void) {
    daemon_t btc, ltc;
    proc_t p;
    const char *args[] = {NULL, NULL, WALLET, LTC_WALLET, NULL};
    const char *expected =
        "BTC " WALLET " new_transaction: " TX1 "\n"
        "BTC " WALLET " new_payment: " PAY7 "\n"
        "BTC " OTHER_WALLET " (not ours) new_transaction: {\"event\":\"new_transaction\",\"tx\":\"other\"}\n"
        "BTC (every wallet) new_block: " BLOCK "\n"
        "BTC " WALLET " new_payment: " PAY3 "\n"
        "BTC " WALLET " verified_tx: " VERIFIED "\n"
        "BTC x?[2J (not ours) new_transaction: {\"event\":\"new_transaction\",\"tx\":\"y\"}\n"
        "LTC " LTC_WALLET " new_transaction: {\"event\":\"new_transaction\",\"tx\":\"ltc-tx\"}\n"
        "LTC (every wallet) new_block: {\"event\":\"new_block\",\"height\":3000000}\n";
    if (start_daemon(&btc, "BTC") != 0) { CHECK(0); return; }
    if (start_daemon(&ltc, "LTC") != 0) { CHECK(0); daemon_stop(&btc); return; }
    args[0] = btc.url, args[1] = ltc.url;
    CHECK(proc_start(&p, "manager", args, NULL) == 0);
    CHECK(wait_daemon(btc.port, WALLET, 1));
    CHECK(wait_daemon(ltc.port, LTC_WALLET, 1));
    CHECK(inject_sequence(btc.port, WALLET));
    CHECK(wait_text(&p, 0, "BTC " WALLET " verified_tx"));   /* one daemon after the other: a fixed order */
    /* a wallet key from the daemon reaches the terminal without its control characters */
    CHECK(http_request(btc.port, "POST", "/_test/inject", "{\"wallet\":\"x\\u001b[2J\",\"hostile\":true,"
                       "\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"y\"}]}", NULL, 0) == 0);
    CHECK(wait_text(&p, 0, "(not ours) new_transaction: {\"event\":\"new_transaction\",\"tx\":\"y\"}\n"));
    CHECK(daemon_inject(ltc.port, LTC_WALLET, "[{\"event\":\"new_transaction\",\"tx\":\"ltc-tx\"}]") == 0);
    CHECK(wait_text(&p, 0, "ltc-tx"));
    CHECK(daemon_inject(ltc.port, NULL, "[{\"event\":\"new_block\",\"height\":3000000}]") == 0);
    CHECK(wait_text(&p, 0, "3000000"));
    check_output(&p, expected, proc_finish(&p, SIGTERM), 0);
    daemon_stop(&btc);
    daemon_stop(&ltc);
}

/* Lines on stdin are answered between events; "quit" ends it (SIGTERM under valgrind). */
static void test_poll_loop(void) {
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, NULL};
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "poll_loop", args, NULL) == 0);
    send_line(&p, "hello\n");
    CHECK(wait_text(&p, 0, "you typed \"hello\"; 0 events so far\n"));
    CHECK(wait_daemon(d.port, WALLET, 1));
    CHECK(inject_sequence(d.port, WALLET));
    CHECK(wait_text(&p, 0, "BTC verified_tx: "));
    send_line(&p, "how many?\n");
    CHECK(wait_text(&p, 0, "you typed \"how many?\"; 5 events so far\n"));
    if (!g_valgrind) send_line(&p, "quit\n");
    check_output(&p, "you typed \"hello\"; 0 events so far\n" JSON_LINES("BTC ")
                     "you typed \"how many?\"; 5 events so far\n",
                 proc_finish(&p, g_valgrind ? SIGTERM : 0), 0);
    CHECK(strstr(p.ebuf, "stopped after 5 events") != NULL);
    daemon_stop(&d);
}

/* More events than the queue has slots, in order, none lost; the queue drains at the end. */
static void test_worker_thread(void) {
    static char expected[32768];
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, NULL};
    size_t o;
    int i;
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "worker_thread", args, NULL) == 0);
    CHECK(wait_daemon(d.port, WALLET, 1));
    CHECK(inject_sequence(d.port, WALLET));
    CHECK(daemon_inject_seq(d.port, WALLET, 1, 150) == 0);
    CHECK(wait_text(&p, 0, "\"tx\":\"t150\""));
    o = (size_t)snprintf(expected, sizeof expected, "%s", JSON_LINES("worker: "));
    for (i = 1; i <= 150; i++)
        o += (size_t)snprintf(expected + o, sizeof expected - o,
                              "worker: new_transaction: {\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}\n", i, i);
    check_output(&p, expected, proc_finish(&p, SIGTERM), 0);
    daemon_stop(&d);
}

static void test_allocator_logger(void) {
    daemon_t d;
    proc_t p;
    const char *args[] = {NULL, WALLET, NULL};
    char connected[128];
    if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
    args[0] = d.url;
    CHECK(proc_start(&p, "allocator_logger", args, NULL) == 0);
    CHECK(wait_daemon(d.port, WALLET, 1));
    CHECK(inject_sequence(d.port, WALLET));
    CHECK(wait_text(&p, 0, "BTC verified_tx: "));
    check_output(&p, JSON_LINES("BTC ") "memory: <n> allocations, peak <n> bytes, 0 refused, 0 bytes still in use\n",
                 proc_finish(&p, SIGTERM), 0);
    snprintf(connected, sizeof connected, " UTC [INFO] websocket 127.0.0.1:%d: connected\n", d.port);
    CHECK(strstr(p.ebuf, connected) != NULL);
    daemon_stop(&d);
}

/* Without the wallet argument every example says how to run it and exits 2: there is no
   default key (a made-up one only draws -32005 from a daemon). */
static void test_wallet_required(void) {
    static const char *const names[] = {"websocket", "polling", "poll_loop", "worker_thread", "allocator_logger", "manager"};
    const char *args[] = {"http://127.0.0.1:1", NULL, NULL, NULL};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        proc_t p;
        int st;
        if (i + 1 == sizeof names / sizeof names[0]) args[1] = "http://127.0.0.1:1", args[2] = WALLET;  /* no LTC key */
        CHECK(proc_start(&p, names[i], args, NULL) == 0);
        st = proc_finish(&p, 0);
        CHECK_INT(st, 2);
        CHECK(strstr(p.ebuf, "usage: ") != NULL && strstr(p.ebuf, "XPUB") != NULL);
        if (st != 2) fprintf(stderr, "example_%s: exit %d, stderr:\n%s\n", names[i], st, p.ebuf);
    }
}

/* Shutdown under a hail of signals: SIGTERM, then another every millisecond until the example
   has exited. A handler that calls bce_stop must never reach the freed coin or manager (the
   examples restore the default action before freeing it): exit 0, or death by SIGTERM once
   the default is back; under valgrind an invalid write shows as its exit status 3. */
static void test_signal_burst(void) {
    static const char *const names[] = {"websocket", "polling", "manager", "poll_loop", "worker_thread", "allocator_logger"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        daemon_t d;
        proc_t p;
        const char *args[] = {NULL, WALLET, NULL, NULL, NULL};
        long long end;
        int st = 0, done = 0, sent = 0;
        if (start_daemon(&d, "BTC") != 0) { CHECK(0); return; }
        args[0] = d.url;
        if (strcmp(names[i], "manager") == 0) args[1] = d.url, args[2] = WALLET, args[3] = LTC_WALLET;   /* one daemon for both */
        if (strcmp(names[i], "polling") == 0) args[2] = "50";
        CHECK(proc_start(&p, names[i], args, NULL) == 0);
        CHECK(wait_daemon(d.port, WALLET, strcmp(names[i], "polling") != 0));
        end = now_ms() + wait_budget_ms();
        while (!done && now_ms() < end) {
            if (waitpid(p.pid, &st, WNOHANG) == p.pid) { done = 1; break; }
            kill(p.pid, SIGTERM);
            sent++;
            proc_pump(&p, 1);
        }
        if (!done) {
            kill(p.pid, SIGKILL);
            waitpid(p.pid, &st, 0);
        }
        CHECK(done);
        CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM));
        if (!((WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)))
            fprintf(stderr, "example_%s after %d signals: %s %d, stderr:\n%s\n", names[i], sent,
                    WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), p.ebuf);
        while (p.out >= 0 || p.err >= 0) proc_pump(&p, 50);
        if (p.in >= 0) close(p.in);
        p.in = -1;
        daemon_stop(&d);
    }
}

int main(int argc, char **argv) {
    long long t0 = now_ms();
    int passes = argc > 2 && strcmp(argv[2], "plain") == 0 ? 1 : 2;
    if (getenv("BUILD_DIR") && *getenv("BUILD_DIR")) g_build = getenv("BUILD_DIR");
    if (argc > 1) g_build = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);   /* in order with stderr in a log */
    signal(SIGPIPE, SIG_IGN);
    for (g_valgrind = 0; g_valgrind < passes; g_valgrind++) {
        long long t = now_ms();
        RUN(test_wallet_required);
        RUN(test_websocket);
        RUN(test_polling);
        RUN(test_polling_auth);
        RUN(test_manager);
        RUN(test_poll_loop);
        RUN(test_worker_thread);
        RUN(test_allocator_logger);
        RUN(test_signal_burst);
        printf("examples%s: %lld ms\n", g_valgrind ? " under valgrind" : "", now_ms() - t);
    }
    printf("examples: %lld ms in all\n", now_ms() - t0);
    TEST_MAIN_END("examples");
}
