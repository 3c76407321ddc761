/*
 * fake_daemon.c - a fake BitcartCC daemon for the bitcart_events.h tests.
 *
 * Plain C99 + POSIX sockets, one single-threaded poll(2) loop, no dependency
 * beyond libc. Its twin tests/fake_daemon.py (aiohttp) behaves the same; the
 * wire protocol imitated is described in shared/docs/protocol.md.
 *
 *   fake_daemon [--host 127.0.0.1] [--port 0] [--user electrum]
 *               [--password electrumz] [--currency BTC] [--polling-cap 100]
 *               [--chunked] [--idle-close-ms N] [--trickle] [--height N]
 *
 * Once listening it prints "PORT <n>" on stdout. SIGTERM/SIGINT: exit 0.
 *
 * Like the real daemon: a JSON-RPC call that names a wallet loads it (wallets live in memory
 * only, so a restarted daemon knows none); only loaded wallets get events; a key it cannot
 * load gets -32005 from methods that need a wallet (get_updates, getbalance) and is silently
 * not loaded by the others (test_*). A key cannot be loaded when it holds a byte outside
 * printable ASCII, or when it starts with a BIP32 prefix (xpub ypub zpub tpub upub vpub Ltub
 * Mtub) followed by a letter or digit and is not exactly 111 base58 characters (so the tests'
 * short names such as "drop-w" or "vpub-cap" load, and "vpub5ExampleWallet" does not).
 * Credentials that do not split on ':' into exactly two parts (a password holding ':') get
 * HTTP 500. --height N: the first websocket client after start gets new_block N (a restarted
 * daemon announces its current height again). Test route POST /_test/inject {"wallet": KEY or
 * null, "updates": [...]} fires events as the daemon would; with "hostile": true an event for
 * a wallet not loaded is sent over the websockets anyway (a misbehaving or hostile daemon).
 * GET /_test/stats: counters (connections, requests, ws_clients, pings) and the loaded wallets'
 * keys ("loaded"). GET /_test/counters (this daemon only, for bench/scale.c): the same counters
 * without the list, and loaded_count, get_updates (calls received), wallets_drained (loaded
 * wallets that had a get_updates answered) and wallets_drained_ms (CLOCK_MONOTONIC ms when the
 * last of them had its first).
 * Build: cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -o fake_daemon fake_daemon.c
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1000
#define MAX_HDR (64 * 1024)          /* request line + headers */
#define MAX_LINE 8190                /* request line, header name, header value (as aiohttp) */
#define MAX_BODY (16 * 1024 * 1024)  /* request body (decoded) */
#define WS_MAX_MSG (4 * 1024 * 1024) /* one websocket message */
#define OUT_HIWAT (4 * 1024 * 1024)  /* stop reading requests above this */
#define OUT_MAX (256 * 1024 * 1024)  /* drop a client that never reads */
#define J_MAXDEPTH 512
#define BIG_MAX (64 * 1024 * 1024)
#define SLEEP_MAX 600000
#define LINGER_MS 2000
#define TRICKLE_GAP_US 1000          /* --trickle: pause between two bytes */
#define NOTFOUND ((size_t)-1)

#define CT_JSON "application/json; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define UNAUTH_BODY \
    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Unauthorized\"},\"id\":null}"
#define SPEC_BODY                                                                    \
    "{\"version\":\"fake-1\",\"electrum_map\":{},\"exceptions\":{"                   \
    "\"-32601\":{\"exc_name\":\"ProcedureNotFoundError\",\"docstring\":\"Procedure not found\"}," \
    "\"-32000\":{\"exc_name\":\"WalletNotLoadedError\",\"docstring\":\"Wallet not loaded. No xpub was provided and this function requires wallet\"}," \
    "\"-32001\":{\"exc_name\":\"InvalidTxHashError\",\"docstring\":\"Invalid tx hash provided\"}," \
    "\"-32002\":{\"exc_name\":\"TxNotFoundError\",\"docstring\":\"No such mempool or blockchain transaction\"}," \
    "\"-32003\":{\"exc_name\":\"RequestNotFoundError\",\"docstring\":\"Payment request not found\"}," \
    "\"-32004\":{\"exc_name\":\"InvalidAddressError\",\"docstring\":\"Invalid address or alias\"}," \
    "\"-32005\":{\"exc_name\":\"LoadingWalletError\",\"docstring\":\"Error loading wallet: seed or key not recognized\"}," \
    "\"-32006\":{\"exc_name\":\"NotEnoughFundsError\",\"docstring\":\"Insufficient funds\"}," \
    "\"-32007\":{\"exc_name\":\"InvalidNodeIDError\",\"docstring\":\"Invalid node ID\"}," \
    "\"-32008\":{\"exc_name\":\"WalletExistsError\",\"docstring\":\"This wallet already exists\"}," \
    "\"-32009\":{\"exc_name\":\"InvalidLightningInvoiceError\",\"docstring\":\"Invalid lightning invoice\"}," \
    "\"-32010\":{\"exc_name\":\"NoPathFoundError\",\"docstring\":\"No path found to pay the invoice\"}," \
    "\"-32011\":{\"exc_name\":\"LightningUnsupportedError\",\"docstring\":\"Lightning not supported in this wallet type\"}," \
    "\"-32012\":{\"exc_name\":\"InvoiceNotFoundError\",\"docstring\":\"Invoice not found\"}," \
    "\"-32013\":{\"exc_name\":\"WalletVersionMismatchError\",\"docstring\":\"Wallet file was opened in a newer electrum version than Bitcart is using. Delete the wallet file to fix this issue\"}," \
    "\"-32014\":{\"exc_name\":\"NoConfigKeyError\",\"docstring\":\"No config key found\"}}}"

/* ------------------------------------------------------------------ config */

static struct {
    const char *host, *user, *password, *currency;
    long port, cap, idle_ms, height;
    int chunked, trickle;
} cfg = {"127.0.0.1", "electrum", "electrumz", "BTC", 0, 100, 0, -1, 0, 0};
static int g_height_announced;

static volatile sig_atomic_t g_stop;
static unsigned long g_accepted, g_requests, g_pings;
/* get_updates calls; loaded wallets that had one; when the last of those had its first (ms,
   CLOCK_MONOTONIC: the same clock as a client's on this machine) */
static unsigned long g_get_updates, g_drained;
static long long g_drained_ms;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long now_ms(void) { return now_us() / 1000; }

/* ------------------------------------------------------------------ buffers */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void die_oom(void) {
    fputs("fake_daemon: out of memory\n", stderr);
    exit(1);
}

static void buf_reserve(buf_t *b, size_t extra) {
    size_t need = b->len + extra, nc;
    char *np;
    if (need <= b->cap) return;
    nc = b->cap ? b->cap : 256;
    while (nc < need) nc *= 2;
    np = realloc(b->p, nc);
    if (!np) die_oom();
    b->p = np;
    b->cap = nc;
}

static void buf_add(buf_t *b, const void *d, size_t n) {
    if (!n) return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void buf_puts(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_printf(buf_t *b, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void buf_drop(buf_t *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void buf_free(buf_t *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static size_t find(const char *h, size_t n, const char *needle) {
    size_t m = strlen(needle), i;
    if (m > n) return NOTFOUND;
    for (i = 0; i + m <= n; i++)
        if (h[i] == needle[0] && memcmp(h + i, needle, m) == 0) return i;
    return NOTFOUND;
}

static int ieq(const char *p, size_t n, const char *s) {
    return n == strlen(s) && strncasecmp(p, s, n) == 0;
}

/* ------------------------------------------------------- SHA-1 and base64 */

static uint32_t rol32(uint32_t x, unsigned n) { return (x << n) | (x >> (32u - n)); }

static void sha1(const unsigned char *msg, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    uint64_t bits = (uint64_t)len * 8u;
    size_t total = ((len + 8) / 64 + 1) * 64, off, i;
    for (off = 0; off < total; off += 64) {
        unsigned char blk[64];
        uint32_t w[80], a, b, c, d, e, f, k, t;
        for (i = 0; i < 64; i++) {
            size_t at = off + i;
            if (at < len) blk[i] = msg[at];
            else if (at == len) blk[i] = 0x80;
            else if (at >= total - 8) blk[i] = (unsigned char)(bits >> (8 * (total - 1 - at)));
            else blk[i] = 0;
        }
        for (i = 0; i < 16; i++)
            w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
                   (uint32_t)blk[4 * i + 2] << 8 | (uint32_t)blk[4 * i + 3];
        for (i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (i = 0; i < 80; i++) {
            if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999u;
            else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1u;
            else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
            else f = b ^ c ^ d, k = 0xCA62C1D6u;
            t = rol32(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rol32(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    for (i = 0; i < 20; i++) out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(buf_t *o, const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        buf_add(o, &B64[(v >> 18) & 63], 1);
        buf_add(o, &B64[(v >> 12) & 63], 1);
        buf_add(o, i + 1 < n ? &B64[(v >> 6) & 63] : "=", 1);
        buf_add(o, i + 2 < n ? &B64[v & 63] : "=", 1);
    }
}

static int b64_val(char ch) {
    const char *q;
    if (ch == '\0') return -1;
    q = strchr(B64, ch);
    return q ? (int)(q - B64) : -1;
}

/* Strict decoding: length multiple of 4, '=' only as final padding. */
static int b64_decode(const char *s, size_t n, buf_t *o) {
    size_t i, j;
    if (n % 4) return -1;
    for (i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        uint32_t x = 0;
        unsigned char out[3];
        for (j = 0; j < 4; j++) {
            if (s[i + j] == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else {
                if (pad) return -1;
                if ((v[j] = b64_val(s[i + j])) < 0) return -1;
            }
        }
        for (j = 0; j < 4; j++) x = x << 6 | (uint32_t)v[j];
        out[0] = (unsigned char)(x >> 16), out[1] = (unsigned char)(x >> 8), out[2] = (unsigned char)x;
        buf_add(o, out, (size_t)(3 - pad));
    }
    return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n) {
    size_t i = 0, need, k;
    while (i < n) {
        uint32_t c = s[i], cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07;
        else return 0;
        if (n - i <= need) return 0;
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
        if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

/* -------------------------------------------------------------------- JSON */

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct {
    int type, first, next;  /* children: first / next sibling, -1 = none */
    size_t off, len;        /* J_STR: decoded bytes; J_NUM: raw text (in s) */
    size_t koff, klen;      /* member key when inside an object */
} jnode_t;

typedef struct {
    jnode_t *n;
    int nn, ncap;
    buf_t s;
    const unsigned char *p;
    size_t len, pos;
} jdoc_t;

static int j_new(jdoc_t *d, int type) {
    jnode_t *x;
    if (d->nn == d->ncap) {
        int nc = d->ncap ? d->ncap * 2 : 32;
        jnode_t *nn = realloc(d->n, (size_t)nc * sizeof *nn);
        if (!nn) die_oom();
        d->n = nn;
        d->ncap = nc;
    }
    x = &d->n[d->nn];
    memset(x, 0, sizeof *x);
    x->type = type;
    x->first = x->next = -1;
    return d->nn++;
}

static void j_skip(jdoc_t *d) {
    while (d->pos < d->len && (d->p[d->pos] == ' ' || d->p[d->pos] == '\t' ||
                               d->p[d->pos] == '\n' || d->p[d->pos] == '\r'))
        d->pos++;
}

static int j_hex4(jdoc_t *d, uint32_t *out) {
    uint32_t v = 0;
    int i;
    if (d->len - d->pos < 4) return -1;
    for (i = 0; i < 4; i++) {
        unsigned char ch = d->p[d->pos++];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (uint32_t)(ch - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Lone surrogates are kept as 3-byte sequences (like Python's surrogatepass). */
static void put_utf8(buf_t *b, uint32_t cp) {
    unsigned char o[4];
    size_t n;
    if (cp < 0x80) o[0] = (unsigned char)cp, n = 1;
    else if (cp < 0x800) o[0] = (unsigned char)(0xC0 | cp >> 6), o[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        o[0] = (unsigned char)(0xE0 | cp >> 12), o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
        o[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    else
        o[0] = (unsigned char)(0xF0 | cp >> 18), o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)),
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
    buf_add(b, o, n);
}

static int j_str(jdoc_t *d, size_t *off, size_t *len) {
    d->pos++; /* opening quote */
    *off = d->s.len;
    for (;;) {
        unsigned char ch;
        uint32_t cp, lo;
        size_t save;
        if (d->pos >= d->len) return -1;
        ch = d->p[d->pos++];
        if (ch == '"') break;
        if (ch < 0x20) return -1;
        if (ch != '\\') {
            buf_add(&d->s, &ch, 1);
            continue;
        }
        if (d->pos >= d->len) return -1;
        ch = d->p[d->pos++];
        switch (ch) {
        case '"': case '\\': case '/': break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u':
            if (j_hex4(d, &cp)) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF && d->len - d->pos >= 6 && d->p[d->pos] == '\\' &&
                d->p[d->pos + 1] == 'u') {
                save = d->pos;
                d->pos += 2;
                if (j_hex4(d, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    d->pos = save;
            }
            put_utf8(&d->s, cp);
            continue;
        default: return -1;
        }
        buf_add(&d->s, &ch, 1);
    }
    *len = d->s.len - *off;
    return 0;
}

static int is_digit(const jdoc_t *d) { return d->pos < d->len && d->p[d->pos] >= '0' && d->p[d->pos] <= '9'; }

static int j_num(jdoc_t *d) {
    size_t st = d->pos;
    int x;
    if (d->p[d->pos] == '-') d->pos++;
    if (!is_digit(d)) return -1;
    if (d->p[d->pos] == '0') d->pos++;
    else while (is_digit(d)) d->pos++;
    if (d->pos < d->len && d->p[d->pos] == '.') {
        d->pos++;
        if (!is_digit(d)) return -1;
        while (is_digit(d)) d->pos++;
    }
    if (d->pos < d->len && (d->p[d->pos] == 'e' || d->p[d->pos] == 'E')) {
        d->pos++;
        if (d->pos < d->len && (d->p[d->pos] == '+' || d->p[d->pos] == '-')) d->pos++;
        if (!is_digit(d)) return -1;
        while (is_digit(d)) d->pos++;
    }
    x = j_new(d, J_NUM);
    d->n[x].off = d->s.len;
    d->n[x].len = d->pos - st;
    buf_add(&d->s, d->p + st, d->pos - st);
    return x;
}

static int j_lit(jdoc_t *d, const char *w, int type) {
    size_t n = strlen(w);
    if (d->len - d->pos < n || memcmp(d->p + d->pos, w, n) != 0) return -1;
    d->pos += n;
    return j_new(d, type);
}

static int j_value(jdoc_t *d, int depth) {
    int x, child, last = -1;
    unsigned char ch;
    j_skip(d);
    if (d->pos >= d->len) return -1;
    ch = d->p[d->pos];
    if (ch == '{' || ch == '[') {
        unsigned char closer = ch == '{' ? '}' : ']';
        if (depth >= J_MAXDEPTH) return -1;
        x = j_new(d, ch == '{' ? J_OBJ : J_ARR);
        d->pos++;
        j_skip(d);
        if (d->pos < d->len && d->p[d->pos] == closer) {
            d->pos++;
            return x;
        }
        for (;;) {
            size_t koff = 0, klen = 0;
            if (closer == '}') {
                j_skip(d);
                if (d->pos >= d->len || d->p[d->pos] != '"' || j_str(d, &koff, &klen)) return -1;
                j_skip(d);
                if (d->pos >= d->len || d->p[d->pos] != ':') return -1;
                d->pos++;
            }
            if ((child = j_value(d, depth + 1)) < 0) return -1;
            d->n[child].koff = koff;
            d->n[child].klen = klen;
            if (last < 0) d->n[x].first = child;
            else d->n[last].next = child;
            last = child;
            j_skip(d);
            if (d->pos >= d->len) return -1;
            ch = d->p[d->pos++];
            if (ch == closer) return x;
            if (ch != ',') return -1;
        }
    }
    if (ch == '"') {
        size_t off, len;
        if (j_str(d, &off, &len)) return -1;
        x = j_new(d, J_STR);
        d->n[x].off = off;
        d->n[x].len = len;
        return x;
    }
    if (ch == 't') return j_lit(d, "true", J_TRUE);
    if (ch == 'f') return j_lit(d, "false", J_FALSE);
    if (ch == 'n') return j_lit(d, "null", J_NULL);
    if (ch == '-' || (ch >= '0' && ch <= '9')) return j_num(d);
    return -1;
}

/* Parses a whole document (must be valid UTF-8); returns the root or -1. */
static int j_parse(jdoc_t *d, const char *src, size_t len) {
    int root;
    memset(d, 0, sizeof *d);
    d->p = (const unsigned char *)src;
    d->len = len;
    if (!utf8_ok(d->p, len)) return -1;
    root = j_value(d, 0);
    if (root < 0) return -1;
    j_skip(d);
    return d->pos == d->len ? root : -1;
}

static void j_free(jdoc_t *d) {
    free(d->n);
    buf_free(&d->s);
    memset(d, 0, sizeof *d);
}

static const char *j_sp(const jdoc_t *d, int x) { return d->s.p ? d->s.p + d->n[x].off : ""; }

/* Object member lookup (the last duplicate wins, as in Python). */
static int j_get(const jdoc_t *d, int obj, const char *key) {
    int c, found = -1;
    size_t kl = strlen(key);
    if (obj < 0 || d->n[obj].type != J_OBJ) return -1;
    for (c = d->n[obj].first; c >= 0; c = d->n[c].next)
        if (d->n[c].klen == kl && memcmp(d->s.p + d->n[c].koff, key, kl) == 0) found = c;
    return found;
}

/* An integer token (no fraction/exponent) within [lo, hi]. */
static int j_int(const jdoc_t *d, int x, long long lo, long long hi, long long *out) {
    char tmp[32];
    size_t i, n;
    long long v;
    char *end;
    if (x < 0 || d->n[x].type != J_NUM || (n = d->n[x].len) >= sizeof tmp) return -1;
    memcpy(tmp, j_sp(d, x), n);
    tmp[n] = '\0';
    for (i = tmp[0] == '-' ? 1 : 0; i < n; i++)
        if (tmp[i] < '0' || tmp[i] > '9') return -1;
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void j_put_str(buf_t *b, const char *s, size_t n) {
    size_t i, run = 0;
    buf_add(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char tmp[8];
        if (ch == '"') esc = "\\\"";
        else if (ch == '\\') esc = "\\\\";
        else if (ch == '\n') esc = "\\n";
        else if (ch == '\r') esc = "\\r";
        else if (ch == '\t') esc = "\\t";
        else if (ch == '\b') esc = "\\b";
        else if (ch == '\f') esc = "\\f";
        else if (ch < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)ch);
            esc = tmp;
        }
        if (!esc) continue;
        buf_add(b, s + run, i - run);
        buf_puts(b, esc);
        run = i + 1;
    }
    buf_add(b, s + run, n - run);
    buf_add(b, "\"", 1);
}

/* Numbers as Python's json.dumps writes them: integers verbatim ("-0" is 0),
 * others as repr(float): shortest round-trip digits, fixed notation for
 * decimal exponents -4 < e <= 16, else d.ddde+XX. */
static void j_put_num(buf_t *b, const char *t, size_t n) {
    char sci[40], dig[20], *tmp;
    double v;
    int p, e, decpt, nd = 0, i;
    const char *q;
    for (i = 0; (size_t)i < n && t[i] != '.' && t[i] != 'e' && t[i] != 'E'; i++) {}
    if ((size_t)i == n) {
        if (n == 2 && t[0] == '-' && t[1] == '0') buf_puts(b, "0");
        else buf_add(b, t, n);
        return;
    }
    if (!(tmp = malloc(n + 1))) die_oom();
    memcpy(tmp, t, n);
    tmp[n] = '\0';
    v = strtod(tmp, NULL);
    free(tmp);
    if (v - v != 0) { /* overflowed to infinity */
        buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    for (p = 1; p <= 17; p++) {
        snprintf(sci, sizeof sci, "%.*e", p - 1, v);
        if (strtod(sci, NULL) == v) break;
    }
    for (q = sci; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9') dig[nd++] = *q;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    e = atoi(q + 1);
    decpt = e + 1;
    if (sci[0] == '-') buf_puts(b, "-");
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            buf_puts(b, "0.");
            for (i = decpt; i < 0; i++) buf_puts(b, "0");
            buf_add(b, dig, (size_t)nd);
        } else {
            for (i = 0; i < decpt; i++) buf_add(b, i < nd ? &dig[i] : "0", 1);
            buf_puts(b, ".");
            if (nd > decpt) buf_add(b, dig + decpt, (size_t)(nd - decpt));
            else buf_puts(b, "0");
        }
    } else {
        buf_add(b, dig, 1);
        if (nd > 1) {
            buf_puts(b, ".");
            buf_add(b, dig + 1, (size_t)(nd - 1));
        }
        buf_printf(b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

/* Compact serialisation, the same bytes as the Python twin's json.dumps. */
static void j_write(buf_t *b, const jdoc_t *d, int x) {
    int c;
    const jnode_t *n = &d->n[x];
    switch (n->type) {
    case J_NULL: buf_puts(b, "null"); break;
    case J_FALSE: buf_puts(b, "false"); break;
    case J_TRUE: buf_puts(b, "true"); break;
    case J_NUM: j_put_num(b, j_sp(d, x), n->len); break;
    case J_STR: j_put_str(b, j_sp(d, x), n->len); break;
    default:
        buf_puts(b, n->type == J_ARR ? "[" : "{");
        for (c = n->first; c >= 0; c = d->n[c].next) {
            if (c != n->first) buf_puts(b, ",");
            if (n->type == J_OBJ) {
                j_put_str(b, d->s.p + d->n[c].koff, d->n[c].klen);
                buf_puts(b, ":");
            }
            j_write(b, d, c);
        }
        buf_puts(b, n->type == J_ARR ? "]" : "}");
    }
}

/* ----------------------------------------------------------------- wallets */

typedef struct {
    char *p;
    size_t n;
} item_t;

typedef struct {
    char *key;
    size_t klen;
    item_t *q; /* ring of cfg.cap items */
    size_t head, count;
    int drained; /* had a get_updates since it was loaded */
} wallet_t;

static wallet_t *g_w;
static size_t g_nw, g_wcap;
/* an index of g_w by key, as the daemon's dict (a lookup per call stays cheap with 100,000
   wallets, bench/scale.c): open addressing, index + 1 (0: empty), at most half full */
static size_t *g_wh, g_whcap;

static size_t key_hash(const char *k, size_t n) {
    uint32_t h = 2166136261u;
    while (n--) {
        h ^= (unsigned char)*k++;
        h *= 16777619u;
    }
    return (size_t)h;
}

static void wh_put(size_t idx) {
    size_t i = key_hash(g_w[idx].key, g_w[idx].klen) & (g_whcap - 1);
    while (g_wh[i]) i = (i + 1) & (g_whcap - 1);
    g_wh[i] = idx + 1;
}

static wallet_t *wallet_find(const char *k, size_t n) {
    size_t i;
    if (!g_whcap) return NULL;
    for (i = key_hash(k, n) & (g_whcap - 1); g_wh[i]; i = (i + 1) & (g_whcap - 1)) {
        wallet_t *w = &g_w[g_wh[i] - 1];
        if (w->klen == n && memcmp(w->key, k, n) == 0) return w;
    }
    return NULL;
}

static void wallet_load(const char *k, size_t n) {
    wallet_t *w;
    if (wallet_find(k, n)) return;
    if (g_nw == g_wcap) {
        size_t nc = g_wcap ? g_wcap * 2 : 16;
        wallet_t *nw = realloc(g_w, nc * sizeof *nw);
        if (!nw) die_oom();
        g_w = nw;
        g_wcap = nc;
    }
    w = &g_w[g_nw++];
    memset(w, 0, sizeof *w);
    if (!(w->key = malloc(n + 1))) die_oom();
    memcpy(w->key, k, n);
    w->klen = n;
    if (cfg.cap > 0 && !(w->q = calloc((size_t)cfg.cap, sizeof *w->q))) die_oom();
    if (g_nw * 2 > g_whcap) { /* grow the index and put every wallet in again */
        size_t i, nc = g_whcap ? g_whcap * 2 : 64;
        free(g_wh);
        if (!(g_wh = calloc(nc, sizeof *g_wh))) die_oom();
        g_whcap = nc;
        for (i = 0; i < g_nw; i++) wh_put(i);
    } else {
        wh_put(g_nw - 1);
    }
}

static void wallet_push(wallet_t *w, const char *u, size_t n) {
    size_t cap = (size_t)cfg.cap, at;
    item_t it;
    if (!cap) return;
    if (!(it.p = malloc(n ? n : 1))) die_oom();
    memcpy(it.p, u, n);
    it.n = n;
    if (w->count == cap) {
        free(w->q[w->head].p);
        w->q[w->head] = it;
        w->head = (w->head + 1) % cap;
    } else {
        at = (w->head + w->count) % cap;
        w->q[at] = it;
        w->count++;
    }
}

static void wallet_drain(wallet_t *w, buf_t *o) {
    size_t i, cap = (size_t)cfg.cap;
    buf_puts(o, "[");
    for (i = 0; i < w->count; i++) {
        item_t *it = &w->q[(w->head + i) % cap];
        if (i) buf_puts(o, ",");
        buf_add(o, it->p, it->n);
        free(it->p);
    }
    buf_puts(o, "]");
    w->head = w->count = 0;
}

static void wallets_clear(void) {
    size_t i, j;
    for (i = 0; i < g_nw; i++) {
        for (j = 0; j < g_w[i].count; j++) free(g_w[i].q[(g_w[i].head + j) % (size_t)cfg.cap].p);
        free(g_w[i].q);
        free(g_w[i].key);
    }
    g_nw = 0;
    g_drained = 0;
    if (g_wh) memset(g_wh, 0, g_whcap * sizeof *g_wh);
}

/* ------------------------------------------------------------- connections */

enum { K_HTTP, K_WS, K_LINGER };

typedef struct {
    int fd, slot, kind, dead;
    buf_t in, out, body, pending, sub, frag;
    size_t off, trickle_end;  /* out: sent so far; bytes before trickle_end go 1 by 1 */
    long long trickle_at;     /* (us) when the next trickled byte may go */
    int close_after, served, sleeping, pending_close, sent_continue;
    int req_minor, req_keep;
    long long last_done, wake_at, linger_until;
    int sub_mode;             /* 0: every event, 1: wallet `sub` only, 2: nothing */
    int in_frag, frag_op;
} conn_t;

static conn_t *g_conns[MAX_CONNS];

static void conn_kill(conn_t *c) {
    if (c->dead) return;
    c->dead = 1;
    close(c->fd);
    c->fd = -1;
}

static void conn_reap(conn_t *c) {
    g_conns[c->slot] = NULL;
    buf_free(&c->in), buf_free(&c->out), buf_free(&c->body);
    buf_free(&c->pending), buf_free(&c->sub), buf_free(&c->frag);
    free(c);
}

/* Graceful end: half-close, then discard input until EOF or a deadline. */
static void conn_finish(conn_t *c) {
    shutdown(c->fd, SHUT_WR);
    c->kind = K_LINGER;
    c->linger_until = now_ms() + LINGER_MS;
    buf_free(&c->in);
}

static int is_ws_client(const conn_t *c) { return !c->dead && c->kind == K_WS && !c->close_after; }

static void queue_out(conn_t *c, const char *p, size_t n, int trickle) {
    buf_add(&c->out, p, n);
    if (trickle && cfg.trickle) c->trickle_end = c->out.len;
    if (c->out.len - c->off > OUT_MAX) conn_kill(c);
}

static void conn_flush(conn_t *c) {
    while (!c->dead && c->off < c->out.len) {
        int trickled = c->off < c->trickle_end;
        size_t n = trickled ? 1 : c->out.len - c->off;
        ssize_t w;
        if (trickled && now_us() < c->trickle_at) return;
        w = send(c->fd, c->out.p + c->off, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_kill(c);
            else if (c->off > (1u << 20)) { /* compact a long-lived buffer */
                buf_drop(&c->out, c->off);
                c->trickle_end = c->trickle_end > c->off ? c->trickle_end - c->off : 0;
                c->off = 0;
            }
            return;
        }
        c->off += (size_t)w;
        if (trickled && c->off < c->out.len) { /* one byte, then a pause */
            c->trickle_at = now_us() + TRICKLE_GAP_US;
            return;
        }
    }
    if (c->dead) return;
    c->out.len = c->off = c->trickle_end = 0;
    if (c->close_after && c->kind != K_LINGER) conn_finish(c);
    else if (c->kind == K_HTTP) c->last_done = now_ms();
}

static const char *reason(int status) {
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Request Entity Too Large";
    default: return "Internal Server Error";
    }
}

#define RF_CHUNK 1 /* may use chunked encoding under --chunked */
#define RF_CLOSE 2 /* close the connection after this response */
#define RF_NOTRICKLE 4

static void respond(conn_t *c, int status, const char *ctype, const char *body, size_t blen, int flags) {
    buf_t o = {0};
    int closing = (flags & RF_CLOSE) || !c->req_keep;
    int chunk = (flags & RF_CHUNK) && cfg.chunked && c->req_minor == 1;
    buf_printf(&o, "HTTP/1.%d %d %s\r\nContent-Type: %s\r\n", c->req_minor, status, reason(status), ctype);
    if (chunk) buf_puts(&o, "Transfer-Encoding: chunked\r\n");
    else buf_printf(&o, "Content-Length: %zu\r\n", blen);
    if (closing && c->req_minor == 1) buf_puts(&o, "Connection: close\r\n");
    if (!closing && c->req_minor == 0) buf_puts(&o, "Connection: keep-alive\r\n");
    buf_puts(&o, "Server: fake-bitcart-daemon\r\n\r\n");
    if (chunk) {
        /* chunk sizes 1, 2, ..., 7, then 4096 */
        size_t at = 0, k = 1, n;
        while (at < blen) {
            n = k <= 7 ? k : 4096;
            if (n > blen - at) n = blen - at;
            buf_printf(&o, "%zx\r\n", n);
            buf_add(&o, body + at, n);
            buf_puts(&o, "\r\n");
            at += n, k++;
        }
        buf_puts(&o, "0\r\n\r\n");
    } else {
        buf_add(&o, body, blen);
    }
    c->served++;
    if (c->sleeping) {
        buf_free(&c->pending);
        c->pending = o;
        c->pending_close = closing;
        return;
    }
    queue_out(c, o.p, o.len, !(flags & RF_NOTRICKLE));
    if (closing) c->close_after = 1;
    buf_free(&o);
}

static void respond_json(conn_t *c, const char *body, int flags) {
    respond(c, 200, CT_JSON, body, strlen(body), flags);
}

static void respond_text(conn_t *c, int status, int flags) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%d: %s", status, reason(status));
    respond(c, status, CT_TEXT, tmp, strlen(tmp), flags);
}

/* --------------------------------------------------------------- websocket */

static void ws_send(conn_t *c, int op, const char *p, size_t n) {
    unsigned char h[10];
    size_t hl = 2, i;
    h[0] = (unsigned char)(0x80 | op);
    if (n < 126) {
        h[1] = (unsigned char)n;
    } else if (n <= 0xFFFF) {
        h[1] = 126, h[2] = (unsigned char)(n >> 8), h[3] = (unsigned char)n, hl = 4;
    } else {
        h[1] = 127, hl = 10;
        for (i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    }
    queue_out(c, (const char *)h, hl, 0);
    if (!c->dead) queue_out(c, p, n, 0);
}

/* A close frame with code and reason (at most 123 bytes), then the connection goes. */
static void ws_close_why(conn_t *c, unsigned code, const char *why, size_t n) {
    char p[125];
    p[0] = (char)(code >> 8);
    p[1] = (char)(code & 0xFF);
    memcpy(p + 2, why, n);
    ws_send(c, 8, p, 2 + n);
    c->close_after = 1;
}

static void ws_close(conn_t *c, unsigned code) { ws_close_why(c, code, "", 0); }

static void ws_on_text(conn_t *c, const char *p, size_t n) {
    jdoc_t d;
    int root, x;
    if (!utf8_ok((const unsigned char *)p, n)) {
        ws_close(c, 1007);
        return;
    }
    root = j_parse(&d, p, n);
    if (root >= 0 && d.n[root].type != J_OBJ) {
        conn_kill(c); /* valid JSON, not an object: the daemon drops the client */
    } else if (root >= 0) {
        x = j_get(&d, root, "xpub");
        buf_free(&c->sub);
        if (x < 0 || d.n[x].type == J_NULL) {
            c->sub_mode = 0;
        } else if (d.n[x].type == J_STR) {
            c->sub_mode = 1;
            buf_add(&c->sub, j_sp(&d, x), d.n[x].len);
        } else {
            c->sub_mode = 2;
        }
    } /* invalid JSON is ignored */
    j_free(&d);
}

static void ws_process(conn_t *c) {
    while (!c->dead && c->kind == K_WS && !c->close_after) {
        unsigned char *p = (unsigned char *)c->in.p;
        size_t have = c->in.len, hl = 2, i;
        uint64_t len;
        int fin, op, masked;
        if (have < 2) return;
        fin = p[0] & 0x80, op = p[0] & 0x0F, masked = p[1] & 0x80;
        len = p[1] & 0x7F;
        if (len == 126) hl = 4;
        else if (len == 127) hl = 10;
        if (masked) hl += 4;
        if (have < hl) return;
        if (len == 126) len = (uint64_t)p[2] << 8 | p[3];
        else if (len == 127)
            for (len = 0, i = 0; i < 8; i++) len = len << 8 | p[2 + i];
        if (p[0] & 0x70) { ws_close(c, 1002); return; }
        if (op >= 8 && (!fin || len > 125)) { ws_close(c, 1002); return; }
        if (len > WS_MAX_MSG) { ws_close(c, 1009); return; }
        if (have - hl < len) return;
        if (masked)
            for (i = 0; i < len; i++) p[hl + i] ^= p[hl - 4 + i % 4];
        switch (op) {
        case 0:
            if (!c->in_frag) { ws_close(c, 1002); return; }
            if (c->frag.len + len > WS_MAX_MSG) { ws_close(c, 1009); return; }
            buf_add(&c->frag, p + hl, (size_t)len);
            if (fin) {
                c->in_frag = 0;
                if (c->frag_op == 1) ws_on_text(c, c->frag.p ? c->frag.p : "", c->frag.len);
                buf_free(&c->frag);
            }
            break;
        case 1:
        case 2:
            if (c->in_frag) { ws_close(c, 1002); return; }
            if (!fin) {
                c->in_frag = 1, c->frag_op = op;
                buf_add(&c->frag, p + hl, (size_t)len);
            } else if (op == 1) {
                ws_on_text(c, (const char *)p + hl, (size_t)len);
            }
            break;
        case 8: { ws_close(c, 1000); return; }
        case 9:
            g_pings++;
            ws_send(c, 10, (const char *)p + hl, (size_t)len);
            break;
        case 10: break;
        default: { ws_close(c, 1002); return; }
        }
        if (!c->dead) buf_drop(&c->in, hl + (size_t)len);
    }
}

/* -------------------------------------------------------------------- HTTP */

typedef struct {
    const char *method, *path, *auth, *upgrade, *connection, *wskey, *wsver, *expect;
    size_t mlen, plen, alen, ulen, clen, klen, vlen, elen;
    const char *body;
    size_t blen, total;
    int minor, keep;
} req_t;

static int is_tchar(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int has_token(const char *v, size_t n, const char *tok) {
    size_t i = 0, s, e;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > s && ieq(v + s, e - s, tok)) return 1;
    }
    return 0;
}

/* Chunked request body: 1 complete (decoded into out, total raw size in
 * *used), 0 incomplete, <0 an HTTP error status (negated). */
static int chunked_body(const char *p, size_t n, buf_t *out, size_t *used) {
    size_t pos = 0, total = 0, e, i, size;
    for (;;) {
        e = find(p + pos, n - pos, "\r\n");
        if (e == NOTFOUND) return n - pos > 1024 ? -400 : 0;
        for (i = 0, size = 0; i < e && isxdigit((unsigned char)p[pos + i]); i++) {
            if (i >= 8) return -413;
            size = size * 16 + (size_t)(p[pos + i] <= '9' ? p[pos + i] - '0' : (p[pos + i] | 0x20) - 'a' + 10);
        }
        if (i == 0 || (i < e && p[pos + i] != ';' && p[pos + i] != ' ' && p[pos + i] != '\t')) return -400;
        pos += e + 2;
        if (size == 0) {
            for (;;) { /* trailer section */
                e = find(p + pos, n - pos, "\r\n");
                if (e == NOTFOUND) return n - pos > MAX_HDR ? -400 : 0;
                pos += e + 2;
                if (e == 0) break;
            }
            *used = pos;
            return 1;
        }
        if (total + size > MAX_BODY) return -413;
        if (n - pos < size + 2) return 0;
        if (p[pos + size] != '\r' || p[pos + size + 1] != '\n') return -400;
        if (out) buf_add(out, p + pos, size);
        total += size;
        pos += size + 2;
    }
}

#define HDR(name, field, flen) \
    else if (ieq(p + ls, nl, name)) { if (!r->field) r->field = p + vs, r->flen = ve - vs; }

/* 1: a complete request in r; 0: need more data; <0: HTTP error (negated). */
static int http_parse(conn_t *c, req_t *r) {
    const char *p = c->in.p, *cl = NULL, *te = NULL;
    size_t n = c->in.len, he, le, i, st, a, ls, pos, e, nl, vs, ve, cll = 0, tel = 0, hdrs = 0, used;
    memset(r, 0, sizeof *r);
    if (!p) return 0;
    he = find(p, n < MAX_HDR + 4 ? n : MAX_HDR + 4, "\r\n\r\n");
    if (he == NOTFOUND) return n > MAX_HDR ? -400 : 0;
    le = find(p, he + 2, "\r\n");
    for (i = 0; i < le && i < 16 && is_tchar((unsigned char)p[i]); i++) {}
    if (i == 0 || i >= 16 || p[i] != ' ') return -400;
    r->method = p, r->mlen = i++;
    for (st = i; i < le && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7F; i++) {}
    if (i == st || i >= le || p[i] != ' ') return -400;
    if (le > MAX_LINE) return -400;
    a = st;
    if (i - st >= 7 && strncasecmp(p + st, "http://", 7) == 0) a += 7; /* absolute form */
    else if (i - st >= 8 && strncasecmp(p + st, "https://", 8) == 0) a += 8;
    if (a != st)
        while (a < i && p[a] != '/' && p[a] != '?' && p[a] != '#') a++; /* skip the authority */
    for (e = a; e < i && p[e] != '?' && p[e] != '#'; e++) {}
    if (e == a) r->path = "/", r->plen = 1;
    else r->path = p + a, r->plen = e - a;
    i++;
    if (le - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || (p[i + 7] != '0' && p[i + 7] != '1')) return -400;
    r->minor = p[i + 7] - '0';
    for (pos = le + 2; pos < he + 2; pos += e + 2) {
        e = find(p + pos, he + 2 - pos, "\r\n");
        ls = pos;
        for (nl = 0; nl < e && is_tchar((unsigned char)p[ls + nl]); nl++) {}
        if (nl == 0 || nl >= e || p[ls + nl] != ':' || ++hdrs > 100) return -400;
        for (vs = ls + nl + 1; vs < pos + e && (p[vs] == ' ' || p[vs] == '\t'); vs++) {}
        for (ve = pos + e; ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--) {}
        if (nl > MAX_LINE || ve - vs > MAX_LINE) return -400;
        for (i = vs; i < ve; i++)
            if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7F) return -400;
        if (ieq(p + ls, nl, "content-length")) {
            if (cl) return -400;
            cl = p + vs, cll = ve - vs;
        } else if (ieq(p + ls, nl, "transfer-encoding")) {
            if (te) return -400;
            te = p + vs, tel = ve - vs;
        }
        HDR("authorization", auth, alen)
        HDR("upgrade", upgrade, ulen)
        HDR("connection", connection, clen)
        HDR("sec-websocket-key", wskey, klen)
        HDR("sec-websocket-version", wsver, vlen)
        HDR("expect", expect, elen)
    }
    r->keep = r->minor == 1 ? !has_token(r->connection, r->clen, "close")
                            : has_token(r->connection, r->clen, "keep-alive");
    pos = he + 4;
    if (te) {
        int rc;
        if (cl || !ieq(te, tel, "chunked")) return -400;
        if ((rc = chunked_body(p + pos, n - pos, NULL, &used)) != 1)
            return rc == 0 && n > (size_t)MAX_HDR + 4u * MAX_BODY ? -413 : rc;
        c->body.len = 0;
        chunked_body(p + pos, n - pos, &c->body, &used);
        r->body = c->body.p ? c->body.p : "", r->blen = c->body.len, r->total = pos + used;
    } else if (cl) {
        size_t v = 0;
        if (cll == 0 || cll > 10) return cll ? -413 : -400;
        for (i = 0; i < cll; i++) {
            if (cl[i] < '0' || cl[i] > '9') return -400;
            v = v * 10 + (size_t)(cl[i] - '0');
        }
        if (v > MAX_BODY) return -413;
        if (n - pos < v) return 0;
        r->body = p + pos, r->blen = v, r->total = pos + v;
    } else {
        r->body = p + pos, r->blen = 0, r->total = pos;
    }
    return 1;
}

/* 1: the credentials match; 0: they do not (or none); -1: decoded, they do not split on ':'
 * into exactly two parts, which the real daemon fails on (HTTP 500). */
static int auth_ok(const req_t *r) {
    buf_t raw = {0}, want = {0};
    size_t i = 5, k, colons = 0;
    int ok;
    if (!r->auth || r->alen < 6 || strncasecmp(r->auth, "basic", 5) != 0 || r->auth[5] != ' ') return 0;
    while (i < r->alen && r->auth[i] == ' ') i++;
    buf_printf(&want, "%s:%s", cfg.user, cfg.password);
    ok = b64_decode(r->auth + i, r->alen - i, &raw) == 0;
    for (k = 0; ok && k < raw.len; k++) colons += raw.p[k] == ':';
    if (ok && colons != 1) ok = -1;
    else ok = ok && raw.len == want.len && (raw.len == 0 || memcmp(raw.p, want.p, raw.len) == 0);
    buf_free(&raw), buf_free(&want);
    return ok;
}

/* The key rule of the header comment: 1 when the daemon can load the wallet key k. */
static int key_ok(const char *k, size_t n) {
    static const char *const prefixes[] = {"xpub", "ypub", "zpub", "tpub", "upub", "vpub", "Ltub", "Mtub"};
    static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e) return 0;
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (n > 4 && memcmp(k, prefixes[i], 4) == 0 && isalnum((unsigned char)k[4])) {
            size_t j;
            if (n != 111) return 0;
            for (j = 0; j < n; j++)
                if (!strchr(b58, k[j])) return 0;
        }
    return 1;
}

static void send_unauth(conn_t *c) { respond_json(c, UNAUTH_BODY, RF_CHUNK); }

/* ---------------------------------------------------------------- JSON-RPC */

static void rpc_reply(conn_t *c, const char *kind, const char *v, size_t vn, const buf_t *id) {
    buf_t b = {0};
    buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"%s\":", kind);
    buf_add(&b, v, vn);
    buf_puts(&b, ",\"id\":");
    buf_add(&b, id->p, id->len);
    buf_puts(&b, "}");
    respond(c, 200, CT_JSON, b.p, b.len, RF_CHUNK);
    buf_free(&b);
}

static void rpc_error(conn_t *c, long long code, const char *msg, size_t mlen, const buf_t *id) {
    buf_t e = {0};
    buf_printf(&e, "{\"code\":%lld,\"message\":", code);
    j_put_str(&e, msg, mlen);
    buf_puts(&e, "}");
    rpc_reply(c, "error", e.p, e.len, id);
    buf_free(&e);
}

#define RPC_ERR(code, msg) rpc_error(c, code, msg, strlen(msg), &id)

static void handle_rpc(conn_t *c, const req_t *r) {
    static const char *const methods[] = {"get_updates", "test_echo", "test_error", "test_big", "test_sleep",
                                          "getbalance"};
    jdoc_t d;
    buf_t id = {0}, key = {0}, res = {0};
    int root, x, params, kw = -1, first = -1, npos = 0, haskey = 0, m = -1, i, loadable = 1;
    long long v;
    root = j_parse(&d, r->body, r->blen);
    if (root < 0) {
        buf_puts(&id, "null");
        RPC_ERR(-32700, "Parse error");
        goto out;
    }
    if (d.n[root].type != J_OBJ) { /* batches and the like: the daemon fails */
        respond_text(c, 500, 0);
        goto out;
    }
    if ((x = j_get(&d, root, "id")) >= 0) j_write(&id, &d, x);
    else buf_puts(&id, "null");
    if ((x = j_get(&d, root, "method")) >= 0 && d.n[x].type == J_STR)
        for (i = 0; i < 6; i++)
            if (d.n[x].len == strlen(methods[i]) && memcmp(j_sp(&d, x), methods[i], d.n[x].len) == 0) m = i;
    if (m < 0) {
        RPC_ERR(-32601, "Procedure not found");
        goto out;
    }
    if (m == 0) g_get_updates++;
    params = j_get(&d, root, "params");
    if (params >= 0 && d.n[params].type == J_OBJ) {
        kw = params;
    } else if (params >= 0 && d.n[params].type == J_ARR) {
        int last = -1;
        first = d.n[params].first;
        for (x = first; x >= 0; x = d.n[x].next) last = x, npos++;
        if (last >= 0 && d.n[last].type == J_OBJ) kw = last, npos--;
    } else if (params >= 0 && d.n[params].type != J_NULL) {
        RPC_ERR(-32602, "Invalid params");
        goto out;
    }
    if ((x = j_get(&d, kw, "xpub")) >= 0 && d.n[x].type != J_NULL) {
        int xp = j_get(&d, x, "xpub"), ct = j_get(&d, x, "contract");
        haskey = 1;
        if (d.n[x].type == J_STR) {
            buf_add(&key, j_sp(&d, x), d.n[x].len);
            loadable = key_ok(j_sp(&d, x), d.n[x].len);
        } else if (d.n[x].type == J_OBJ && xp >= 0 && d.n[xp].type == J_STR) {
            buf_add(&key, j_sp(&d, xp), d.n[xp].len);
            loadable = key_ok(j_sp(&d, xp), d.n[xp].len);
            if (ct >= 0 && d.n[ct].type == J_STR && d.n[ct].len) {
                buf_puts(&key, "_");
                buf_add(&key, j_sp(&d, ct), d.n[ct].len);
            }
        } else {
            RPC_ERR(-32602, "Invalid params");
            goto out;
        }
        if (loadable) wallet_load(key.p ? key.p : "", key.len);
    }
    if ((m == 0 || m == 5) && haskey && !loadable) { /* methods that need a wallet report it */
        RPC_ERR(-32005, "Seed or key not recognized");
        goto out;
    }
    switch (m) {
    case 0: /* get_updates */
        if (!haskey) {
            RPC_ERR(-32000, "Wallet not loaded");
            break;
        }
        {
            wallet_t *w = wallet_find(key.p ? key.p : "", key.len);
            if (!w->drained) {
                w->drained = 1;
                g_drained++;
                g_drained_ms = now_ms();
            }
            wallet_drain(w, &res);
        }
        rpc_reply(c, "result", res.p, res.len, &id);
        break;
    case 5: /* getbalance: names the wallet without draining its queue */
        if (!haskey) {
            RPC_ERR(-32000, "Wallet not loaded");
            break;
        }
        rpc_reply(c, "result", "{\"confirmed\":\"0\"}", strlen("{\"confirmed\":\"0\"}"), &id);
        break;
    case 1: /* test_echo */
        if (params >= 0) j_write(&res, &d, params);
        else buf_puts(&res, "null");
        rpc_reply(c, "result", res.p, res.len, &id);
        break;
    case 2: /* test_error [code, message] */
        x = first >= 0 ? d.n[first].next : -1;
        if (npos != 2 || j_int(&d, first, INT64_MIN, INT64_MAX, &v) || d.n[x].type != J_STR) {
            RPC_ERR(-32602, "Invalid params");
            break;
        }
        rpc_error(c, v, j_sp(&d, x), d.n[x].len, &id);
        break;
    case 3: /* test_big [n] */
        if (npos != 1 || j_int(&d, first, 0, BIG_MAX, &v)) {
            RPC_ERR(-32602, "Invalid params");
            break;
        }
        buf_reserve(&res, (size_t)v + 2);
        res.p[0] = '"';
        memset(res.p + 1, 'x', (size_t)v);
        res.p[v + 1] = '"';
        res.len = (size_t)v + 2;
        rpc_reply(c, "result", res.p, res.len, &id);
        break;
    case 4: /* test_sleep [ms] */
        if (npos != 1 || j_int(&d, first, 0, SLEEP_MAX, &v)) {
            RPC_ERR(-32602, "Invalid params");
            break;
        }
        c->sleeping = 1;
        c->wake_at = now_ms() + v;
        rpc_reply(c, "result", "true", 4, &id); /* kept until wake_at */
    }
out:
    j_free(&d);
    buf_free(&id), buf_free(&key), buf_free(&res);
}

/* ------------------------------------------------------------ other routes */

static void handle_ws(conn_t *c, const req_t *r) {
    buf_t raw = {0}, acc = {0}, o = {0};
    unsigned char dig[20];
    int au = auth_ok(r);
    if (au < 0) { respond_text(c, 500, 0); return; }
    if (!au) { send_unauth(c); return; }
    if (!ieq(r->upgrade, r->ulen, "websocket") || !has_token(r->connection, r->clen, "upgrade") ||
        !(ieq(r->wsver, r->vlen, "13") || ieq(r->wsver, r->vlen, "8") || ieq(r->wsver, r->vlen, "7")) ||
        !r->wskey || b64_decode(r->wskey, r->klen, &raw) || raw.len != 16) {
        buf_free(&raw);
        { respond_text(c, 400, 0); return; }
    }
    buf_add(&raw, r->wskey, r->klen); /* reuse raw: key + GUID */
    buf_drop(&raw, 16);
    buf_puts(&raw, WS_GUID);
    sha1((const unsigned char *)raw.p, raw.len, dig);
    b64_encode(&acc, dig, 20);
    buf_printf(&o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                   "Sec-WebSocket-Accept: %.*s\r\nServer: fake-bitcart-daemon\r\n\r\n",
               (int)acc.len, acc.p);
    queue_out(c, o.p, o.len, 1);
    c->kind = K_WS;
    c->sub_mode = 0;
    if (cfg.height >= 0 && !g_height_announced) { /* the first client after start: the height again */
        size_t i;
        g_height_announced = 1;
        o.len = raw.len = 0;
        buf_printf(&raw, "{\"event\":\"new_block\",\"height\":%ld}", cfg.height);
        buf_puts(&o, "{\"updates\":[");
        buf_add(&o, raw.p, raw.len);
        buf_puts(&o, "],\"wallet\":null,\"currency\":");
        j_put_str(&o, cfg.currency, strlen(cfg.currency));
        buf_puts(&o, "}");
        for (i = 0; i < g_nw; i++) wallet_push(&g_w[i], raw.p, raw.len);
        ws_send(c, 1, o.p, o.len);
    }
    buf_free(&raw), buf_free(&acc), buf_free(&o);
}

static void bad_request(conn_t *c) {
    static const char body[] = "{\"error\":\"bad request\"}";
    respond(c, 400, CT_JSON, body, sizeof body - 1, 0);
}

static void handle_inject(conn_t *c, const req_t *r) {
    jdoc_t d;
    buf_t key = {0}, u = {0}, msg = {0}, ans = {0};
    int root = j_parse(&d, r->body, r->blen), wl = j_get(&d, root, "wallet"), ups = j_get(&d, root, "updates");
    int glob = wl < 0 || d.n[wl].type == J_NULL, x, s, ho = j_get(&d, root, "hostile");
    int hostile = ho >= 0 && d.n[ho].type == J_TRUE; /* send even for a wallet not loaded */
    size_t queued = 0, sent = 0, i;
    if (ups < 0 || d.n[ups].type != J_ARR || (!glob && d.n[wl].type != J_STR)) {
        bad_request(c);
        goto out;
    }
    if (!glob) buf_add(&key, j_sp(&d, wl), d.n[wl].len);
    for (x = d.n[ups].first; x >= 0; x = d.n[x].next) {
        wallet_t *w = glob ? NULL : wallet_find(key.p ? key.p : "", key.len);
        if (!glob && !w && !hostile) continue; /* the daemon produces no event for a wallet it has not loaded */
        u.len = msg.len = 0;
        j_write(&u, &d, x);
        buf_puts(&msg, "{\"updates\":[");
        buf_add(&msg, u.p, u.len);
        buf_puts(&msg, "],\"wallet\":");
        if (glob) {
            buf_puts(&msg, "null");
            for (i = 0; i < g_nw; i++) wallet_push(&g_w[i], u.p, u.len);
            queued += g_nw;
        } else {
            j_put_str(&msg, key.p, key.len);
            if (w) wallet_push(w, u.p, u.len), queued++;
        }
        buf_puts(&msg, ",\"currency\":");
        j_put_str(&msg, cfg.currency, strlen(cfg.currency));
        buf_puts(&msg, "}");
        for (s = 0; s < MAX_CONNS; s++) {
            conn_t *o = g_conns[s];
            if (!o || !is_ws_client(o)) continue;
            if (!glob && !(o->sub_mode == 0 ||
                           (o->sub_mode == 1 && o->sub.len == key.len && memcmp(o->sub.p, key.p, key.len) == 0)))
                continue;
            ws_send(o, 1, msg.p, msg.len);
            sent++;
        }
    }
    buf_printf(&ans, "{\"queued\":%zu,\"sent\":%zu}", queued, sent);
    respond_json(c, ans.p, 0);
out:
    j_free(&d);
    buf_free(&key), buf_free(&u), buf_free(&msg), buf_free(&ans);
}

/* GET /_test/stats: the counters and the list of loaded wallets, byte for byte as
   fake_daemon.py; GET /_test/counters (this daemon only): the same counters and this daemon's
   own, without the list (large with many wallets). */
static void handle_stats(conn_t *c, int counters) {
    buf_t b = {0};
    size_t i, ws = 0;
    int s;
    for (s = 0; s < MAX_CONNS; s++)
        if (g_conns[s] && is_ws_client(g_conns[s])) ws++;
    buf_printf(&b, "{\"connections\":%lu,\"requests\":%lu,\"ws_clients\":%zu,", g_accepted, g_requests, ws);
    if (counters) {
        buf_printf(&b, "\"pings\":%lu,\"loaded_count\":%zu,\"get_updates\":%lu,\"wallets_drained\":%lu,"
                   "\"wallets_drained_ms\":%lld}", g_pings, g_nw, g_get_updates, g_drained, g_drained_ms);
    } else {
        buf_puts(&b, "\"loaded\":[");
        for (i = 0; i < g_nw; i++) {
            if (i) buf_puts(&b, ",");
            j_put_str(&b, g_w[i].key, g_w[i].klen);
        }
        buf_printf(&b, "],\"pings\":%lu}", g_pings);
    }
    respond_json(c, b.p, 0);
    buf_free(&b);
}

static void handle_close_idle(conn_t *c) {
    int s;
    for (s = 0; s < MAX_CONNS; s++) {
        conn_t *o = g_conns[s];
        if (o && o != c && !o->dead && o->kind == K_HTTP && !o->sleeping && !o->close_after &&
            o->off == o->out.len)
            conn_kill(o);
    }
    respond_json(c, "{}", RF_CLOSE);
}

static void handle_drop_ws(conn_t *c, const req_t *r) {
    jdoc_t d;
    int root = j_parse(&d, r->body, r->blen), md = j_get(&d, root, "mode"), rs = j_get(&d, root, "reason");
    int s, reset = 0;
    size_t n = 0, wl = 0;
    char ans[64], why[124];
    if (md < 0 || d.n[md].type != J_STR ||
        !((reset = d.n[md].len == 5 && memcmp(j_sp(&d, md), "reset", 5) == 0) ||
          (d.n[md].len == 5 && memcmp(j_sp(&d, md), "close", 5) == 0))
        || (rs >= 0 && (d.n[rs].type != J_STR || d.n[rs].len > 123))) {
        j_free(&d);
        { bad_request(c); return; }
    }
    if (rs >= 0) memcpy(why, j_sp(&d, rs), wl = d.n[rs].len);  /* the close reason (optional) */
    j_free(&d);
    for (s = 0; s < MAX_CONNS; s++) {
        conn_t *o = g_conns[s];
        if (!o || !is_ws_client(o)) continue;
        n++;
        if (reset) conn_kill(o);
        else ws_close_why(o, 1000, why, wl);
    }
    snprintf(ans, sizeof ans, "{\"dropped\":%zu}", n);
    respond_json(c, ans, 0);
}

static void handle_request(conn_t *c, const req_t *r) {
    static const struct {
        const char *path, *method;
        int id;
    } routes[] = {{"/", "POST", 0}, {"/spec", "GET", 1}, {"/ws", "GET", 2}, {"/_test/inject", "POST", 3},
                  {"/_test/stats", "GET", 4}, {"/_test/unload", "POST", 5}, {"/_test/close_idle", "POST", 6},
                  {"/_test/drop_ws", "POST", 7}, {"/_test/counters", "GET", 8}};
    size_t i;
    g_requests++;
    c->req_minor = r->minor;
    c->req_keep = r->keep;
    for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (r->plen == strlen(routes[i].path) && memcmp(r->path, routes[i].path, r->plen) == 0) break;
    if (i == sizeof routes / sizeof routes[0]) {
        respond_text(c, 404, 0);
        return;
    }
    if (!(r->mlen == strlen(routes[i].method) && memcmp(r->method, routes[i].method, r->mlen) == 0)) {
        respond_text(c, 405, 0);
        return;
    }
    if (routes[i].id <= 1) {
        int au = auth_ok(r);
        if (au < 0) { /* the daemon's split(":") fails */
            respond_text(c, 500, 0);
            return;
        }
        if (!au) {
            send_unauth(c);
            return;
        }
    }
    switch (routes[i].id) {
    case 0: handle_rpc(c, r); break;
    case 1: respond_json(c, SPEC_BODY, RF_CHUNK); break;
    case 2: handle_ws(c, r); break;
    case 3: handle_inject(c, r); break;
    case 4: handle_stats(c, 0); break;
    case 5:
        wallets_clear();
        respond_json(c, "{}", 0);
        break;
    case 6: handle_close_idle(c); break;
    case 8: handle_stats(c, 1); break;
    default: handle_drop_ws(c, r);
    }
}

static void http_process(conn_t *c) {
    while (!c->dead && c->kind == K_HTTP && !c->sleeping && !c->close_after) {
        req_t r;
        int rc = http_parse(c, &r);
        if (rc == 0) {
            if (r.expect && ieq(r.expect, r.elen, "100-continue") && r.minor == 1 && !c->sent_continue) {
                queue_out(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, 0);
                c->sent_continue = 1;
            }
            break;
        }
        if (rc < 0) {
            c->req_minor = 1, c->req_keep = 0;
            respond_text(c, -rc, RF_CLOSE | RF_NOTRICKLE);
            break;
        }
        c->sent_continue = 0;
        handle_request(c, &r);
        if (!c->dead) buf_drop(&c->in, r.total);
        buf_free(&c->body);
    }
    if (!c->dead && c->kind == K_WS) ws_process(c);
}

static void conn_read(conn_t *c) {
    ssize_t n;
    if (c->kind == K_LINGER) {
        char tmp[4096];
        n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) conn_kill(c);
        return;
    }
    buf_reserve(&c->in, 65536);
    n = recv(c->fd, c->in.p + c->in.len, 65536, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_kill(c);
        return;
    }
    if (n == 0) { /* the peer closed its side: like aiohttp, drop the connection */
        conn_kill(c);
        return;
    }
    c->in.len += (size_t)n;
    if (c->kind == K_HTTP) http_process(c);
    else ws_process(c);
}

/* ------------------------------------------------------------------- main */

static void usage(void) {
    fputs("usage: fake_daemon [--host H] [--port N] [--user U] [--password P] [--currency C]\n"
          "                   [--polling-cap N] [--chunked] [--idle-close-ms N] [--trickle] [--height N]\n",
          stderr);
    exit(2);
}

static long num_arg(const char *s, long lo, long hi) {
    char *e;
    long v;
    errno = 0;
    v = strtol(s, &e, 10);
    if (errno || e == s || *e || v < lo || v > hi) usage();
    return v;
}

static void parse_args(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        char name[32];
        const char *a = argv[i], *eq = strchr(a, '='), *val = NULL;
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name) usage();
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (!strcmp(name, "--chunked") || !strcmp(name, "--trickle")) {
            if (eq) usage();
            if (name[2] == 'c') cfg.chunked = 1;
            else cfg.trickle = 1;
            continue;
        }
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else usage();
        if (!strcmp(name, "--host")) cfg.host = val;
        else if (!strcmp(name, "--port")) cfg.port = num_arg(val, 0, 65535);
        else if (!strcmp(name, "--user")) cfg.user = val;
        else if (!strcmp(name, "--password")) cfg.password = val;
        else if (!strcmp(name, "--currency")) cfg.currency = val;
        else if (!strcmp(name, "--polling-cap")) cfg.cap = num_arg(val, 0, 1000000);
        else if (!strcmp(name, "--idle-close-ms")) cfg.idle_ms = num_arg(val, 0, 86400000);
        else if (!strcmp(name, "--height")) cfg.height = num_arg(val, 0, 2000000000);
        else usage();
    }
    if (strchr(cfg.user, ':')) {
        fputs("fake_daemon: --user must not contain ':'\n", stderr);
        exit(2);
    }
}

static int open_listener(void) {
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char port[16];
    int fd, one = 1, rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof port, "%ld", cfg.port);
    if ((rc = getaddrinfo(cfg.host, port, &hints, &ai)) != 0) {
        fprintf(stderr, "fake_daemon: %s: %s\n", cfg.host, gai_strerror(rc));
        exit(1);
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128) ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) || fcntl(fd, F_SETFL, O_NONBLOCK)) {
        perror("fake_daemon: listen");
        exit(1);
    }
    freeaddrinfo(ai);
    printf("PORT %u\n", (unsigned)ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                         : ((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);
    return fd;
}

static void accept_all(int lfd) {
    int k, s, fd, one = 1;
    for (k = 0; k < 64; k++) {
        conn_t *c;
        if ((fd = accept(lfd, NULL, NULL)) < 0) return;
        g_accepted++;
        for (s = 0; s < MAX_CONNS && g_conns[s]; s++) {}
        if (s == MAX_CONNS || fcntl(fd, F_SETFL, O_NONBLOCK) || !(c = calloc(1, sizeof *c))) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd, c->slot = s, c->kind = K_HTTP;
        g_conns[s] = c;
    }
}

/* Wakes sleepers, enforces timeouts; returns ms until the next deadline. */
static long long run_timers(void) {
    long long now = now_ms(), next = 1000, due;
    int s;
    for (s = 0; s < MAX_CONNS; s++) {
        conn_t *c = g_conns[s];
        if (!c || c->dead) continue;
        due = -1;
        if (c->sleeping) {
            if (now >= c->wake_at) {
                c->sleeping = 0;
                queue_out(c, c->pending.p, c->pending.len, 1);
                if (c->pending_close) c->close_after = 1;
                buf_free(&c->pending);
                if (!c->dead) http_process(c);
            } else {
                due = c->wake_at;
            }
        }
        if (!c->dead && c->kind == K_LINGER) {
            if (now >= c->linger_until) conn_kill(c);
            else due = c->linger_until;
        }
        if (!c->dead && cfg.idle_ms > 0 && c->kind == K_HTTP && c->served && !c->sleeping &&
            !c->close_after && c->off == c->out.len) {
            if (now - c->last_done >= cfg.idle_ms) conn_kill(c);
            else due = c->last_done + cfg.idle_ms;
        }
        if (due >= 0 && due - now < next) next = due - now;
        if (!c->dead && c->off < c->trickle_end && next > 1) next = 1;
    }
    return next < 0 ? 0 : next;
}

int main(int argc, char **argv) {
    static struct pollfd pfd[MAX_CONNS + 1];
    static conn_t *who[MAX_CONNS + 1];
    struct sigaction sa;
    int lfd, s;
    long long timeout = 0;
    parse_args(argc, argv);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    lfd = open_listener();
    while (!g_stop) {
        nfds_t nf = 1, i;
        pfd[0].fd = lfd, pfd[0].events = POLLIN, pfd[0].revents = 0;
        for (s = 0; s < MAX_CONNS; s++) {
            conn_t *c = g_conns[s];
            int ev = 0;
            if (!c) continue;
            if (c->kind == K_LINGER) ev = POLLIN;
            else {
                if (c->off < c->out.len && (c->off >= c->trickle_end || now_us() >= c->trickle_at)) ev |= POLLOUT;
                if (!c->close_after && !c->sleeping && c->out.len - c->off < OUT_HIWAT) ev |= POLLIN;
            }
            pfd[nf].fd = c->fd, pfd[nf].events = (short)ev, pfd[nf].revents = 0;
            who[nf++] = c;
        }
        if (poll(pfd, nf, (int)timeout) < 0 && errno != EINTR) {
            perror("fake_daemon: poll");
            return 1;
        }
        if (g_stop) break;
        if (pfd[0].revents & POLLIN) accept_all(lfd);
        for (i = 1; i < nf; i++) {
            conn_t *c = who[i];
            if (c->dead || !pfd[i].revents) continue;
            if (pfd[i].revents & POLLIN) conn_read(c);
            else if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) conn_kill(c);
            if (!c->dead && (pfd[i].revents & POLLOUT)) conn_flush(c);
        }
        timeout = run_timers();
        for (s = 0; s < MAX_CONNS; s++)
            if (g_conns[s] && g_conns[s]->dead) conn_reap(g_conns[s]);
    }
    /* shutdown: websocket clients get a close frame (1000), best effort */
    for (s = 0; s < MAX_CONNS; s++) {
        conn_t *c = g_conns[s];
        if (!c) continue;
        if (is_ws_client(c)) {
            ws_close(c, 1000);
            if (!c->dead) conn_flush(c);
        }
        conn_kill(c);
        conn_reap(c);
    }
    close(lfd);
    wallets_clear();
    free(g_w);
    free(g_wh);
    return 0;
}
