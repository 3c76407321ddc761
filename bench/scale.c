/* bench/scale.c - what a wallet costs (issue 15): one currency (BTC) with N idle wallets, held by
   a bce_manager_t listening over the websocket (bce_manager_begin_websocket + a
   bce_manager_step loop) to the C fake daemon (tests/fake_daemon.c) on 127.0.0.1, a free port.

   Build:  make build/bench_scale  (needs build/fake_daemon)
   Run:    build/bench_scale               1,000, 10,000 and 100,000 wallets, one process each
           build/bench_scale N [RATE]      N wallets only; RATE: bce_ws_opts_t.drain_rate (0: the
                                           default, < 0: no limit), with a header that has it

   For each N, in a fresh process (so that its peak RSS is this run's alone):
     1. memory: VmRSS and VmHWM (/proc/self/status) above the same process just before the
        manager was created (the keys are generated before that), and the library's heap (a
        counting allocator in bce_manager_desc_t.allocator) in use at the end, divided by N:
        bytes per wallet. The per-currency buffers are in that figure too (they matter only at
        1,000 wallets). Keys are 111 base58 characters ("xpub6" + index + filler), which the
        daemon loads (BIP32-prefixed keys must be exactly that).
     2. the first catch-up round: from the websocket's connect (on_connect) until every wallet
        had its get_updates answered, measured at the daemon (GET /_test/counters:
        wallets_drained reaches N; wallets_drained_ms is when, on the CLOCK_MONOTONIC clock
        this process reads too).
     3. steady state: the daemon's get_updates calls per second over WINDOW_S seconds right
        after that round, with drain_interval_ms 1000 so that drains are due all the time; the
        daemon's and this process's CPU in that window. The goal: at most the per-currency drain
        rate (bce_ws_opts_t.drain_rate, BCE_DRAIN_RATE_DEFAULT 20/s), which a header without
        that field does not have: it then runs with no limit and says so.
   Each N has a time bound for the first round (did not complete in N s: said so, no hang).
   Prints ROW lines for bench/run.sh's table (informational, not a test: the exit status is
   non-zero only when a run could not be made) and SCALE lines with the raw figures. Linux. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include "tests/daemon.h"
#include "bench_util.h"     /* counter_t, count_alloc, count_free, vm_hwm_kib */
#include <sys/resource.h>

#define WINDOW_S 10         /* the steady-state window */
#define DRAIN_MS 1000       /* drain_interval_ms: drains due all the time */
#define KEY_LEN 111
#define GOAL_RATE 20        /* the example rate, the goal's figure for an old header */

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static daemon_t g_daemon;   /* stopped by the watchdog and by SIGTERM (run.sh's timeout) too */

static void on_fatal_signal(int sig) {
    static const char msg[] = "bench_scale: watchdog or SIGTERM: daemon stopped, exiting\n";
    ssize_t w;
    if (g_daemon.pid > 0) {
        kill(g_daemon.pid, SIGKILL);
        waitpid(g_daemon.pid, NULL, 0);
    }
    w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(128 + sig);
}

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_self_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6
         + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* user + system CPU seconds of process pid (/proc/PID/stat fields 14 and 15), or -1 */
static double cpu_pid_s(pid_t pid) {
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    size_t n;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r"))) return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (!(p = strrchr(buf, ')'))) return -1;   /* the name may hold spaces: fields after it */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* a "Vm...:" field of /proc/self/status in KiB, or -1 */
static long vm_kib(const char *field) {
    char line[256];
    size_t n = strlen(field);
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') { v = atol(line + n + 1); break; }
    fclose(f);
    return v;
}

typedef struct counters_t {
    long get_updates, drained, loaded;
    long long drained_ms;
} counters_t;

static long field(const char *buf, const char *name) {
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\"%s\":", name);
    p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* the daemon's counters (GET /_test/counters: no wallet list); 0, or -1 */
static int counters(int port, counters_t *c) {
    char buf[1024];
    const char *p;
    if (http_request(port, "GET", "/_test/counters", NULL, buf, sizeof buf) < 0) return -1;
    c->get_updates = field(buf, "get_updates");
    c->drained = field(buf, "wallets_drained");
    c->loaded = field(buf, "loaded_count");
    p = strstr(buf, "\"wallets_drained_ms\":");
    c->drained_ms = p ? strtoll(p + 21, NULL, 10) : -1;
    return c->get_updates < 0 || c->drained < 0 || c->drained_ms < 0 ? -1 : 0;
}

/* key i: "xpub6", i in 5 base58 digits, then filler from a fixed-seed xorshift: 111 base58
   characters, distinct for i < 58^5 */
static void make_key(char *k, unsigned i, unsigned long long *rng) {
    int j;
    memcpy(k, "xpub6", 5);
    for (j = 9; j >= 5; j--) { k[j] = b58[i % 58]; i /= 58; }
    for (j = 10; j < KEY_LEN; j++) {
        *rng ^= *rng << 13; *rng ^= *rng >> 7; *rng ^= *rng << 17;
        k[j] = b58[*rng % 58];
    }
    k[KEY_LEN] = 0;
}

static long long t_connect = -1;

static void on_connect(bce_coin_t *coin, const char *currency, void *ud) {
    (void)coin; (void)currency; (void)ud;
    if (t_connect < 0) t_connect = mono_ms();
}

/* 1,234,567 */
static const char *commas(long long v) {
    static char bufs[8][32];
    static unsigned next;
    char tmp[32], *b = bufs[next++ % 8];
    int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v), i, o = 0;
    if (v < 0) b[o++] = '-';
    for (i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) b[o++] = ',';
        b[o++] = tmp[i];
    }
    b[o] = 0;
    return b;
}

static int bound_s(long n) { return n <= 1000 ? 15 : n <= 10000 ? 25 : 60; }

static int run_one(long n, int rate_arg) {
    const char *const dargv[] = {FAKE_DAEMON, "--port", "0", NULL};
    char *keys, url[64], rate_text[96], what[96], measured[512];
    const char **kp;
    unsigned long long rng = 0x9E3779B97F4A7C15ull;
    long i, rss0, hwm0, rss_held, rss1, hwm1;
    long long heap_held, heap_round = -1, steady_calls0 = 0, t_round = -1;
    int rate = 0, r, complete = 0, bound = bound_s(n), exit_code = 0;
    double calls_s = -1, dcpu = -1, ccpu = -1;
    counter_t ctr;
    bce_manager_desc_t md;
    bce_coin_desc_t cd;
    bce_ws_opts_t o;
    bce_manager_t *m;
    counters_t c0, c1;
    long long start, next_poll, t0 = 0, t1 = 0;

    signal(SIGTERM, on_fatal_signal);
    signal(SIGALRM, on_fatal_signal);
    alarm((unsigned)(bound + WINDOW_S + 60));   /* a hang anywhere else (setup, teardown) */
    if (!(keys = (char *)malloc((size_t)n * (KEY_LEN + 1))) || !(kp = (const char **)malloc((size_t)n * sizeof *kp))) {
        fprintf(stderr, "no memory for %ld keys\n", n);
        return 1;
    }
    for (i = 0; i < n; i++) {
        make_key(keys + (size_t)i * (KEY_LEN + 1), (unsigned)i, &rng);
        kp[i] = keys + (size_t)i * (KEY_LEN + 1);
    }
    if (daemon_start(&g_daemon, dargv) != 0) return 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", g_daemon.port);

    memset(&o, 0, sizeof o);
    o.on_connect = on_connect;
    o.drain_interval_ms = DRAIN_MS;
#ifdef BCE_DRAIN_RATE_DEFAULT
    o.drain_rate = rate_arg;
    rate = rate_arg == 0 ? BCE_DRAIN_RATE_DEFAULT : rate_arg;
    if (rate > 0) snprintf(rate_text, sizeof rate_text, "drain_rate %d/s%s", rate, rate_arg == 0 ? " (the default)" : "");
    else snprintf(rate_text, sizeof rate_text, "no limit (drain_rate %d)", rate_arg);
#else
    (void)rate_arg;
    snprintf(rate_text, sizeof rate_text, "no limit (header without drain_rate)");
#endif

    /* the baseline: this process with its keys and the daemon started, before the manager */
    rss0 = vm_kib("VmRSS");
    hwm0 = vm_hwm_kib();
    memset(&ctr, 0, sizeof ctr);
    memset(&md, 0, sizeof md);
    md.allocator.alloc = count_alloc;
    md.allocator.free = count_free;
    md.allocator.user_data = &ctr;
    m = bce_manager_create(&md);
    memset(&cd, 0, sizeof cd);
    cd.url = url;
    if (!m || bce_manager_configure(m, "BTC", &cd) != BCE_OK) { fprintf(stderr, "manager setup failed\n"); return 1; }
    start = mono_ms();
    r = bce_manager_add_wallets(m, "BTC", kp, (size_t)n);
    if (r != n) { fprintf(stderr, "bce_manager_add_wallets: %d of %ld\n", r, n); return 1; }
    heap_held = ctr.in_use;
    rss_held = vm_kib("VmRSS");
    printf("%s wallets: added in %lld ms; library heap %s B (%s B per wallet), VmRSS +%s KiB\n", commas(n),
           mono_ms() - start, commas(heap_held), commas(heap_held / n), commas(rss_held - rss0));

    r = bce_manager_begin_websocket(m, "BTC", &o);
    if (r != BCE_OK) { fprintf(stderr, "bce_manager_begin_websocket: %s\n", bce_result_str(r)); return 1; }
    start = mono_ms();
    next_poll = start;
    for (;;) {     /* the first round, then the steady-state window */
        long long now = mono_ms();
        if (!complete && t_connect < 0 && now - start > (long long)bound * 1000) break;
        if (!complete && t_connect >= 0 && now - t_connect > (long long)bound * 1000) break;
        if (complete && now - t0 >= WINDOW_S * 1000) break;
        r = bce_manager_step(m, 10);
        if (r <= 0) {
            fprintf(stderr, "bce_manager_step: %d (%s) before the end\n", r, r < 0 ? bce_result_str(r) : "stopped");
            exit_code = 1;
            break;
        }
        now = mono_ms();
        if (!complete && t_connect >= 0 && now >= next_poll) {
            next_poll = now + 20;
            if (counters(g_daemon.port, &c0) == 0 && c0.drained >= n) {
                complete = 1;
                t_round = c0.drained_ms - t_connect;
                heap_round = ctr.in_use;
                t0 = mono_ms();
                steady_calls0 = c0.get_updates;
                dcpu = cpu_pid_s(g_daemon.pid);
                ccpu = cpu_self_s();
                ctr.armed = 1;      /* allocations in steady state */
                printf("%s wallets: first catch-up round complete %lld ms after the connect "
                       "(%s get_updates calls so far); library heap %s B\n",
                       commas(n), t_round, commas(c0.get_updates), commas(heap_round));
            }
        }
    }
    if (complete && exit_code == 0 && counters(g_daemon.port, &c1) == 0) {
        t1 = mono_ms();
        calls_s = (double)(c1.get_updates - steady_calls0) * 1000.0 / (double)(t1 - t0);
        dcpu = dcpu >= 0 ? (cpu_pid_s(g_daemon.pid) - dcpu) * 1000.0 / (double)(t1 - t0) : -1;
        ccpu = (cpu_self_s() - ccpu) * 1000.0 / (double)(t1 - t0);
        printf("%s wallets: steady state over %.1f s: %s get_updates calls = %.1f calls/s (%s); daemon CPU %.0f%%, "
               "this process %.0f%%; %lld allocator calls\n", commas(n), (double)(t1 - t0) / 1000.0,
               commas(c1.get_updates - steady_calls0), calls_s, rate_text, dcpu * 100, ccpu * 100, ctr.armed_calls);
    } else if (!complete) {
        counters_t cx;
        memset(&cx, 0, sizeof cx);
        counters(g_daemon.port, &cx);
        printf("%s wallets: first catch-up round did not complete in %d s (%s of %s wallets drained, %s get_updates calls%s)\n",
               commas(n), bound, commas(cx.drained), commas(n), commas(cx.get_updates),
               t_connect < 0 ? "; never connected" : "");
    }
    rss1 = vm_kib("VmRSS");
    hwm1 = vm_hwm_kib();
    printf("%s wallets: VmRSS +%s KiB, VmHWM +%s KiB above the process before the manager (%s / %s KiB); "
           "library heap in use %s B, peak %s B, %s blocks\n", commas(n), commas(rss1 - rss0), commas(hwm1 - hwm0),
           commas(rss0), commas(hwm0), commas(ctr.in_use), commas(ctr.peak), commas(ctr.blocks));
    printf("SCALE\t%ld\theap_held\t%lld\theap_end\t%lld\theap_peak\t%lld\trss_kib\t%ld\thwm_kib\t%ld\tround_ms\t%lld"
           "\tcalls_s\t%.1f\trate\t%d\tdaemon_cpu\t%.2f\n", n, heap_held, ctr.in_use, ctr.peak, rss1 - rss0, hwm1 - hwm0,
           complete ? t_round : -1, calls_s, rate, dcpu);

    /* the rows */
    snprintf(what, sizeof what, "scale, %s wallets (BTC, websocket, idle): memory", commas(n));
    snprintf(measured, sizeof measured, "library heap %s B per wallet (%.1f MiB in all, peak %.1f MiB); "
             "RSS +%.1f MiB, VmHWM +%.1f MiB = %s B per wallet; keys %d chars",
             commas(ctr.in_use / n), (double)ctr.in_use / 1048576.0, (double)ctr.peak / 1048576.0,
             (double)(rss1 - rss0) / 1024.0, (double)(hwm1 - hwm0) / 1024.0, commas((long long)(hwm1 - hwm0) * 1024 / n), KEY_LEN);
    printf("ROW\t%s\tPython SDK about 1.7 KiB per wallet (issue 15)\t<= 1 KiB per wallet (+ its key)\t%s\t%s\n", what, measured,
           ctr.in_use / n <= 1024 + KEY_LEN + 1 ? "met" : "NOT met");
    snprintf(what, sizeof what, "scale, %s wallets: get_updates/s in steady state", commas(n));
    if (!complete)
        snprintf(measured, sizeof measured, "first catch-up round did not complete in %d s%s", bound,
                 exit_code ? " (the run ended: see the log)" : "");
    else if (calls_s < 0)
        snprintf(measured, sizeof measured, "first catch-up round %.2f s; the steady-state window failed (see the log)",
                 (double)t_round / 1000.0);
    else
        snprintf(measured, sizeof measured, "first catch-up round over all %s: %.2f s; then %.0f calls/s over %d s "
                 "(drain_interval_ms %d, %s), daemon CPU %.0f%%", commas(n), (double)t_round / 1000.0, calls_s, WINDOW_S,
                 DRAIN_MS, rate_text, dcpu * 100);
    printf("ROW\t%s\tPython SDK: no calls (no catch-up)\t<= drain rate (20/s)\t%s\t%s\n", what, measured,
           complete && calls_s >= 0 && calls_s <= (rate > 0 ? rate : GOAL_RATE) * 1.1 ? "met" : "NOT met");
    fflush(stdout);

    bce_manager_stop(m);
    for (i = 0; i < 100 && bce_manager_step(m, 50) > 0; i++) {}
    bce_manager_destroy(m);
    daemon_stop(&g_daemon);
    free(kp);
    free(keys);
    alarm(0);
    return exit_code;
}

int main(int argc, char **argv) {
    static const long sizes[] = {1000, 10000, 100000};
    size_t s;
    int fails = 0;
    if (argc > 1) return run_one(atol(argv[1]), argc > 2 ? atoi(argv[2]) : 0) ? 1 : 0;
    for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {   /* one fresh process per size */
        char arg[32];
        pid_t pid;
        int st = 0;
        snprintf(arg, sizeof arg, "%ld", sizes[s]);
        fflush(stdout);
        pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            char *const cargv[] = {argv[0], arg, NULL};
            execv("/proc/self/exe", cargv);
            _exit(127);
        }
        g_daemon.pid = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("ROW\tscale, %s wallets\t-\t-\tFAILED (exit status %d)\tNOT met\n", commas(sizes[s]),
                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            fails++;
        }
    }
    return fails ? 1 : 0;
}
