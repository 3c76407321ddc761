/* examples/bitcart-listen.c: listen to a BitcartCC daemon and print every event as one JSON
   line, so that any language can consume the events through a pipe.

       bitcart-listen --url http://127.0.0.1:5000 --xpub vpub5Y... | while read -r line; do ...

   Each line: {"event":NAME,"currency":CUR,"wallet":KEY|null,"args":{...}} where "args" holds
   the update's members other than "event", keys and values exactly as the daemon sent them
   (only the whitespace between JSON tokens is removed, so a line never breaks). See --help and
   the man page (examples/bitcart-listen.1) for flags and exit codes.

   Build: cc -std=c99 -I. examples/bitcart-listen.c -o bitcart-listen
     with TLS: add -DBCE_USE_MBEDTLS and -lmbedtls -lmbedx509 -lmbedcrypto (make does this when
     mbedTLS is installed). Only the public API of bitcart_events.h is used. */
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "bitcart-listen"

/* Exit codes (also in --help, the man page and the README). */
enum {
    EXIT_STOPPED = 0,   /* stopped by SIGINT or SIGTERM */
    EXIT_RUNTIME = 1,   /* any other failure: out of memory, stdout closed, a fatal daemon error */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_CONNECT = 3,   /* the first connection failed (refused, timeout, DNS, bad HTTP answer) */
    EXIT_AUTH = 4,      /* the daemon refused the user name or password */
    EXIT_TLS = 5        /* TLS failed (certificate not trusted, wrong host, no TLS built in) */
};

#define ALL_EVENTS "new_block, new_transaction, new_payment, verified_tx"
#define MAX_CURRENCIES 32
#define PROBE_BYTES (8u << 20)   /* --poll's first get_updates answer (its HTTP body limit too) */

typedef struct wallet_arg_t {
    char currency[16];
    const char *key;
} wallet_arg_t;

typedef struct url_arg_t {
    char currency[16];          /* "" for the URL of every currency */
    const char *url;
} url_arg_t;

static struct {
    url_arg_t urls[MAX_CURRENCIES];
    int nurls;
    const char *user;
    char *password;             /* our own copy; the argv and environment originals are erased */
    const char *currency;
    const char *xpub;
    wallet_arg_t *wallets;
    int nwallets;
    int poll_ms;                /* 0: websocket */
    const char *events;
    const char *ca_file;
    int insecure;
    int no_catch_up;
    int force_connect;
    int verbose;
    const char *exec_cmd;
} opt;

/* Per-currency connection state for the status lines. */
static struct {
    char currency[16];
    int connected;
    int reconnect_pending;
    char last_reason[128];
} g_status[MAX_CURRENCIES];
static int g_nstatus;
static int g_last_closed = -1;             /* the currency whose connection closed last */

static bce_coin_t *g_coin;                 /* single-wallet mode */
static bce_manager_t *g_manager;           /* --wallet mode */
static volatile sig_atomic_t g_signalled;
static volatile sig_atomic_t g_in_probe;   /* inside --poll's first (blocking) call */
static int g_failure;                      /* an exit code set from inside a handler */
static char *g_line;                       /* the output line, grown as needed and reused */
static size_t g_line_cap, g_line_len;
static bce_json_t g_json;                  /* tokenizes each update to list its arguments */
static int g_capture;                      /* setup: keep the library's error instead of printing it */
static char g_captured[256];

/* ---- messages ----------------------------------------------------------------------------- */

static void vsay(const char *fmt, va_list ap) {
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
}

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fputs("\nTry '" PROG " --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static void log_fn(int level, const char *message, void *user_data) {
    (void)user_data;
    if (g_capture && level <= BCE_LOG_ERROR) {
        snprintf(g_captured, sizeof g_captured, "%s", message);
        return;
    }
    say("%s%s", level <= BCE_LOG_ERROR ? "error: " : level == BCE_LOG_WARN ? "warning: " : "", message);
}

/* Text from the network, made printable and cut to fit. */
static void copy_printable(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src && *src && i + 1 < cap; src++) dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[i] = 0;
}

static void print_help(void) {
    fputs(
        "Usage: " PROG " [OPTIONS]\n"
        "Listens to a BitcartCC daemon and prints every event as one JSON object per line:\n"
        "  {\"event\":\"new_payment\",\"currency\":\"BTC\",\"wallet\":\"vpub...\",\"args\":{...}}\n"
        "\"args\" holds the update's members other than \"event\", exactly as the daemon sent them.\n"
        "Connection status and errors go to stderr.\n"
        "\n"
        "Daemon:\n"
        "  --url URL            daemon URL (default http://localhost:<currency port>);\n"
        "                       --url CUR=URL sets it for one currency only (repeatable)\n"
        "  --user NAME          user name (default electrum; or $BITCART_USER)\n"
        "  --password PASS      password (default electrumz; or $BITCART_PASSWORD, which is safer:\n"
        "                       command lines are visible to other users)\n"
        "  --password-file F    read the password from the first line of file F\n"
        "  --ca-file FILE       trust the CAs in this PEM file for https:// (default: system)\n"
        "  --insecure           accept any TLS certificate (warned about; testing only)\n"
        "Wallets:\n"
        "  --currency CUR       BTC (default), LTC, ETH, BCH, XRG, BNB, MATIC, TRX, GRS, XMR\n"
        "  --xpub KEY           the wallet to listen to; without it the websocket delivers the\n"
        "                       events of every wallet the daemon has loaded\n"
        "  --wallet CUR:KEY     manager mode: one wallet of one currency; repeat for more\n"
        "                       wallets and currencies (one connection per currency)\n"
        "Delivery:\n"
        "  --poll[=MS]          poll get_updates every MS ms (default 1000) instead of the\n"
        "                       websocket; needs a wallet\n"
        "  --events LIST        only these events, e.g. \"new_payment,new_transaction\"\n"
        "                       (default: new_block, new_transaction, new_payment, verified_tx)\n"
        "  --no-catch-up        websocket: no get_updates after (re)connecting\n"
        "  --force-connect      keep retrying when the first connection fails\n"
        "  --exec CMD           run CMD (with /bin/sh -c) once per event, the event's JSON line\n"
        "                       on its stdin, instead of printing the line; one at a time, in\n"
        "                       order; $BITCART_EVENT, $BITCART_CURRENCY and $BITCART_WALLET are\n"
        "                       set; a failing CMD is reported on stderr and listening goes on\n"
        "Other:\n"
        "  -v, --verbose        more detail on stderr (twice, or -vv: debug); never the password\n"
        "  -h, --help           this help\n"
        "  -V, --version        version, and whether TLS is built in\n"
        "\n"
        "Exit status: 0 stopped by SIGINT/SIGTERM; 1 runtime failure (stdout closed, out of\n"
        "memory, fatal daemon error); 2 bad command line; 3 could not connect; 4 authentication\n"
        "failed; 5 TLS failure.\n",
        stdout);
}

static void print_version(void) {
#ifdef BCE_USE_MBEDTLS
    printf(PROG " %s (bitcart_events.h %s, TLS: mbedTLS %s)\n", BCE_VERSION_STRING, BCE_VERSION_STRING,
           MBEDTLS_VERSION_STRING);
#else
    printf(PROG " %s (bitcart_events.h %s, TLS: not built in)\n", BCE_VERSION_STRING, BCE_VERSION_STRING);
#endif
}

/* ---- the command line --------------------------------------------------------------------- */

/* Erases a secret in place (argv, the environment, our copy before it is freed). memset through
   a volatile pointer: a plain memset right before free() may be dropped by the compiler. */
static void *(*const volatile memset_v)(void *, int, size_t) = memset;
static void erase(char *s) {
    if (s) memset_v(s, 0, strlen(s));
}

static int set_password(char *value, int erase_source) {
    erase(opt.password);                           /* a second --password replaces the first */
    free(opt.password);
    opt.password = strdup(value);
    if (erase_source) erase(value);
    if (!opt.password) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    return 0;
}

static int read_password_file(const char *path) {
    char buf[1024];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f) return usage_error("--password-file: cannot read %s: %s", path, strerror(errno));
    setvbuf(f, NULL, _IONBF, 0);                   /* no stdio buffer left holding the password */
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    if (!n) return usage_error("--password-file: %s has no password on its first line", path);
    return set_password(buf, 1);
}

static int parse_ms(const char *s, int *out) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 86400000) return -1;
    *out = (int)v;
    return 0;
}

/* "BTC=http://..." names a currency; "http://..." does not. */
static int add_url(const char *value) {
    url_arg_t *u;
    const char *eq = strchr(value, '=');
    size_t n = 0;
    if (opt.nurls == MAX_CURRENCIES) return usage_error("--url: too many");
    u = &opt.urls[opt.nurls];
    u->currency[0] = 0;
    u->url = value;
    if (eq && strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) {
        for (n = 0; value + n < eq; n++)
            if (!((value[n] >= 'A' && value[n] <= 'Z') || (value[n] >= 'a' && value[n] <= 'z'))) break;
        if (value + n != eq || n == 0 || n >= sizeof u->currency)
            return usage_error("--url '%s': expected URL or CUR=URL", value);
        memcpy(u->currency, value, n);
        u->currency[n] = 0;
        u->url = eq + 1;
    }
    opt.nurls++;
    return 0;
}

static int add_wallet(const char *value) {
    const char *colon = strchr(value, ':');
    wallet_arg_t *w;
    size_t n;
    if (!colon || colon == value || !colon[1])
        return usage_error("--wallet '%s': expected CUR:KEY, e.g. BTC:vpub5Y...", value);
    n = (size_t)(colon - value);
    if (n >= sizeof w->currency) return usage_error("--wallet '%s': unknown currency", value);
    w = (wallet_arg_t *)realloc(opt.wallets, (size_t)(opt.nwallets + 1) * sizeof *w);
    if (!w) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    opt.wallets = w;
    w += opt.nwallets++;
    memcpy(w->currency, value, n);
    w->currency[n] = 0;
    w->key = colon + 1;
    return 0;
}

/* Flags taking a value accept "--flag value" and "--flag=value"; --poll takes one only as
   "--poll=MS". Returns 0, or an exit code (-1: --help/--version printed, exit 0). */
static int parse_args(int argc, char **argv) {
    static const char *const with_value[] = {"--url", "--user", "--password", "--password-file", "--currency",
                                             "--xpub", "--wallet", "--events", "--ca-file", "--exec"};
    int i, r;
    for (i = 1; i < argc; i++) {
        char *a = argv[i], *val = NULL, name[32];
        char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nl = eq ? (size_t)(eq - a) : strlen(a), k;
        int takes = 0;
        if (nl >= sizeof name) return usage_error("unknown option '%s'", a);
        memcpy(name, a, nl);
        name[nl] = 0;
        for (k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (strcmp(name, with_value[k]) == 0) takes = 1;
        if (takes) {
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            else return usage_error("%s needs a value", name);
            if (!*val && strcmp(name, "--password") != 0) return usage_error("%s needs a non-empty value", name);
        } else if (eq && strcmp(name, "--poll") != 0) {
            return usage_error("%s takes no value", name);
        }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            print_help();
            return -1;
        } else if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
            print_version();
            return -1;
        } else if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) {
            opt.verbose++;
        } else if (!strcmp(name, "-vv")) {
            opt.verbose += 2;
        } else if (!strcmp(name, "--url")) {
            if ((r = add_url(val)) != 0) return r;
        } else if (!strcmp(name, "--user")) {
            opt.user = val;
        } else if (!strcmp(name, "--password")) {
            if ((r = set_password(val, 1)) != 0) return r;
        } else if (!strcmp(name, "--password-file")) {
            if ((r = read_password_file(val)) != 0) return r;
        } else if (!strcmp(name, "--currency")) {
            opt.currency = val;
        } else if (!strcmp(name, "--xpub")) {
            opt.xpub = val;
        } else if (!strcmp(name, "--wallet")) {
            if ((r = add_wallet(val)) != 0) return r;
        } else if (!strcmp(name, "--events")) {
            opt.events = val;
        } else if (!strcmp(name, "--ca-file")) {
            opt.ca_file = val;
        } else if (!strcmp(name, "--exec")) {
            opt.exec_cmd = val;
        } else if (!strcmp(name, "--poll")) {
            opt.poll_ms = 1000;
            if (eq && parse_ms(eq + 1, &opt.poll_ms) != 0)
                return usage_error("--poll=%s: expected milliseconds between 1 and 86400000", eq + 1);
        } else if (!strcmp(name, "--insecure")) {
            opt.insecure = 1;
        } else if (!strcmp(name, "--no-catch-up")) {
            opt.no_catch_up = 1;
        } else if (!strcmp(name, "--force-connect")) {
            opt.force_connect = 1;
        } else if (a[0] == '-') {
            return usage_error("unknown option '%s'", a);
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (opt.nwallets && (opt.xpub || opt.currency))
        return usage_error("--wallet cannot be combined with --currency or --xpub (use --wallet CUR:KEY for each wallet)");
    if (opt.poll_ms && !opt.nwallets && !opt.xpub)
        return usage_error("--poll needs a wallet: --xpub KEY or --wallet CUR:KEY");
    if (opt.poll_ms && opt.no_catch_up) return usage_error("--no-catch-up applies to the websocket, not to --poll");
    if (opt.ca_file && opt.insecure) return usage_error("--ca-file and --insecure contradict each other");
    return 0;
}

static int strcasecmp_ascii(const char *a, const char *b) {
    for (;; a++, b++) {
        int x = (*a >= 'a' && *a <= 'z') ? *a - 32 : *a, y = (*b >= 'a' && *b <= 'z') ? *b - 32 : *b;
        if (x != y || !x) return x - y;
    }
}

/* The URL for a currency: its own --url CUR=URL, else a plain --url, else NULL (default). */
static const char *url_for(const char *currency) {
    const char *any = NULL;
    int i;
    for (i = 0; i < opt.nurls; i++) {
        if (!opt.urls[i].currency[0]) any = opt.urls[i].url;
        else if (currency && strcasecmp_ascii(opt.urls[i].currency, currency) == 0) return opt.urls[i].url;
    }
    return any;
}

/* ---- output ------------------------------------------------------------------------------- */

static int line_reserve(size_t extra) {
    size_t need = g_line_len + extra, cap = g_line_cap ? g_line_cap : 1024;
    char *p;
    if (need <= g_line_cap) return 0;
    while (cap < need) cap *= 2;
    p = (char *)realloc(g_line, cap);
    if (!p) return -1;
    g_line = p;
    g_line_cap = cap;
    return 0;
}

static int line_add(const char *s, size_t n) {
    if (line_reserve(n) != 0) return -1;
    memcpy(g_line + g_line_len, s, n);
    g_line_len += n;
    return 0;
}

/* A decoded string as a JSON string. */
static int line_string(const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (!s) return line_add("null", 4);
    if (line_add("\"", 1) != 0) return -1;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            if (line_add(esc, 2) != 0) return -1;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            if (line_add(esc, 6) != 0) return -1;
        } else if (line_add((const char *)&c, 1) != 0) {
            return -1;
        }
    }
    return line_add("\"", 1);
}

/* Valid JSON text, copied without the whitespace between tokens. */
static int line_compact(const char *s, size_t n) {
    size_t i;
    int in_string = 0, escaped = 0;
    if (line_reserve(n) != 0) return -1;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (escaped) escaped = 0;
            else if (c == '\\') escaped = 1;
            else if (c == '"') in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        g_line[g_line_len++] = c;
    }
    return 0;
}

/* Builds the line for an event into g_line (with the trailing newline). */
static int build_line(const bce_event_t *ev) {
    size_t len = 0;
    const char *obj = bce_event_json(ev, NULL, &len);
    uint32_t k;
    int first = 1, n;
    g_line_len = 0;
    if (line_add("{\"event\":", 9) || line_string(bce_event_name(ev)) || line_add(",\"currency\":", 12)
        || line_string(bce_event_currency(ev)) || line_add(",\"wallet\":", 10) || line_string(bce_event_wallet(ev))
        || line_add(",\"args\":{", 9))
        return BCE_ERR_NOMEM;
    if (!obj) return BCE_ERR_JSON;
    n = bce_json_parse(&g_json, obj, len);
    if (n < 0) return n;
    if (g_json.tokens[0].type != BCE_JSON_OBJECT) return BCE_ERR_JSON;
    for (k = 1; k < (uint32_t)n; k = g_json.tokens[k + 1].next) {
        const bce_json_token_t *key = &g_json.tokens[k], *val = &g_json.tokens[k + 1];
        size_t vs = val->start, ve = val->end;
        if (key->end - key->start == 5 && memcmp(obj + key->start, "event", 5) == 0) continue;
        if (val->type == BCE_JSON_STRING) vs--, ve++;        /* the quotes */
        if ((!first && line_add(",", 1)) || line_compact(obj + key->start - 1, key->end - key->start + 2)
            || line_add(":", 1) || line_compact(obj + vs, ve - vs))
            return BCE_ERR_NOMEM;
        first = 0;
    }
    if (line_add("}}\n", 3)) return BCE_ERR_NOMEM;
    return BCE_OK;
}

static void stop_all(void) {
    if (g_coin) bce_stop(g_coin);
    if (g_manager) bce_manager_stop(g_manager);
}

/* ---- --exec ------------------------------------------------------------------------------- */

/* Marks every descriptor above stderr close-on-exec, so that a command (or something it leaves
   running in the background) does not hold them open. Called once, at startup: it covers what
   bitcart-listen inherited; the library marks its own sockets and wake pipes close-on-exec as it
   opens them, and nothing else stays open (the password file and --ca-file are closed). */
static void cloexec_all(void) {
    static const char *const dirs[] = {"/proc/self/fd", "/dev/fd"};
    size_t d;
    int fd;
    for (d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        if (!dir) continue;
        while ((e = readdir(dir)) != NULL) {
            char *end;
            long v = strtol(e->d_name, &end, 10);
            if (*end || end == e->d_name || v < 3 || v > INT_MAX || (int)v == dirfd(dir)) continue;
            fd = (int)v;
            fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
        }
        closedir(dir);
        return;
    }
    for (fd = 3; fd < 1024; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

/* Runs --exec's command with the line on its stdin and waits for it. */
static void run_exec(const bce_event_t *ev) {
    int p[2], status;
    size_t off = 0;
    pid_t pid, w;
    if (pipe(p) < 0) {
        say("error: --exec: pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        say("error: --exec: fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        const char *wallet = bce_event_wallet(ev);
        sigset_t none;
        signal(SIGPIPE, SIG_DFL);                  /* we ignore it; the command should not */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(p[1]);
        if (p[0] != 0) {
            dup2(p[0], 0);
            close(p[0]);
        }
        /* BITCART_WALLET is whatever wallet key the daemon sent (any bytes but NUL, up to
           max_message_bytes): too large an environment makes execve fail with E2BIG */
        if (setenv("BITCART_EVENT", bce_event_name(ev), 1) != 0
            || setenv("BITCART_CURRENCY", bce_event_currency(ev), 1) != 0
            || (wallet ? setenv("BITCART_WALLET", wallet, 1) : unsetenv("BITCART_WALLET")) != 0) {
            say("error: --exec: cannot set the environment for a %s event: %s", bce_event_name(ev), strerror(errno));
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", opt.exec_cmd, (char *)NULL);
        say("error: --exec: cannot start the command for a %s event: %s%s", bce_event_name(ev), strerror(errno),
            errno == E2BIG ? " (the environment is too large: $BITCART_WALLET holds the daemon's wallet key)" : "");
        _exit(127);
    }
    close(p[0]);
    while (off < g_line_len) {                     /* a command that does not read gets EPIPE */
        ssize_t n = write(p[1], g_line + off, g_line_len - off);
        if (n > 0) off += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else break;
    }
    close(p[1]);
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}   /* a signal: still wait */
    if (w < 0) {
        say("error: --exec: waitpid: %s", strerror(errno));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        say("warning: --exec: the command exited with status %d for a %s event (listening goes on)",
            WEXITSTATUS(status), bce_event_name(ev));
    } else if (WIFSIGNALED(status)) {
        say("warning: --exec: the command was killed by signal %d for a %s event (listening goes on)",
            WTERMSIG(status), bce_event_name(ev));
    }
}

/* ---- handlers ----------------------------------------------------------------------------- */

static void on_event(const bce_event_t *ev, void *user_data) {
    int r;
    (void)user_data;
    if (g_failure) return;
    /* the manager's websockets are unfiltered: only the wallets asked for, and global events */
    if (g_manager && bce_event_wallet(ev)
        && !bce_manager_wallet(g_manager, bce_event_currency(ev), bce_event_wallet(ev)))
        return;
    r = build_line(ev);
    if (r != BCE_OK) {                             /* cannot happen for what the library hands over */
        say("error: cannot format a %s event: %s", bce_event_name(ev), bce_result_str(r));
        if (r == BCE_ERR_NOMEM) {
            g_failure = EXIT_RUNTIME;
            stop_all();
        }
        return;
    }
    if (opt.exec_cmd) {
        run_exec(ev);
        return;
    }
    if (fwrite(g_line, 1, g_line_len, stdout) != g_line_len || fflush(stdout) != 0) {
        say("error: cannot write to stdout: %s", strerror(errno));
        g_failure = EXIT_RUNTIME;
        stop_all();
    }
}

static int status_index(const char *currency) {
    int i;
    for (i = 0; i < g_nstatus; i++)
        if (strcmp(g_status[i].currency, currency) == 0) return i;
    if (g_nstatus == MAX_CURRENCIES) return -1;
    snprintf(g_status[g_nstatus].currency, sizeof g_status[0].currency, "%s", currency);
    return g_nstatus++;
}

static void on_connect(bce_coin_t *coin, const char *currency, void *user_data) {
    int i = status_index(currency);
    (void)user_data;
    say("%s: connected to %s", currency, bce_coin_url(coin));
    if (i >= 0) {
        g_status[i].connected = 1;
        g_status[i].reconnect_pending = 0;
    }
}

static void on_disconnect(bce_coin_t *coin, int code, const char *reason, void *user_data) {
    const char *currency = bce_coin_currency(coin);
    int i = status_index(currency);
    char why[128];
    (void)user_data;
    copy_printable(why, sizeof why, reason);
    if (i < 0) return;
    g_last_closed = i;
    snprintf(g_status[i].last_reason, sizeof g_status[i].last_reason, "%s", why);
    if (g_status[i].connected) {
        say("%s: disconnected (%d%s%s)", currency, code, why[0] ? ": " : "", why);
        g_status[i].connected = 0;
        g_status[i].reconnect_pending = 1;
    } else if (opt.force_connect) {
        say("%s: connection attempt failed (%s)", currency, why);
        g_status[i].reconnect_pending = 1;
    }
}

/* After a step that kept running: the library will try again. */
static void report_reconnects(void) {
    int i;
    for (i = 0; i < g_nstatus; i++)
        if (g_status[i].reconnect_pending) {
            g_status[i].reconnect_pending = 0;
            if (!g_signalled) say("%s: reconnecting", g_status[i].currency);
        }
}

static void on_signal(int sig) {
    (void)sig;
    if (g_in_probe) _exit(EXIT_STOPPED);           /* a blocking call cannot be woken: nothing to flush */
    g_signalled = 1;
    stop_all();                                    /* async-signal-safe */
}

/* ---- running ------------------------------------------------------------------------------ */

static int exit_code_for(int result) {
    switch (result) {
    case BCE_OK: return EXIT_STOPPED;
    case BCE_ERR_AUTH: return EXIT_AUTH;
    case BCE_ERR_TLS: return EXIT_TLS;
    case BCE_ERR_CONNECT:
    case BCE_ERR_TIMEOUT:
    case BCE_ERR_HTTP:
    case BCE_ERR_CLOSED: return EXIT_CONNECT;
    default: return EXIT_RUNTIME;
    }
}

static void report_failure(int result, const char *currency, const char *url, const char *detail) {
    const char *what = result == BCE_ERR_AUTH ? "authentication failed (check --user and --password)"
                       : result == BCE_ERR_TLS ? "TLS failed"
                       : exit_code_for(result) == EXIT_CONNECT ? "cannot connect"
                       : "failed";
    say("error: %s%s%s at %s: %s%s%s", currency ? currency : "", currency ? ": " : "", what,
        url ? url : "the default URL", bce_result_str(result), detail && detail[0] ? ": " : "",
        detail ? detail : "");
}

static void fill_desc(bce_coin_desc_t *d, const char *currency, bce_logger_t logger) {
    memset(d, 0, sizeof *d);
    d->currency = currency;
    d->url = url_for(currency);
    d->user = opt.user;
    d->password = opt.password;
    d->tls.ca_file = opt.ca_file;
    d->tls.skip_verify = opt.insecure;
    d->logger = logger;
    d->limits.max_response_bytes = PROBE_BYTES;
}

/* --poll: the first get_updates, made here so that a daemon that cannot be reached or refuses
   the password ends the run with its exit code (the library's polling retries forever). What
   it returns is dispatched like any later answer: nothing is lost. */
static int probe(bce_coin_t *coin, const char *currency, const char *wallet, char *buf) {
    size_t len = 0;
    int r;
    g_in_probe = 1;
    r = g_signalled ? BCE_OK : bce_rpc(coin, "get_updates", NULL, buf, PROBE_BYTES, &len);
    g_in_probe = 0;
    if (g_signalled) return BCE_OK;
    if (r == BCE_OK) {
        say("%s: connected to %s (polling every %d ms)", currency, bce_coin_url(coin), opt.poll_ms);
        if (g_manager) r = bce_manager_process_updates(g_manager, currency, wallet, buf, len);
        else r = bce_process_updates(coin, buf, len);
        return r < 0 ? r : BCE_OK;
    }
    if (r == BCE_ERR_AUTH || !opt.force_connect) {
        report_failure(r, currency, bce_coin_url(coin), bce_coin_last_error(coin));
        return r;
    }
    say("%s: %s (%s); polling retries", currency, bce_result_str(r), bce_coin_last_error(coin));
    return BCE_OK;
}

static int run(void) {
    bce_ws_opts_t ws;
    int r;
    memset(&ws, 0, sizeof ws);
    ws.on_connect = on_connect;
    ws.on_disconnect = on_disconnect;
    ws.force_connect = opt.force_connect;
    ws.disable_catch_up = opt.no_catch_up;
    if (opt.poll_ms) {
        char *buf = (char *)malloc(PROBE_BYTES);
        int i;
        if (!buf) {
            say("error: out of memory");
            return EXIT_RUNTIME;
        }
        r = BCE_OK;
        if (g_coin) {
            r = probe(g_coin, bce_coin_currency(g_coin), bce_coin_wallet_key(g_coin), buf);
        } else {
            for (i = 0; i < opt.nwallets && r == BCE_OK && !g_signalled && !g_failure; i++) {
                bce_coin_t *c = bce_manager_wallet(g_manager, opt.wallets[i].currency, opt.wallets[i].key);
                r = probe(c, bce_coin_currency(c), bce_coin_wallet_key(c), buf);
            }
        }
        free(buf);
        if (r != BCE_OK) return exit_code_for(r);
        r = g_coin ? bce_coin_start_polling(g_coin, opt.poll_ms) : bce_manager_start_polling(g_manager, opt.poll_ms);
    } else {
        r = g_coin ? bce_coin_begin_websocket(g_coin, &ws) : bce_manager_begin_websocket(g_manager, NULL, &ws);
    }
    if (r != BCE_OK) {
        say("error: cannot start: %s", bce_result_str(r));
        return EXIT_RUNTIME;
    }
    /* a signal before the start above reset the stop request: look at the flag as well */
    while (!g_signalled && !g_failure) {
        r = g_coin ? bce_coin_step(g_coin, -1) : bce_manager_step(g_manager, -1);
        if (r <= 0) break;
        report_reconnects();
    }
    if (g_failure) return g_failure;
    if (g_signalled || r == 0) {
        if (opt.verbose) say("stopped");
        return EXIT_STOPPED;
    }
    {
        const char *cur = g_coin ? bce_coin_currency(g_coin) : NULL, *detail = g_coin ? bce_coin_last_error(g_coin) : "";
        if (!g_coin && g_last_closed >= 0) {   /* the manager: the currency whose connection ended it */
            cur = g_status[g_last_closed].currency;
            detail = g_status[g_last_closed].last_reason;
        } else if (!detail[0] && g_last_closed >= 0) {
            detail = g_status[g_last_closed].last_reason;
        }
        report_failure(r, cur, cur ? url_for(cur) : NULL, detail);
    }
    return exit_code_for(r);
}

/* Creates the coin, or the manager and its wallets, while log_fn keeps the library's errors in
   g_captured (reported here) instead of printing them. Returns 0 or an exit code. */
static int create(const char *currency, bce_logger_t logger) {
    bce_coin_desc_t d;
    bce_manager_desc_t md;
    int i, r;
    if (!opt.nwallets) {
        fill_desc(&d, currency, logger);
        d.xpub = opt.xpub;
        g_coin = bce_coin_create(&d);
        return g_coin ? 0 : usage_error("%s", g_captured[0] ? g_captured : "cannot create the coin");
    }
    memset(&md, 0, sizeof md);
    md.logger = logger;
    g_manager = bce_manager_create(&md);
    if (!g_manager) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    for (i = 0; i < opt.nwallets; i++) {
        const char *cur = opt.wallets[i].currency;
        int j, seen = 0;
        for (j = 0; j < i; j++)
            if (strcasecmp_ascii(opt.wallets[j].currency, cur) == 0) seen = 1;
        if (!seen) {
            fill_desc(&d, cur, logger);
            r = bce_manager_configure(g_manager, cur, &d);
            if (r == BCE_ERR_UNSUPPORTED) return usage_error("--wallet %s:...: unsupported currency", cur);
            if (r != BCE_OK) return usage_error("%s: %s", cur, g_captured[0] ? g_captured : bce_result_str(r));
        }
        if (!bce_manager_add_wallet(g_manager, cur, opt.wallets[i].key)) {
            say("error: cannot add the %s wallet: %s", cur, g_captured[0] ? g_captured : "out of memory");
            return EXIT_RUNTIME;
        }
        if (opt.verbose) {
            const char *url = url_for(cur);
            say("%s: %s, wallet %s", cur, url ? url : "(default URL)", opt.wallets[i].key);
        }
    }
    return 0;
}

/* Creates the coin or the manager and subscribes to the events. Returns 0 or an exit code. */
static int setup(bce_logger_t logger) {
    const char *currency = opt.currency ? opt.currency : "BTC";
    const char *events = opt.events ? opt.events : ALL_EVENTS;
    int i, r;
    bce_json_desc_t jd;
    memset(&jd, 0, sizeof jd);
    if (bce_json_init(&g_json, &jd) != BCE_OK) return EXIT_RUNTIME;
    for (i = 0; i < opt.nurls && !opt.nwallets; i++)
        if (opt.urls[i].currency[0] && strcasecmp_ascii(opt.urls[i].currency, currency) != 0)
            return usage_error("--url %s=...: not the currency listened to (--currency %s)", opt.urls[i].currency,
                               currency);
    g_capture = 1;
    g_captured[0] = 0;
    r = create(currency, logger);
    g_capture = 0;
    if (r != 0) return r;
    for (i = 0; i < opt.nurls && g_manager; i++) {
        int j, used = !opt.urls[i].currency[0];
        for (j = 0; j < opt.nwallets; j++)
            if (strcasecmp_ascii(opt.wallets[j].currency, opt.urls[i].currency) == 0) used = 1;
        if (!used) return usage_error("--url %s=...: no --wallet of that currency", opt.urls[i].currency);
    }
    r = g_coin ? bce_on(g_coin, events, on_event, NULL) : bce_manager_on(g_manager, events, on_event, NULL);
    if (r != BCE_OK) return usage_error("--events '%s': unknown event name (known: " ALL_EVENTS ")", opt.events);
    if (g_coin && opt.verbose)
        say("%s: %s, wallet %s, user %s, %s", bce_coin_currency(g_coin), bce_coin_url(g_coin),
            opt.xpub ? opt.xpub : "(none: every wallet's events)", opt.user ? opt.user : "electrum",
            opt.poll_ms ? "polling" : "websocket");
    return 0;
}

static void getenv_copy(const char *name, const char **out) {
    const char *v = getenv(name);
    if (v && *v && !*out) *out = v;
}

int main(int argc, char **argv) {
    bce_logger_t logger;
    struct sigaction sa;
    int r;
    char *envpw;

    r = parse_args(argc, argv);
    if (r == -1) return 0;
    if (r != 0) return r;
    getenv_copy("BITCART_USER", &opt.user);
    if (!opt.nurls) {
        const char *u = NULL;
        getenv_copy("BITCART_URL", &u);
        if (u && (r = add_url(u)) != 0) return r;
    }
    envpw = getenv("BITCART_PASSWORD");
    if (envpw && !opt.password && (r = set_password(envpw, 0)) != 0) return r;
    erase(envpw);                                  /* the original too (/proc/PID/environ) */
    unsetenv("BITCART_PASSWORD");                  /* --exec commands do not inherit it */

    memset(&logger, 0, sizeof logger);
    logger.fn = log_fn;
    logger.level = opt.verbose >= 2 ? BCE_LOG_DEBUG : opt.verbose ? BCE_LOG_INFO : BCE_LOG_WARN;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;                       /* write errors are checked instead */
    sigaction(SIGPIPE, &sa, NULL);

    if (opt.exec_cmd) cloexec_all();               /* before any event: see cloexec_all */
    r = setup(logger);
    if (r == 0) r = run();

    /* Shutting down: a further SIGINT or SIGTERM (timeout(1) signals the process, then its
       group) must not reach the objects freed below. Blocked from here on, such signals stay
       pending and are discarded at exit; the handler would find NULL pointers anyway. */
    {
        sigset_t late;
        bce_coin_t *coin = g_coin;
        bce_manager_t *manager = g_manager;
        sigemptyset(&late);
        sigaddset(&late, SIGINT);
        sigaddset(&late, SIGTERM);
        sigprocmask(SIG_BLOCK, &late, NULL);
        g_coin = NULL;
        g_manager = NULL;
        bce_coin_destroy(coin);
        bce_manager_destroy(manager);
    }
    bce_json_release(&g_json);
    if (opt.password) erase(opt.password);
    free(opt.password);
    free(opt.wallets);
    free(g_line);
    return r;
}
