/* examples/bitcart-listen.c: listen to a BitcartCC daemon and print every event as one JSON
   line, so that any language can consume the events through a pipe.

       bitcart-listen --url http://127.0.0.1:5000 --xpub vpub5Y... | while read -r line; do ...

   Each line: {"event":NAME,"currency":CUR,"wallet":KEY|null,"args":{...}} where "args" holds
   the update's members other than "event", keys and values exactly as the daemon sent them
   (only the whitespace between JSON tokens is removed, so a line never breaks). See --help and
   the man page (examples/bitcart-listen.1) for flags and exit codes.

   With --spool DIR, delivery is at least once: each event is journaled in DIR before it is
   handed on (stdout, --exec, --post) and marked done after; see the man page for exactly when
   a duplicate can happen.

   Build: cc -std=c99 -I. examples/bitcart-listen.c -o bitcart-listen
     with TLS: add -DBCE_USE_MBEDTLS and -lmbedtls -lmbedx509 -lmbedcrypto (make does this when
     mbedTLS is installed). Listening uses only the public API of bitcart_events.h; --post uses
     the implementation's own connection (TCP/TLS) and HTTP answer parser, and --spool reads
     whether a catch-up is in flight (catching_up), since this program includes the
     implementation. */
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
#include <sys/stat.h>
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
    EXIT_TLS = 5,       /* TLS failed (certificate not trusted, wrong host, no TLS built in) */
    EXIT_WALLET = 6,    /* the daemon cannot load a wallet (JSON-RPC -32005 or -32000) */
    EXIT_SPOOL = 7      /* --spool: the journal could not be created, locked, written or synced */
};

#define ALL_EVENTS "new_block, new_transaction, new_payment, verified_tx"
#define MAX_CURRENCIES 32
#define PROBE_BYTES (8u << 20)   /* --poll's first get_updates answer (its HTTP body limit too) */
#define ID_LEN 32                /* an event id: 128 bits in hex */
#define RECENT_IDS 4096          /* --spool: ids remembered to drop repeats (across restarts too), at least;
                                    more with many wallets: see spool_open */
#define POLLING_CAP 100          /* the daemon keeps at most this many updates per wallet */
#define COMPACT_MIN (1u << 20)   /* --spool: the journal is compacted past max(this, twice its size after
                                    the last compaction) */
#define PUMP_MS 20               /* --spool: handing on runs this long between two library steps */
#define SYNC_EVERY 0             /* --sync every */
#define SYNC_NONE (-1)           /* --sync none */

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
    const char *spool_dir;
    int sync_ms;                /* SYNC_EVERY, SYNC_NONE or milliseconds */
    unsigned long long spool_max;
    int max_attempts;           /* 0: retry forever */
    int retry_min_ms, retry_max_ms;
    const char *post_url;
    int post_timeout_ms;
    const char *post_secret_file;
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
static unsigned char *g_post_secret;       /* --post's HMAC key, or NULL */
static size_t g_post_secret_len;
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
        "  --xpub KEY           the wallet to listen to (its real key: a daemon that cannot load\n"
        "                       it ends the run, exit 6); without it the websocket delivers the\n"
        "                       events of every wallet the daemon has loaded\n"
        "  --wallet CUR:KEY     manager mode: one wallet of one currency; repeat for more\n"
        "                       wallets and currencies (one connection per currency)\n"
        "Delivery:\n"
        "  --poll[=MS]          poll get_updates every MS ms (default 1000) instead of the\n"
        "                       websocket; needs a wallet\n"
        "  --events LIST        only these events, e.g. \"new_payment,new_transaction\"\n"
        "                       (default: new_block, new_transaction, new_payment, verified_tx)\n"
        "  --no-catch-up        websocket: no get_updates after (re)connecting (a getbalance per\n"
        "                       wallet still makes the daemon load it: without that it sends nothing)\n"
        "  --force-connect      keep retrying when the first connection fails\n"
        "  --exec CMD           run CMD (with /bin/sh -c) once per event, the event's JSON line\n"
        "                       on its stdin, instead of printing the line; one at a time, in\n"
        "                       order; $BITCART_EVENT, $BITCART_CURRENCY and $BITCART_WALLET are\n"
        "                       set, and $BITCART_EVENT_ID; without --spool a failing CMD is\n"
        "                       reported on stderr and listening goes on (the event is lost to it)\n"
        , stdout);
    fputs(
        "  --post URL           POST each event's JSON line to URL (http:// or https://) instead\n"
        "                       of printing it; success is a 2xx answer. Headers: X-Bitcart-Event-Id\n"
        "                       and, with a secret, X-Bitcart-Signature: sha256=<hex HMAC-SHA256 of\n"
        "                       the body>. May be combined with --exec\n"
        "  --post-timeout MS    one POST, connect to answer, at most MS ms (default 10000)\n"
        "  --post-secret-file F the signing secret: the first line of F (or $BITCART_POST_SECRET)\n"
        "Durable delivery:\n"
        "  --spool DIR          at-least-once: every event is appended to DIR/journal and made\n"
        "                       durable before it is handed on, and marked done after; failed\n"
        "                       --exec/--post are retried in order; on start what an earlier run\n"
        "                       left is handed on first. Lines then begin with \"id\" (also\n"
        "                       $BITCART_EVENT_ID, X-Bitcart-Event-Id): drop repeated ids. Without\n"
        "                       --spool delivery is at most once\n"
        "  --sync every|MS|none fsync before handing on: every batch received (default), at most\n"
        "                       every MS ms (events wait for it), or never (survives a killed\n"
        "                       listener, not a power cut)\n"
        "  --spool-max BYTES    events waiting at most (K, M, G suffixes; default 64M); when full,\n"
        "                       receiving pauses (said on stderr) until the consumer catches up\n"
        "  --max-attempts N     after N failed attempts an event goes to DIR/dead-letter with the\n"
        "                       reason (default: retried forever)\n"
        "  --retry-min MS, --retry-max MS   retry delays: from MS (default 1000) doubling up to\n"
        "                       MS (default 60000)\n"
        "Other:\n"
        "  -v, --verbose        more detail on stderr (twice, or -vv: debug); never the password\n"
        "  -h, --help           this help\n"
        "  -V, --version        version, and whether TLS is built in\n"
        "\n"
        "Exit status: 0 stopped by SIGINT/SIGTERM; 1 runtime failure (stdout closed, out of\n"
        "memory, fatal daemon error such as JSON-RPC -32601: not a Bitcart daemon); 2 bad command\n"
        "line; 3 could not connect; 4 authentication failed; 5 TLS failure; 6 the daemon cannot\n"
        "load a wallet (JSON-RPC -32005: a key of the wrong form, or -32000), in every mode; 7\n"
        "--spool could not be created, locked, written or synced (disk full, permissions): nothing\n"
        "unwritten was handed on.\n",
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

/* Bytes with an optional K, M or G suffix (powers of 1024); at least 64 KiB. */
static int parse_size(const char *s, unsigned long long *out) {
    char *end;
    unsigned long long v;
    int shift = 0;
    errno = 0;
    if (*s < '0' || *s > '9') return -1;
    v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    if (*end == 'K' || *end == 'k') shift = 10, end++;
    else if (*end == 'M' || *end == 'm') shift = 20, end++;
    else if (*end == 'G' || *end == 'g') shift = 30, end++;
    if (*end || v > (1ull << 50) >> shift) return -1;
    v <<= shift;
    if (v < 65536) return -1;
    *out = v;
    return 0;
}

/* The --post signature secret: the first line of FILE, or $BITCART_POST_SECRET (erased). */
static int take_secret(char *value, size_t n) {
    g_post_secret = (unsigned char *)malloc(n ? n : 1);
    if (!g_post_secret) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    memcpy(g_post_secret, value, n);
    g_post_secret_len = n;
    memset(value, 0, n);
    return 0;
}

static int read_secret_file(const char *path) {
    char buf[1024];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f) return usage_error("--post-secret-file: cannot read %s: %s", path, strerror(errno));
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    if (!n) return usage_error("--post-secret-file: %s has no secret on its first line", path);
    return take_secret(buf, n);
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
    int spool_flags = 0;
    static const char *const with_value[] = {"--url", "--user", "--password", "--password-file", "--currency",
                                             "--xpub", "--wallet", "--events", "--ca-file", "--exec",
                                             "--spool", "--sync", "--spool-max", "--max-attempts", "--retry-min",
                                             "--retry-max", "--post", "--post-timeout", "--post-secret-file"};
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
        } else if (!strcmp(name, "--spool")) {
            opt.spool_dir = val;
        } else if (!strcmp(name, "--sync")) {
            if (!strcmp(val, "every")) opt.sync_ms = SYNC_EVERY;
            else if (!strcmp(val, "none")) opt.sync_ms = SYNC_NONE;
            else if (parse_ms(val, &opt.sync_ms) != 0)
                return usage_error("--sync %s: expected every, none or milliseconds between 1 and 86400000", val);
            spool_flags++;
        } else if (!strcmp(name, "--spool-max")) {
            if (parse_size(val, &opt.spool_max) != 0)
                return usage_error("--spool-max %s: expected bytes (suffix K, M or G allowed), at least 64K", val);
            spool_flags++;
        } else if (!strcmp(name, "--max-attempts")) {
            if (parse_ms(val, &opt.max_attempts) != 0) return usage_error("--max-attempts %s: expected a number of at least 1", val);
            spool_flags++;
        } else if (!strcmp(name, "--retry-min")) {
            if (parse_ms(val, &opt.retry_min_ms) != 0) return usage_error("--retry-min %s: expected milliseconds", val);
            spool_flags++;
        } else if (!strcmp(name, "--retry-max")) {
            if (parse_ms(val, &opt.retry_max_ms) != 0) return usage_error("--retry-max %s: expected milliseconds", val);
            spool_flags++;
        } else if (!strcmp(name, "--post")) {
            opt.post_url = val;
        } else if (!strcmp(name, "--post-timeout")) {
            if (parse_ms(val, &opt.post_timeout_ms) != 0) return usage_error("--post-timeout %s: expected milliseconds", val);
        } else if (!strcmp(name, "--post-secret-file")) {
            opt.post_secret_file = val;
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
    if (spool_flags && !opt.spool_dir)
        return usage_error("--sync, --spool-max, --max-attempts, --retry-min and --retry-max need --spool DIR");
    if ((opt.post_timeout_ms || opt.post_secret_file) && !opt.post_url)
        return usage_error("--post-timeout and --post-secret-file need --post URL");
    if (!opt.spool_max) opt.spool_max = 64ull << 20;
    if (!opt.retry_min_ms) opt.retry_min_ms = 1000;
    if (!opt.retry_max_ms) opt.retry_max_ms = 60000;
    if (opt.retry_max_ms < opt.retry_min_ms) opt.retry_max_ms = opt.retry_min_ms;
    if (!opt.post_timeout_ms) opt.post_timeout_ms = 10000;
    if (opt.post_secret_file && (r = read_secret_file(opt.post_secret_file)) != 0) return r;
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

/* Runs --exec's command with the line on its stdin and waits for it. 0 when it exited 0;
   otherwise -1 and the reason in why. */
static int run_exec(const char *line, size_t len, const char *id, const char *event, const char *currency,
                    const char *wallet, char *why, size_t whycap) {
    int p[2], status;
    size_t off = 0;
    pid_t pid, w;
    if (pipe(p) < 0) {
        snprintf(why, whycap, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        snprintf(why, whycap, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        signal(SIGPIPE, SIG_DFL);                  /* we ignore it; the command should not */
        signal(SIGXFSZ, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(p[1]);
        if (p[0] != 0) {
            dup2(p[0], 0);
            close(p[0]);
        }
        /* BITCART_WALLET is whatever wallet key the daemon sent (any bytes but NUL, up to
           max_message_bytes): too large an environment makes execve fail with E2BIG */
        if (setenv("BITCART_EVENT", event, 1) != 0 || setenv("BITCART_CURRENCY", currency, 1) != 0
            || setenv("BITCART_EVENT_ID", id, 1) != 0
            || (wallet ? setenv("BITCART_WALLET", wallet, 1) : unsetenv("BITCART_WALLET")) != 0) {
            say("error: --exec: cannot set the environment for a %s event: %s", event, strerror(errno));
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", opt.exec_cmd, (char *)NULL);
        say("error: --exec: cannot start the command for a %s event: %s%s", event, strerror(errno),
            errno == E2BIG ? " (the environment is too large: $BITCART_WALLET holds the daemon's wallet key)" : "");
        _exit(127);
    }
    close(p[0]);
    while (off < len) {                            /* a command that does not read gets EPIPE */
        ssize_t n = write(p[1], line + off, len - off);
        if (n > 0) off += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else break;
    }
    close(p[1]);
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}   /* a signal: still wait */
    if (w < 0) {
        snprintf(why, whycap, "waitpid: %s", strerror(errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(why, whycap, "the command exited with status %d", WEXITSTATUS(status));
        return -1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(why, whycap, "the command was killed by signal %d", WTERMSIG(status));
        return -1;
    }
    return 0;
}
/* ---- SHA-256 and HMAC (FIPS 180-4, RFC 2104): event ids and --post signatures ------------- */

typedef struct sha256_t {
    uint32_t h[8];
    unsigned char block[64];
    size_t used;
    uint64_t bytes;
} sha256_t;

static uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256_t *s, const unsigned char *p) {
    static const uint32_t k[64] = {
        0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
        0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
        0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
        0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
        0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
        0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
        0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
        0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
        t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(sha256_t *s) {
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(s->h, iv, sizeof iv);
    s->used = 0;
    s->bytes = 0;
}

static void sha256_update(sha256_t *s, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    s->bytes += n;
    while (n) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            sha256_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha256_final(sha256_t *s, unsigned char out[32]) {
    uint64_t bits = s->bytes * 8;
    unsigned char pad = 0x80, len[8];
    int i;
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56) sha256_update(s, &pad, 1);
    for (i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, len, 8);
    for (i = 0; i < 32; i++) out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

static void hmac_sha256(const unsigned char *key, size_t klen, const char *msg, size_t n, unsigned char out[32]) {
    unsigned char k[64], pad[64], inner[32];
    sha256_t s;
    int i;
    memset(k, 0, sizeof k);
    if (klen > 64) {
        sha256_init(&s);
        sha256_update(&s, key, klen);
        sha256_final(&s, k);
    } else if (klen) {
        memcpy(k, key, klen);
    }
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    sha256_init(&s);
    sha256_update(&s, pad, 64);
    sha256_update(&s, msg, n);
    sha256_final(&s, inner);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    sha256_init(&s);
    sha256_update(&s, pad, 64);
    sha256_update(&s, inner, 32);
    sha256_final(&s, out);
    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
}

static void hex_encode(const unsigned char *in, size_t n, char *out) {
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = 0;
}

/* The event id: the first 128 bits of SHA-256 over the event's line without "id" (event,
   currency, wallet and the update's members, whitespace between tokens removed), in hex. */
static void event_id(const char *line, size_t len, char id[ID_LEN + 1]) {
    sha256_t s;
    unsigned char d[32];
    sha256_init(&s);
    sha256_update(&s, line, len);
    sha256_final(&s, d);
    hex_encode(d, ID_LEN / 2, id);
}

/* ---- --post: the library's own connection (TCP or TLS) and HTTP answer parser -------------- */

static struct {
    _bce_url_t url;
    _bce_conn_t conn;
    _bce_tls_cfg_t *tls;
    bce_allocator_t alloc;
    char err[256];
    char *in;
    size_t in_cap;
    char *req;
    size_t req_cap;
} g_post;

static int post_init(void) {
    const char *why = _bce_url_parse(opt.post_url, &g_post.url);
    int nomem = 0;
    char *env = getenv("BITCART_POST_SECRET");
    if (why) return usage_error("--post '%s': %s", opt.post_url, why);
    if (env && *env && !g_post_secret && take_secret(env, strlen(env)) != 0) return EXIT_RUNTIME;
    unsetenv("BITCART_POST_SECRET");               /* --exec commands do not inherit it */
    memset(&g_post.alloc, 0, sizeof g_post.alloc);
    g_post.tls = _bce_tls_new(&g_post.alloc, opt.post_url, &nomem);
    if (nomem) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    g_post.conn.fd = -1;
    g_post.conn.alloc = &g_post.alloc;
    g_post.conn.tls_cfg = g_post.tls;
    g_post.conn.tls_ca_file = opt.ca_file;
    g_post.conn.tls_skip_verify = opt.insecure;
    g_post.conn.error = g_post.err;
    g_post.conn.error_cap = sizeof g_post.err;
    return 0;
}

static void post_release(void) {
    _bce_conn_close(&g_post.conn);
    _bce_tls_delete(&g_post.alloc, g_post.tls);
    free(g_post.in);
    free(g_post.req);
    if (g_post_secret) memset(g_post_secret, 0, g_post_secret_len);
    free(g_post_secret);
    g_post_secret = NULL;
}

/* Waits until the connection can go on (want: BCE_WANT_*); -1 once the deadline passed or
   SIGINT/SIGTERM came (the POST is abandoned: the event stays pending). */
/* Why a wait of --post ended: a stop signal, or the deadline (what: "connecting", ...). */
static void post_gave_up(char *why, size_t whycap, const char *what) {
    if (g_signalled) snprintf(why, whycap, "abandoned while %s: stopping on a signal", what);
    else snprintf(why, whycap, "timed out %s (--post-timeout %d ms)", what, opt.post_timeout_ms);
}

static int post_wait(int want, long long deadline) {
    struct pollfd pf;
    long long now = _bce_now_ms();
    if (now >= deadline || g_signalled) return -1;
    pf.fd = g_post.conn.fd;
    pf.events = _bce_poll_events(want);
    pf.revents = 0;
    if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR) return -1;
    return pf.revents;
}

/* POSTs body (one event's JSON) to --post's URL on a fresh connection. 0 on a 2xx answer;
   otherwise -1 and the reason in why. Bounded by --post-timeout in total. */
static int http_post(const char *body, size_t len, const char *id, char *why, size_t whycap) {
    long long deadline = _bce_now_ms() + opt.post_timeout_ms;
    _bce_http_resp_t resp;
    size_t need = 1024 + strlen(g_post.url.host) + strlen(g_post.url.prefix) + len, o = 0, in_len = 0, off;
    int r, revents = 0, v6 = strchr(g_post.url.host, ':') != NULL;
    char sig[100];
    if (need > g_post.req_cap) {
        char *p = (char *)realloc(g_post.req, need);
        if (!p) {
            snprintf(why, whycap, "out of memory");
            return -1;
        }
        g_post.req = p;
        g_post.req_cap = need;
    }
    sig[0] = 0;
    if (g_post_secret) {
        unsigned char mac[32];
        memcpy(sig, "X-Bitcart-Signature: sha256=", 28);
        hmac_sha256(g_post_secret, g_post_secret_len, body, len, mac);
        hex_encode(mac, 32, sig + 28);
        strcat(sig, "\r\n");
    }
    o = (size_t)snprintf(g_post.req, g_post.req_cap,
                         "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nContent-Type: application/json\r\n"
                         "Content-Length: %lu\r\nX-Bitcart-Event-Id: %s\r\n%sConnection: close\r\n\r\n",
                         g_post.url.prefix[0] ? g_post.url.prefix : "/", v6 ? "[" : "", g_post.url.host,
                         v6 ? "]" : "", g_post.url.port, (unsigned long)len, id, sig);
    memcpy(g_post.req + o, body, len);
    o += len;
    g_post.err[0] = 0;
    r = _bce_conn_open(&g_post.conn, &g_post.url, _bce_now_ms(), opt.post_timeout_ms);
    /* TLS input is read in slices that end at the deadline or a stop signal (a flood of TLS
       alerts cannot hold the POST); a new slice before every read */
    while (r == BCE_OK && (_bce_conn_slice(&g_post.conn, &g_signalled, deadline),
                           r = _bce_conn_progress(&g_post.conn, revents, _bce_now_ms())) == 1)
        r = (revents = post_wait(g_post.conn.want, deadline)) < 0 ? BCE_ERR_TIMEOUT : BCE_OK;
    if (r != BCE_OK) {
        if (r == BCE_ERR_TIMEOUT && !g_post.err[0]) post_gave_up(why, whycap, "connecting");
        else snprintf(why, whycap, "%s", g_post.err);
        _bce_conn_close(&g_post.conn);
        return -1;
    }
    for (off = 0; off < o;) {
        long n = _bce_conn_send(&g_post.conn, g_post.req + off, o - off);
        if (n > 0) off += (size_t)n;
        else if ((n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE)
                 && post_wait(n == _BCE_IO_AGAIN_READ ? BCE_WANT_READ : BCE_WANT_WRITE, deadline) >= 0) continue;
        else {
            if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) post_gave_up(why, whycap, "sending");
            else snprintf(why, whycap, "send failed");
            _bce_conn_close(&g_post.conn);
            return -1;
        }
    }
    _bce_http_reset(&resp, 16384, 65536);
    for (;;) {
        long n;
        int eof = 0;
        if (g_post.in_cap - in_len < 4096) {
            size_t cap = g_post.in_cap ? g_post.in_cap * 2 : 8192;
            char *p = cap > 16384 + 65536 + 8192 ? NULL : (char *)realloc(g_post.in, cap);
            if (!p) {
                snprintf(why, whycap, "the answer is too large");
                break;
            }
            g_post.in = p;
            g_post.in_cap = cap;
        }
        _bce_conn_slice(&g_post.conn, &g_signalled, deadline);
        n = _bce_conn_recv(&g_post.conn, g_post.in + in_len, g_post.in_cap - in_len - 1);
        if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) {
            if (post_wait(n == _BCE_IO_AGAIN_READ ? BCE_WANT_READ : BCE_WANT_WRITE, deadline) >= 0) continue;
            post_gave_up(why, whycap, "waiting for the answer");
            break;
        }
        if (n < 0) {
            snprintf(why, whycap, "receive failed");
            break;
        }
        if (n == 0) eof = 1;
        in_len += (size_t)n;
        r = _bce_http_feed(&resp, g_post.in, &in_len, eof);
        if (r < 0) {
            snprintf(why, whycap, "bad HTTP answer: %s", resp.error ? resp.error : "?");
            break;
        }
        if (r == 1) {
            _bce_conn_close(&g_post.conn);
            if (resp.status >= 200 && resp.status < 300) return 0;
            snprintf(why, whycap, "answered HTTP %d", resp.status);
            return -1;
        }
        if (eof) {
            snprintf(why, whycap, "the connection closed before the answer ended");
            break;
        }
        if (_bce_now_ms() >= deadline) {
            post_gave_up(why, whycap, "waiting for the answer");
            break;
        }
    }
    _bce_conn_close(&g_post.conn);
    return -1;
}

/* ---- --spool: the journal -------------------------------------------------------------------
   DIR/journal holds one line per record, appended:
     {"id":ID,"event":...}         an event, exactly the line handed on
     {"done":ID,"to":CONSUMER}     handed on to that consumer (stdout, exec or post)
     {"seen":ID}                   an id handed on earlier (written by compaction)
   An event is appended (and made durable per --sync) before it is handed on; a consumer's
   "done" follows its success. On start the journal is read back: events some consumer has not
   had are handed on first, in order. Compaction rewrites the journal without finished events. */

enum { C_STDOUT, C_EXEC, C_POST, NCONS };
static const char *const cons_name[NCONS] = {"stdout", "exec", "post"};

typedef struct entry_t {
    char id[ID_LEN + 1];
    char *line;                 /* with "id", ending in '\n' */
    size_t len;
    char *event, *currency, *wallet;   /* decoded: --exec's environment (wallet may be NULL) */
    unsigned done;              /* bit per consumer that has it */
    int durable;
} entry_t;

static unsigned long long g_compact_min = COMPACT_MIN;   /* BITCART_LISTEN_COMPACT_MIN (for tests) */

static struct {
    int on;
    int fd, lock_fd;
    char *path, *tmp_path, *dead_path, *lock_path;
    entry_t *q;                 /* a ring of pending events, oldest at head */
    size_t head, n, cap;
    size_t pos[NCONS];          /* each consumer's next event (index from head) */
    int attempts[NCONS];
    long long next_try[NCONS];
    unsigned want;              /* consumers in use */
    uint64_t *recent;           /* ids appended lately (first 64 bits), for duplicates: a ring */
    size_t recent_head, recent_n, recent_cap;
    unsigned long long jsize, live, compact_at;
    long long unsynced_since;   /* -1: everything appended is durable */
    int paused;
    int catching;               /* the library was catching up at the last tick */
    char *rec;                  /* the record being written */
    size_t rec_cap;
    unsigned long long stat_spooled, stat_dups, stat_retries, stat_dead;
} g_spool;

static uint64_t id_bits(const char *id) {
    uint64_t v = 0;
    int i;
    for (i = 0; i < 16; i++) {
        char c = id[i];
        v = v << 4 | (uint64_t)(c >= 'a' ? c - 'a' + 10 : c - '0');
    }
    return v;
}

/* n lowercase hex digits at s */
static int id_valid(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static int recent_has(uint64_t v) {
    size_t i;
    for (i = 0; i < g_spool.recent_n; i++)
        if (g_spool.recent[i] == v) return 1;
    return 0;
}

static void recent_add(uint64_t v) {
    g_spool.recent[g_spool.recent_head] = v;
    g_spool.recent_head = (g_spool.recent_head + 1) % g_spool.recent_cap;
    if (g_spool.recent_n < g_spool.recent_cap) g_spool.recent_n++;
}

static entry_t *q_at(size_t i) { return &g_spool.q[(g_spool.head + i) % g_spool.cap]; }

static void entry_free(entry_t *e) {
    free(e->line);
    free(e->event);
    free(e->currency);
    free(e->wallet);
    memset(e, 0, sizeof *e);
}

static char *dup_n(const char *s, size_t n) {
    char *d = (char *)malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Adds a pending event (copies). -1: out of memory. */
static int q_push(const char *id, const char *line, size_t len, const char *event, const char *currency,
                  const char *wallet, int durable) {
    entry_t *e;
    if (g_spool.n == g_spool.cap) {
        size_t cap = g_spool.cap ? g_spool.cap * 2 : 256, i;
        entry_t *nq = (entry_t *)calloc(cap, sizeof *nq);
        if (!nq) return -1;
        for (i = 0; i < g_spool.n; i++) nq[i] = *q_at(i);
        free(g_spool.q);
        g_spool.q = nq;
        g_spool.head = 0;
        g_spool.cap = cap;
    }
    e = &g_spool.q[(g_spool.head + g_spool.n) % g_spool.cap];
    memset(e, 0, sizeof *e);
    memcpy(e->id, id, ID_LEN);
    e->id[ID_LEN] = 0;
    e->line = dup_n(line, len);
    e->len = len;
    e->event = dup_n(event, strlen(event));
    e->currency = dup_n(currency, strlen(currency));
    e->wallet = wallet ? dup_n(wallet, strlen(wallet)) : NULL;
    e->durable = durable;
    if (!e->line || !e->event || !e->currency || (wallet && !e->wallet)) {
        entry_free(e);
        return -1;
    }
    g_spool.n++;
    g_spool.live += len;
    return 0;
}

/* Drops finished events from the head. */
static void q_pop_done(void) {
    int c;
    while (g_spool.n && (q_at(0)->done & g_spool.want) == g_spool.want) {
        g_spool.live -= q_at(0)->len;
        entry_free(q_at(0));
        g_spool.head = (g_spool.head + 1) % g_spool.cap;
        g_spool.n--;
        for (c = 0; c < NCONS; c++)
            if (g_spool.pos[c]) g_spool.pos[c]--;
    }
}

static int write_all(int fd, const char *buf, size_t n) {
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A record that could not be written whole is cut off again, so that no half line stays. */
static int journal_append(const char *rec, size_t n) {
    if (write_all(g_spool.fd, rec, n) != 0) {
        int e = errno;
        if (ftruncate(g_spool.fd, (off_t)g_spool.jsize) != 0) {}   /* best effort; a torn last line is ignored on load */
        errno = e;
        return -1;
    }
    g_spool.jsize += n;
    return 0;
}

static void spool_fail(const char *what, const char *file) {
    say("error: --spool: %s %s: %s; stopping (nothing unwritten was handed on)", what, file, strerror(errno));
    g_failure = EXIT_SPOOL;
    stop_all();
}

/* fsync of a directory, so that the names created or renamed in it last. Returns 0, or -1 with
   errno. EINVAL (a file system that cannot sync directories) counts as done. */
static int sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC), r, e;
    if (fd < 0) return -1;
    r = fsync(fd);
    e = errno;
    close(fd);
    if (r != 0 && e == EINVAL) r = 0;
    errno = e;
    return r;
}

static int rec_reserve(size_t n) {
    if (n > g_spool.rec_cap) {
        char *p = (char *)realloc(g_spool.rec, n);
        if (!p) return -1;
        g_spool.rec = p;
        g_spool.rec_cap = n;
    }
    return 0;
}

/* The event line with "id" in front: {"id":"...",<the rest of line after its '{'>. */
static size_t with_id(char *out, const char *id, const char *line, size_t len) {
    memcpy(out, "{\"id\":\"", 7);
    memcpy(out + 7, id, ID_LEN);
    memcpy(out + 7 + ID_LEN, "\",", 2);
    memcpy(out + 9 + ID_LEN, line + 1, len - 1);
    return len + 8 + ID_LEN;
}

static int sync_journal(void) {
    if (fsync(g_spool.fd) != 0) {
        spool_fail("cannot sync", g_spool.path);
        return -1;
    }
    if (g_spool.unsynced_since >= 0) {
        size_t i;
        for (i = 0; i < g_spool.n; i++) q_at(i)->durable = 1;
        g_spool.unsynced_since = -1;
    }
    return 0;
}

/* Spools the event in g_line (id computed). Returns 0, or -1 after a fatal error. */
static int spool_add(const bce_event_t *ev, const char *id) {
    size_t n;
    uint64_t bits = id_bits(id);
    if (recent_has(bits)) {
        g_spool.stat_dups++;
        if (opt.verbose >= 2) say("--spool: event %s was spooled before: not handed on again", id);
        return 0;
    }
    if (rec_reserve(g_line_len + 16 + ID_LEN) != 0) {
        say("error: out of memory");
        g_failure = EXIT_RUNTIME;
        stop_all();
        return -1;
    }
    n = with_id(g_spool.rec, id, g_line, g_line_len);
    if (journal_append(g_spool.rec, n) != 0) {
        spool_fail("cannot append an event to", g_spool.path);
        return -1;
    }
    /* made durable after the library's step, before it is handed on: the events of one step
       (one websocket read, one catch-up answer) share one fsync */
    if (opt.sync_ms != SYNC_NONE && g_spool.unsynced_since < 0) g_spool.unsynced_since = _bce_now_ms();
    recent_add(bits);
    g_spool.stat_spooled++;
    if (q_push(id, g_spool.rec, n, bce_event_name(ev), bce_event_currency(ev), bce_event_wallet(ev),
               opt.sync_ms == SYNC_NONE) != 0) {
        say("error: out of memory (the event is in the spool: it is handed on at the next start)");
        g_failure = EXIT_RUNTIME;
        stop_all();
        return -1;
    }
    return 0;
}

static int mark_done(entry_t *e, int c) {
    int n;
    if (rec_reserve(ID_LEN + 64) != 0) return -1;
    n = snprintf(g_spool.rec, g_spool.rec_cap, "{\"done\":\"%s\",\"to\":\"%s\"}\n", e->id, cons_name[c]);
    if (journal_append(g_spool.rec, (size_t)n) != 0) {
        spool_fail("cannot mark an event done in", g_spool.path);
        return -1;
    }
    e->done |= 1u << c;
    return 0;
}

/* Appends the event and why to DIR/dead-letter (made durable). */
static int dead_letter(entry_t *e, int c, int attempts, const char *why) {
    int created = access(g_spool.dead_path, F_OK) != 0;
    int fd = open(g_spool.dead_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    size_t wl = strlen(why), i, o;
    char *rec = (char *)malloc(e->len + wl * 6 + 200);
    if (fd < 0 || !rec) {
        if (fd >= 0) close(fd);
        free(rec);
        spool_fail("cannot open", g_spool.dead_path);
        return -1;
    }
    o = (size_t)sprintf(rec, "{\"id\":\"%s\",\"consumer\":\"%s\",\"attempts\":%d,\"reason\":\"", e->id, cons_name[c], attempts);
    for (i = 0; i < wl; i++) {
        unsigned char ch = (unsigned char)why[i];
        if (ch == '"' || ch == '\\') rec[o++] = '\\', rec[o++] = (char)ch;
        else if (ch < 0x20 || ch >= 0x7f) rec[o++] = '?';
        else rec[o++] = (char)ch;
    }
    memcpy(rec + o, "\",\"event\":", 10);
    o += 10;
    memcpy(rec + o, e->line, e->len);       /* ends in '\n' */
    o += e->len - 1;
    memcpy(rec + o, "}\n", 2);
    o += 2;
    if (write_all(fd, rec, o) != 0 || fsync(fd) != 0) {
        close(fd);
        free(rec);
        spool_fail("cannot write", g_spool.dead_path);
        return -1;
    }
    close(fd);
    free(rec);
    if (created && sync_dir(opt.spool_dir) != 0) {
        spool_fail("cannot sync the directory", opt.spool_dir);
        return -1;
    }
    g_spool.stat_dead++;
    say("warning: --%s: event %s given up after %d attempts (%s); kept in %s", cons_name[c], e->id, attempts, why,
        g_spool.dead_path);
    return 0;
}

static long long backoff_ms(int attempts) {
    long long d = opt.retry_min_ms;
    int i;
    for (i = 1; i < attempts && d < opt.retry_max_ms; i++) d *= 2;
    return d < opt.retry_max_ms ? d : opt.retry_max_ms;
}

static int hand_on(int c, entry_t *e, char *why, size_t whycap) {
    if (c == C_STDOUT) {
        if (fwrite(e->line, 1, e->len, stdout) != e->len || fflush(stdout) != 0) {
            say("error: cannot write to stdout: %s (the events not handed on stay in the spool)", strerror(errno));
            g_failure = EXIT_RUNTIME;
            stop_all();
            return -1;
        }
        return 0;
    }
    if (c == C_EXEC) return run_exec(e->line, e->len, e->id, e->event, e->currency, e->wallet, why, whycap);
    return http_post(e->line, e->len - 1, e->id, why, whycap);
}

/* Hands on what is due, in order per consumer, for at most about PUMP_MS: the library gets
   its steps in between (connecting, the catch-up, pings), so a backlog delays no receiving. */
static void spool_pump(void) {
    long long start = _bce_now_ms(), now = start;
    int c, progress = 1;
    while (progress && !g_failure && !g_signalled && now - start < PUMP_MS) {
        progress = 0;
        for (c = 0; c < NCONS && !g_failure && !g_signalled; c++) {
            entry_t *e;
            char why[256];
            if (!(g_spool.want & (1u << c))) continue;
            while (g_spool.pos[c] < g_spool.n && (q_at(g_spool.pos[c])->done & (1u << c))) g_spool.pos[c]++;
            if (g_spool.pos[c] >= g_spool.n) continue;
            e = q_at(g_spool.pos[c]);
            if (!e->durable || now < g_spool.next_try[c]) continue;
            why[0] = 0;
            if (hand_on(c, e, why, sizeof why) == 0) {
                if (mark_done(e, c) != 0) return;
                g_spool.attempts[c] = 0;
                g_spool.next_try[c] = 0;
                g_spool.pos[c]++;
                progress = 1;
            } else if (g_signalled) {
                return;                            /* abandoned, not failed: pending, not counted */
            } else if (!g_failure) {
                int a = ++g_spool.attempts[c];
                if (opt.max_attempts && a >= opt.max_attempts) {
                    if (dead_letter(e, c, a, why) != 0 || mark_done(e, c) != 0) return;
                    g_spool.attempts[c] = 0;
                    g_spool.next_try[c] = 0;
                    progress = 1;
                } else {
                    long long d = backoff_ms(a);
                    g_spool.stat_retries++;
                    say("warning: --%s: %s for event %s (attempt %d); retried in %lld ms", cons_name[c], why, e->id, a, d);
                    g_spool.next_try[c] = _bce_now_ms() + d;
                }
            }
            now = _bce_now_ms();
        }
    }
    q_pop_done();
}

/* Writes the journal anew: the ids remembered, then the pending events with their "done"s. */
static void spool_compact(void) {
    int fd = open(g_spool.tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), c;
    unsigned long long size = 0;
    size_t i, k;
    char line[ID_LEN + 64];
    const char *dir = opt.spool_dir;
    if (fd < 0) goto fail;
    for (k = 0; k < g_spool.recent_n; k++) {
        uint64_t v = g_spool.recent[(g_spool.recent_head + g_spool.recent_cap - g_spool.recent_n + k) % g_spool.recent_cap];
        int n = snprintf(line, sizeof line, "{\"seen\":\"%016llx\"}\n", (unsigned long long)v);
        if (write_all(fd, line, (size_t)n) != 0) goto fail;
        size += (unsigned long long)n;
    }
    for (i = 0; i < g_spool.n; i++) {
        entry_t *e = q_at(i);
        if (write_all(fd, e->line, e->len) != 0) goto fail;
        size += e->len;
        for (c = 0; c < NCONS; c++)
            if (e->done & (1u << c)) {
                int n = snprintf(line, sizeof line, "{\"done\":\"%s\",\"to\":\"%s\"}\n", e->id, cons_name[c]);
                if (write_all(fd, line, (size_t)n) != 0) goto fail;
                size += (unsigned long long)n;
            }
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(g_spool.tmp_path, g_spool.path) != 0) goto fail;
    if (sync_dir(dir) != 0) {                  /* the rename is not durable: neither is the journal */
        spool_fail("cannot sync the directory", dir);
        return;
    }
    fd = open(g_spool.path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        spool_fail("cannot open", g_spool.path);
        return;
    }
    close(g_spool.fd);
    g_spool.fd = fd;
    g_spool.jsize = size;
    g_spool.compact_at = size * 2 > g_compact_min ? size * 2 : g_compact_min;
    for (i = 0; i < g_spool.n; i++) q_at(i)->durable = 1;
    g_spool.unsynced_since = -1;
    return;
fail:
    if (opt.verbose) say("warning: --spool: compaction failed (%s); the journal stays as it is", strerror(errno));
    if (fd >= 0) close(fd);
    unlink(g_spool.tmp_path);
    g_spool.compact_at = g_spool.jsize + g_compact_min;
}

/* Decodes member name of the object at tokens[0] of line into a new string (NULL: absent/null). */
static char *json_member(const char *line, const char *name, int *bad) {
    uint32_t v = bce_json_find(line, g_json.tokens, 0, name);
    size_t n = 0;
    char *s;
    if (!v || g_json.tokens[v].type == BCE_JSON_NULL) return NULL;
    if (g_json.tokens[v].type != BCE_JSON_STRING) {
        *bad = 1;
        return NULL;
    }
    n = (size_t)(g_json.tokens[v].end - g_json.tokens[v].start) + 1;
    s = (char *)malloc(n);
    if (!s || bce_json_string(line, &g_json.tokens[v], s, n, NULL) != BCE_OK) {
        free(s);
        *bad = 1;
        return NULL;
    }
    return s;
}

/* Reads the journal back. Returns 0 or an exit code. */
static int spool_load(void) {
    FILE *f = fopen(g_spool.path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, off = 0, hint = 0, skipped = 0;
    int c;
    if (!f) return 0;
    for (;;) {
        size_t got;
        if (len == cap) {
            char *p = (char *)realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!p) {
                fclose(f);
                free(buf);
                say("error: out of memory reading %s", g_spool.path);
                return EXIT_RUNTIME;
            }
            buf = p;
        }
        got = fread(buf + len, 1, cap - len, f);
        if (!got) break;
        len += got;
    }
    fclose(f);
    while (off < len) {
        char *nl = (char *)memchr(buf + off, '\n', len - off), *ln = buf + off;
        size_t n;
        if (!nl) {                               /* torn by a crash while it was written: never handed on */
            if (truncate(g_spool.path, (off_t)off) != 0) {}
            if (opt.verbose) say("--spool: an incomplete last record (%lu bytes) dropped", (unsigned long)(len - off));
            break;
        }
        n = (size_t)(nl - ln) + 1;
        off += n;
        if (bce_json_parse(&g_json, ln, n - 1) < 0 || g_json.tokens[0].type != BCE_JSON_OBJECT) {
            skipped++;
            continue;
        }
        if (n - 1 >= 9 + 16 && memcmp(ln, "{\"seen\":\"", 9) == 0 && id_valid(ln + 9, 16)) {
            recent_add(id_bits(ln + 9));
        } else if (n - 1 >= 9 + ID_LEN && memcmp(ln, "{\"done\":\"", 9) == 0 && id_valid(ln + 9, ID_LEN)) {
            uint32_t t = bce_json_find(ln, g_json.tokens, 0, "to");
            size_t i, k;
            for (c = 0; c < NCONS; c++)
                if (t && _bce_json_str_eq(ln, &g_json.tokens[t], cons_name[c], strlen(cons_name[c]))) break;
            if (c == NCONS) { skipped++; continue; }
            for (k = 0; k < g_spool.n; k++) {    /* usually at the hint: done in order */
                i = (hint + k) % g_spool.n;
                if (memcmp(q_at(i)->id, ln + 9, ID_LEN) == 0) {
                    q_at(i)->done |= 1u << c;
                    hint = i;
                    break;
                }
            }
        } else if (n - 1 >= 7 + ID_LEN && memcmp(ln, "{\"id\":\"", 7) == 0 && id_valid(ln + 7, ID_LEN)) {
            int bad = 0, r;
            char *ev = json_member(ln, "event", &bad), *cur = json_member(ln, "currency", &bad),
                 *wal = json_member(ln, "wallet", &bad);
            if (bad || !ev || !cur) {
                skipped++;
            } else {
                r = q_push(ln + 7, ln, n, ev, cur, wal, 1);
                if (r == 0) recent_add(id_bits(ln + 7));
            }
            free(ev);
            free(cur);
            free(wal);
        } else {
            skipped++;
        }
    }
    free(buf);
    if (skipped) say("warning: --spool: %lu unreadable records in %s skipped", (unsigned long)skipped, g_spool.path);
    q_pop_done();
    if (g_spool.n)
        say("--spool: %lu events from an earlier run not yet handed on: handed on first", (unsigned long)g_spool.n);
    return 0;
}

static char *path_in(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = (char *)malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The directory that holds path (a new string; NULL: out of memory). */
static char *parent_dir(const char *path) {
    size_t n = strlen(path);
    char *p;
    while (n > 1 && path[n - 1] == '/') n--;
    while (n > 0 && path[n - 1] != '/') n--;
    while (n > 1 && path[n - 1] == '/') n--;
    if (n == 0) return path_in(".", "");
    p = (char *)malloc(n + 1);
    if (p) {
        memcpy(p, path, n);
        p[n] = 0;
    }
    return p;
}

/* Opens (creates) the spool, takes its lock, reads the journal back and compacts it. */
static int spool_open(void) {
    struct flock fl;
    struct stat st;
    int r;
    if (!opt.spool_dir) return 0;
    signal(SIGXFSZ, SIG_IGN);                    /* a file size limit: EFBIG, reported like ENOSPC */
    g_spool.on = 1;
    g_spool.fd = g_spool.lock_fd = -1;
    g_spool.unsynced_since = -1;
    g_spool.want = (opt.exec_cmd ? 1u << C_EXEC : 0) | (opt.post_url ? 1u << C_POST : 0);
    if (!g_spool.want) g_spool.want = 1u << C_STDOUT;
    g_spool.path = path_in(opt.spool_dir, "journal");
    g_spool.tmp_path = path_in(opt.spool_dir, "journal.tmp");
    g_spool.dead_path = path_in(opt.spool_dir, "dead-letter");
    g_spool.lock_path = path_in(opt.spool_dir, "lock");
    if (!g_spool.path || !g_spool.tmp_path || !g_spool.dead_path || !g_spool.lock_path) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    {
        const char *env = getenv("BITCART_LISTEN_COMPACT_MIN");   /* for tests: compact sooner */
        if (env && *env) {
            char *end;
            unsigned long long v = strtoull(env, &end, 10);
            if (!*end && v >= 1024) g_compact_min = v;
        }
    }
    /* every id the daemon can still hold: up to POLLING_CAP per wallet (one more set for the
       events without a wallet), with a margin */
    g_spool.recent_cap = (size_t)(opt.nwallets > 1 ? opt.nwallets : 1) * POLLING_CAP + POLLING_CAP;
    g_spool.recent_cap += g_spool.recent_cap / 4;
    if (g_spool.recent_cap < RECENT_IDS) g_spool.recent_cap = RECENT_IDS;
    g_spool.recent = (uint64_t *)calloc(g_spool.recent_cap, sizeof *g_spool.recent);
    if (!g_spool.recent) {
        say("error: out of memory");
        return EXIT_RUNTIME;
    }
    if (mkdir(opt.spool_dir, 0700) == 0) {
        char *parent = parent_dir(opt.spool_dir);
        int r2 = parent ? sync_dir(parent) : -1;
        if (r2 != 0) say("error: --spool: cannot sync the directory %s: %s", parent ? parent : opt.spool_dir,
                         parent ? strerror(errno) : "out of memory");
        free(parent);
        if (r2 != 0) return EXIT_SPOOL;
    } else if (errno != EEXIST) {
        say("error: --spool: cannot create the directory %s: %s", opt.spool_dir, strerror(errno));
        return EXIT_SPOOL;
    }
    if (stat(opt.spool_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        say("error: --spool: %s is not a directory", opt.spool_dir);
        return EXIT_SPOOL;
    }
    g_spool.lock_fd = open(g_spool.lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (g_spool.lock_fd < 0) {
        say("error: --spool: cannot open %s: %s", g_spool.lock_path, strerror(errno));
        return EXIT_SPOOL;
    }
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(g_spool.lock_fd, F_SETLK, &fl) != 0) {
        say("error: --spool: %s is in use by another bitcart-listen", opt.spool_dir);
        return EXIT_SPOOL;
    }
    g_spool.fd = open(g_spool.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (g_spool.fd < 0) {
        say("error: --spool: cannot open %s: %s", g_spool.path, strerror(errno));
        return EXIT_SPOOL;
    }
    if (sync_dir(opt.spool_dir) != 0) {          /* the lock and the journal, if just created */
        say("error: --spool: cannot sync the directory %s: %s", opt.spool_dir, strerror(errno));
        return EXIT_SPOOL;
    }
    if ((r = spool_load()) != 0) return r;
    g_spool.jsize = (unsigned long long)lseek(g_spool.fd, 0, SEEK_END);
    g_spool.compact_at = 2 * (g_spool.live + 27ull * g_spool.recent_n);   /* mostly finished records */
    if (g_spool.compact_at < g_compact_min) g_spool.compact_at = g_compact_min;
    if (g_spool.jsize >= g_spool.compact_at) spool_compact();
    if (g_failure) return g_failure;
    return 0;
}

static void spool_close(void) {
    size_t i;
    if (!g_spool.on) return;
    if (g_spool.fd >= 0) {
        if (fsync(g_spool.fd) != 0) {}
        close(g_spool.fd);
    }
    if (g_spool.lock_fd >= 0) close(g_spool.lock_fd);
    if (opt.verbose)
        say("--spool: %llu events spooled, %llu duplicates dropped, %llu retries, %llu dead letters; %lu pending",
            g_spool.stat_spooled, g_spool.stat_dups, g_spool.stat_retries, g_spool.stat_dead, (unsigned long)g_spool.n);
    for (i = 0; i < g_spool.n; i++) entry_free(q_at(i));
    free(g_spool.q);
    free(g_spool.recent);
    free(g_spool.rec);
    free(g_spool.path);
    free(g_spool.tmp_path);
    free(g_spool.dead_path);
    free(g_spool.lock_path);
    memset(&g_spool, 0, sizeof g_spool);
}

/* 1 while the library catches up: a get_updates call in flight, or websocket updates held until
   its answer. Handing on waits meanwhile, so that an answer is read and spooled the moment it
   arrives: the daemon emptied its queue when it answered, and until the answer's events are in
   the journal this process holds their only copy. (Reads the implementation's state: this
   program includes it.) */
static int catching_up(void) {
    const _bce_run_t *run = g_coin ? (g_coin->solo ? &g_coin->solo->run : NULL) : g_manager ? &g_manager->run : NULL;
    int i;
    for (i = 0; run && i < run->nlinks; i++) {
        const _bce_link_t *l = &run->links[i];
        if ((l->ready && _bce_rpc_busy(&l->rpc)) || l->hold.on) return 1;
    }
    return 0;
}

/* Between library steps: syncs when due, hands on, compacts, pauses receiving when full.
   Returns the wait for the next step (ms, -1: none needed). */
static int spool_tick(void) {
    long long now = _bce_now_ms(), due = -1;
    int c, pump = !catching_up();
    if (!pump) g_spool.catching = 1;
    else if (g_spool.catching) {
        g_spool.catching = 0;
        if (opt.verbose) say("--spool: caught up (the catch-up answers are in the journal)");
    }
    /* nothing is handed on while catching up: the whole catch-up shares one fsync */
    if (pump && g_spool.unsynced_since >= 0 && now - g_spool.unsynced_since >= opt.sync_ms && sync_journal() != 0)
        return 0;
    if (pump) spool_pump();
    if (g_failure) return 0;
    if (g_spool.jsize >= g_spool.compact_at) spool_compact();
    /* never while catching up (a JSON-RPC call in flight): the round would never end, and the
       daemon already emptied its queue: the answers are spooled, then receiving pauses */
    if (g_spool.live >= opt.spool_max && !g_spool.paused && pump) {
        say("warning: --spool: full (%llu bytes of events waiting, --spool-max %llu): receiving paused until the "
            "consumer catches up", g_spool.live, opt.spool_max);
        g_spool.paused = 1;
    } else if (g_spool.paused && g_spool.live < opt.spool_max / 2) {
        say("--spool: receiving resumed");
        g_spool.paused = 0;
    }
    now = _bce_now_ms();
    if (g_spool.unsynced_since >= 0 && pump) due = g_spool.unsynced_since + opt.sync_ms;
    for (c = 0; c < NCONS && pump; c++) {
        if (!(g_spool.want & (1u << c)) || g_spool.pos[c] >= g_spool.n) continue;
        if (!q_at(g_spool.pos[c])->durable) continue;
        if (due < 0 || g_spool.next_try[c] < due) due = g_spool.next_try[c];
    }
    if (due < 0) return -1;
    return due <= now ? 0 : (int)(due - now > 60000 ? 60000 : due - now);
}

/* ---- handlers ----------------------------------------------------------------------------- */

static void on_event(const bce_event_t *ev, void *user_data) {
    int r;
    char id[ID_LEN + 1];
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
    event_id(g_line, g_line_len - 1, id);
    if (g_spool.on) {                              /* handed on between steps, from the spool */
        spool_add(ev, id);
        return;
    }
    if (opt.exec_cmd || opt.post_url) {            /* at most once: a failure is reported, not retried */
        char why[256];
        const char *name = bce_event_name(ev);
        if (opt.exec_cmd
            && run_exec(g_line, g_line_len, id, name, bce_event_currency(ev), bce_event_wallet(ev), why, sizeof why) != 0)
            say("warning: --exec: %s for a %s event (listening goes on)", why, name);
        if (opt.post_url && http_post(g_line, g_line_len - 1, id, why, sizeof why) != 0)
            say("warning: --post: %s for a %s event (%s)", why, name,
                g_signalled ? "it is lost to the receiver: use --spool to keep it" : "listening goes on");
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
    case BCE_ERR_WALLET: return EXIT_WALLET;
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
                       : result == BCE_ERR_WALLET ? "the daemon cannot load the wallet (check the key)"
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
    /* a wallet the daemon could not load (-32005, -32000; also its answer to passing failures):
       the library's polling tries again and ends with BCE_ERR_WALLET (exit 6) after
       BCE_WALLET_ERROR_TRIES failures in a row, as it does with --force-connect */
    if (r == BCE_ERR_RPC && (bce_coin_last_rpc_error(coin, NULL) == -32005 || bce_coin_last_rpc_error(coin, NULL) == -32000)) {
        say("%s: %s (%s); polling retries", currency, bce_result_str(r), bce_coin_last_error(coin));
        return BCE_OK;
    }
    /* what retrying cannot mend ends the run even with --force-connect, as the library does */
    if (r == BCE_ERR_AUTH || r == BCE_ERR_WALLET || (r == BCE_ERR_RPC && bce_coin_last_rpc_error(coin, NULL) == -32601)
        || !opt.force_connect) {
        report_failure(r, currency, bce_coin_url(coin), bce_coin_last_error(coin));
        if (r == BCE_ERR_WALLET || r == BCE_ERR_RPC) say("error: the wallet: %s:%s", currency, wallet);
        return r;
    }
    say("%s: %s (%s); polling retries", currency, bce_result_str(r), bce_coin_last_error(coin));
    return BCE_OK;
}

static int listen_loop(void) {
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
        int wait = -1;
        if (g_spool.on) {                          /* hand on, then receive */
            wait = spool_tick();
            if (g_failure || g_signalled) break;
            if (g_spool.paused) {                  /* full: only the consumers' retries run */
                poll(NULL, 0, wait < 0 || wait > 100 ? 100 : wait);
                continue;
            }
        }
        r = g_coin ? bce_coin_step(g_coin, wait) : bce_manager_step(g_manager, wait);
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
        const char *key = g_coin ? bce_coin_wallet_key(g_coin) : NULL;
        int i;
        for (i = 0; !g_coin && i < opt.nwallets; i++) {  /* the manager: a wallet whose call ended it */
            bce_coin_t *c = bce_manager_wallet(g_manager, opt.wallets[i].currency, opt.wallets[i].key);
            if (c && bce_coin_last_rpc_error(c, NULL) && (r == BCE_ERR_WALLET || r == BCE_ERR_RPC)) {
                cur = bce_coin_currency(c);
                detail = bce_coin_last_error(c);
                key = bce_coin_wallet_key(c);
                break;
            }
        }
        if (cur && key && (r == BCE_ERR_WALLET || r == BCE_ERR_RPC)) {
            report_failure(r, cur, url_for(cur), detail);
            say("error: the wallet: %s:%s", cur, key);
            return exit_code_for(r);
        }
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

/* Opens the spool and the --post client around the listening. */
static int run(void) {
    int r = opt.post_url ? post_init() : 0;
    if (r == 0) r = spool_open();                  /* what an earlier run left comes first in its queue */
    if (r == 0) r = listen_loop();
    if (g_spool.on && !g_failure) spool_compact();   /* leaves only what is pending */
    spool_close();
    if (opt.post_url) post_release();
    return r;
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
