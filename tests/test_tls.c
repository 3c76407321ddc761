/* tests/test_tls.c: https:// and wss:// through mbedTLS against real TLS peers: the aiohttp
   daemon with an SSL context, and stunnel4 in front of the C daemon. Certificates come from
   tests/make_certs.sh (a test CA; good, expired, other-name and self-signed server certs). */
#define BCE_USE_MBEDTLS
#define BITCART_EVENTS_IMPLEMENTATION
#include "../bitcart_events.h"
#include "test.h"
#include "daemon.h"

/* The certificates, made by main in the build directory ($BUILD_DIR, tests/daemon.h):
   g_certs is "<build>/certs/", g_ca its CA. */
static char g_certs[400], g_ca[512];

/* The TLS version every handshake must end with. TEST_TLS_MAX=1.2 caps the peers (aiohttp's
   SSL context and stunnel) at TLS 1.2; otherwise they offer 1.3 too, which mbedTLS 3.x with
   MBEDTLS_SSL_PROTO_TLS1_3 (on by default in 3.6) takes, and 2.28 does not have. `make test`
   runs this program against 2.28 (TLS 1.2) and against 3.6 twice (TLS 1.3, then capped at 1.2). */
static const char *g_tls_max;       /* "1.2" or NULL */
static const char *g_want_version;  /* as mbedtls_ssl_get_version says it */

/* The version negotiated on an open TLS connection of the library. */
static void check_version(const _bce_conn_t *conn) {
    const _bce_tls_conn_t *t = (const _bce_tls_conn_t *)conn->io_ctx;
    CHECK(t != NULL);
    if (!t) return;
    if (strcmp(mbedtls_ssl_get_version(&t->ssl), g_want_version) != 0)
        fprintf(stderr, "negotiated %s, expected %s\n", mbedtls_ssl_get_version(&t->ssl), g_want_version);
    CHECK_STR(mbedtls_ssl_get_version(&t->ssl), g_want_version);
}

/* The aiohttp daemon serving TLS with certificate cert, listening on 127.0.0.1 or on host. */
static int tls_daemon_on(daemon_t *d, const char *cert, const char *host) {
    char c[512], k[512];
    const char *argv[] = {"/usr/bin/python3", "tests/fake_daemon.py", "--host", host, "--port", "0",
                          "--tls-cert", c, "--tls-key", k, NULL, NULL, NULL};
    snprintf(c, sizeof c, "%s%s.pem", g_certs, cert);
    snprintf(k, sizeof k, "%s%s.key", g_certs, cert);
    if (g_tls_max) {
        argv[10] = "--tls-max";
        argv[11] = g_tls_max;
    }
    return daemon_start(d, argv);
}

static int tls_daemon(daemon_t *d, const char *cert) {
    return tls_daemon_on(d, cert, "127.0.0.1");
}

/* The fake daemon serves its control routes on the same TLS port: the tests reach them
   through the library's own TLS connection machinery (see inject_tls). */

static bce_coin_t *tls_coin(const char *url, const char *ca_file, int skip_verify, const char *xpub) {
    bce_coin_desc_t d;
    memset(&d, 0, sizeof d);
    d.url = url;
    d.xpub = xpub;
    d.tls.ca_file = ca_file;
    d.tls.skip_verify = skip_verify;
    d.connect_timeout_ms = 3000;
    d.rpc_timeout_ms = 5000;
    d.logger.level = -1;
    return bce_coin_create(&d);
}

static int rpc_echo(bce_coin_t *c, char *out, size_t cap) {
    size_t n;
    return bce_rpc(c, "test_echo", "[\"tls\"]", out, cap, &n);
}

/* Every verification outcome, through the public API: which daemon certificate, how the URL
   names the host, which CAs are trusted, and what must come out. */
static void test_verification_outcomes(void) {
    static const char *const certs[] = {"good", "expired", "other", "self"};
    static const struct {
        int cert;               /* index in certs */
        const char *host;
        const char *ca_file;    /* in g_certs; NULL: the system bundle */
        int skip_verify;
        int result;
        const char *why;        /* in bce_coin_last_error, or NULL */
    } cases[] = {
        {0, "127.0.0.1", "ca.pem", 0, BCE_OK, NULL},              /* iPAddress name */
        {0, "localhost", "ca.pem", 0, BCE_OK, NULL},              /* DNS name */
        {0, "localhost", NULL, 0, BCE_ERR_TLS, "untrusted issuer"},     /* unknown CA */
        {3, "127.0.0.1", "ca.pem", 0, BCE_ERR_TLS, "untrusted issuer"},
        {3, "127.0.0.1", NULL, 1, BCE_OK, NULL},                        /* only when asked */
        {1, "127.0.0.1", "ca.pem", 0, BCE_ERR_TLS, "expired"},
        {2, "127.0.0.1", "ca.pem", 0, BCE_ERR_TLS, "host name mismatch"},
        {2, "localhost", "ca.pem", 0, BCE_ERR_TLS, "host name mismatch"},
        {0, "127.0.0.1", "no-such-file.pem", 0, BCE_ERR_TLS, "tls.ca_file"},
    };
    daemon_t d[4];
    size_t i;
    for (i = 0; i < 4; i++) CHECK_INT(tls_daemon(&d[i], certs[i]), 0);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[96], out[256], ca[512];
        bce_coin_t *c;
        int r;
        snprintf(url, sizeof url, "https://%s:%d", cases[i].host, d[cases[i].cert].port);
        if (cases[i].ca_file) snprintf(ca, sizeof ca, "%s%s", g_certs, cases[i].ca_file);
        c = tls_coin(url, cases[i].ca_file ? ca : NULL, cases[i].skip_verify, "w");
        r = rpc_echo(c, out, sizeof out);
        if (r != cases[i].result) fprintf(stderr, "tls case %u: %s\n", (unsigned)i, bce_coin_last_error(c));
        CHECK_INT(r, cases[i].result);
        if (cases[i].why) CHECK(strstr(bce_coin_last_error(c), cases[i].why) != NULL);
        if (r == BCE_OK) {
            CHECK_STR(out, "[\"tls\",{\"xpub\":\"w\"}]");
            check_version(&c->solo->link.rpc.conn);
            CHECK_INT(rpc_echo(c, out, sizeof out), BCE_OK);     /* over the kept-alive TLS connection */
        }
        bce_coin_destroy(c);
    }
    {   /* plain HTTP to a TLS port fails as a bad answer, not a hang */
        char url[64], out[64];
        bce_coin_t *c;
        snprintf(url, sizeof url, "http://127.0.0.1:%d", d[0].port);
        c = tls_coin(url, NULL, 0, "w");
        CHECK(rpc_echo(c, out, sizeof out) < 0);
        bce_coin_destroy(c);
    }
    for (i = 0; i < 4; i++) daemon_stop(&d[i]);
}

/* How the certificate is checked against a host that is an IP literal (issue 13, findings 3
   and 4): only iPAddress entries of the real subjectAltName count, compared as addresses;
   the subject CN and dNSName entries never name an address; nothing outside subjectAltName
   is read. Certificates from tests/make_certs.sh, served on 127.0.0.1 and on ::1. */
static void test_ip_host_checks(void) {
    static const char *const certs[] = {"good", "overread", "decoy", "ip10", "cnip", "dnsip", "other"};
    enum { NCERTS = sizeof certs / sizeof certs[0] };
    static const struct {
        int cert;               /* index in certs */
        int v6;                 /* served on ::1 (else on 127.0.0.1) */
        const char *host;       /* as written in the URL */
        int result;
        const char *why;        /* in bce_coin_last_error, or NULL */
    } cases[] = {
        {0, 0, "127.0.0.1", BCE_OK, NULL},                              /* IP:127.0.0.1 */
        {0, 0, "localhost", BCE_OK, NULL},                              /* DNS:localhost, by mbedTLS */
        {0, 1, "[::1]", BCE_OK, NULL},                                  /* IP:::1 */
        {0, 1, "[0:0:0:0:0:0:0:1]", BCE_OK, NULL},                      /* compared as an address */
        {1, 0, "127.0.0.1", BCE_ERR_TLS, NULL},     /* finding 3: no over-read (untrusted, and no SAN) */
        {2, 0, "127.0.0.1", BCE_ERR_TLS, "host name mismatch"},         /* finding 4: decoy ignored */
        {3, 0, "127.0.0.1", BCE_ERR_TLS, "host name mismatch"},         /* the wrong IPv4 address */
        {3, 1, "[::1]", BCE_ERR_TLS, "host name mismatch"},             /* no IPv6 address at all */
        {4, 0, "127.0.0.1", BCE_ERR_TLS, "host name mismatch"},         /* CN=127.0.0.1, no SAN */
        {5, 0, "127.0.0.1", BCE_ERR_TLS, "host name mismatch"},         /* DNS:127.0.0.1 */
        {6, 1, "[::1]", BCE_ERR_TLS, "host name mismatch"},             /* DNS:other.example */
    };
    daemon_t d4[NCERTS], d6[NCERTS];
    int up4[NCERTS], up6[NCERTS];
    size_t i;
    memset(up4, 0, sizeof up4);
    memset(up6, 0, sizeof up6);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {   /* one daemon per certificate and family */
        int k = cases[i].cert;
        if (cases[i].v6 && !up6[k]) { up6[k] = tls_daemon_on(&d6[k], certs[k], "::1") == 0; CHECK(up6[k]); }
        if (!cases[i].v6 && !up4[k]) { up4[k] = tls_daemon_on(&d4[k], certs[k], "127.0.0.1") == 0; CHECK(up4[k]); }
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[96], out[256];
        bce_coin_t *c;
        int r;
        if (!(cases[i].v6 ? up6 : up4)[cases[i].cert]) continue;
        snprintf(url, sizeof url, "https://%s:%d", cases[i].host,
                 cases[i].v6 ? d6[cases[i].cert].port : d4[cases[i].cert].port);
        c = tls_coin(url, g_ca, 0, "w");
        r = rpc_echo(c, out, sizeof out);
        if (r != cases[i].result || (cases[i].why && !strstr(bce_coin_last_error(c), cases[i].why)))
            fprintf(stderr, "host case %u (%s, %s): %d, %s\n", (unsigned)i, certs[cases[i].cert], url, r, bce_coin_last_error(c));
        CHECK_INT(r, cases[i].result);
        if (cases[i].why) CHECK(strstr(bce_coin_last_error(c), cases[i].why) != NULL);
        if (r == BCE_OK) CHECK_STR(out, "[\"tls\",{\"xpub\":\"w\"}]");
        bce_coin_destroy(c);
    }
    for (i = 0; i < NCERTS; i++) {
        if (up4[i]) daemon_stop(&d4[i]);
        if (up6[i]) daemon_stop(&d6[i]);
    }
}

/* A TLS server that accepts and then says nothing: the handshake times out within
   connect_timeout_ms, for JSON-RPC and for the websocket. */
static void test_stalled_handshake(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    char url[64], out[64];
    bce_coin_desc_t d;
    bce_coin_t *c;
    bce_ws_opts_t o;
    long long t0, took;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&a, sizeof a);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    listen(lfd, 8);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(a.sin_port));
    memset(&d, 0, sizeof d);
    d.url = url;
    d.xpub = "w";
    d.tls.ca_file = g_ca;
    d.connect_timeout_ms = 400;
    d.rpc_timeout_ms = 10000;
    d.logger.level = -1;
    c = bce_coin_create(&d);
    t0 = _bce_now_ms();
    CHECK_INT(bce_rpc(c, "x", NULL, out, sizeof out, NULL), BCE_ERR_TIMEOUT);
    took = _bce_now_ms() - t0;
    CHECK(took >= 350 && took < 2000);
    CHECK(strstr(bce_coin_last_error(c), "connect_timeout_ms") != NULL);
    memset(&o, 0, sizeof o);
    o.disable_catch_up = 1;
    t0 = _bce_now_ms();
    CHECK_INT(bce_start_websocket(c, &o), BCE_ERR_TIMEOUT);
    took = _bce_now_ms() - t0;
    CHECK(took >= 350 && took < 2000);
    bce_coin_destroy(c);
    close(lfd);
}

#define TALLY_MAX 512
#include "tally.h"

/* Injects through the library itself (the control routes sit behind the same TLS port). */
static void inject_tls(const char *url, int from, int count, const char *wallet) {
    char body[8192], out[256];
    size_t o = 0, n;
    int i;
    bce_coin_t *ctl;
    _bce_rpc_t *r;
    (void)n;
    o += (size_t)snprintf(body + o, sizeof body - o, "{\"wallet\":\"%s\",\"updates\":[", wallet);
    for (i = from; i < from + count; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s{\"event\":\"new_transaction\",\"tx\":\"t%d\",\"seq\":%d}",
                              i == from ? "" : ",", i, i);
    snprintf(body + o, sizeof body - o, "]}");
    /* a raw HTTPS POST to /_test/inject through the library's own connection machinery */
    ctl = tls_coin(url, g_ca, 0, NULL);
    r = &ctl->solo->link.rpc;
    CHECK_INT(_bce_rpc_begin(r, "x", NULL, 0, "null", _bce_now_ms()), BCE_OK);
    {   /* replace the JSON-RPC request with the inject request */
        char req[9000];
        int k = snprintf(req, sizeof req, "POST /_test/inject HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                         "Content-Length: %u\r\n\r\n%s", r->ep->url.host, r->ep->url.port, (unsigned)strlen(body), body);
        void *buf = r->out;
        CHECK_INT(_bce_grow(r->ep->alloc, &buf, &r->out_cap, (size_t)k, 1, (size_t)-1), BCE_OK);
        r->out = (char *)buf;
        memcpy(r->out, req, (size_t)k);
        r->out_len = (size_t)k;
        r->out_off = 0;
    }
    _bce_rpc_wait(r, -1, NULL);
    n = r->resp.body_len < sizeof out - 1 ? r->resp.body_len : sizeof out - 1;
    CHECK_INT(r->resp.status, 200);
    memcpy(out, r->in + r->resp.body_start, n);
    out[n] = 0;
    CHECK(strstr(out, "\"queued\"") != NULL);
    r->state = _BCE_RPC_IDLE;
    bce_coin_destroy(ctl);
}

/* Polling and the websocket (with catch-up over https) through TLS. */
static void check_stream(const char *url, int via_stunnel) {
    tally_t *t = (tally_t *)calloc(1, sizeof *t);
    bce_coin_t *c = tls_coin(url, g_ca, 0, via_stunnel ? "sw" : "pw");
    const char *w = via_stunnel ? "sw" : "pw";
    bce_ws_opts_t o;
    char out[64];
    long long t0;
    bce_on(c, "new_transaction", on_seq, t);
    CHECK_INT(bce_rpc(c, "get_updates", NULL, out, sizeof out, NULL), BCE_OK);   /* loads the wallet */
    check_version(&c->solo->link.rpc.conn);
    {   /* a 3 MiB answer is read in slices of BCE_IO_SLICE_BYTES; where a slice ends inside a
           TLS record, mbedTLS holds the rest and poll(2) cannot see it: the next wait is 0 */
        size_t big = (size_t)3 << 20, bn = 0;
        char *bout = (char *)malloc(big + 16);
        long long b0 = _bce_now_ms();
        CHECK_INT(bce_rpc(c, "test_big", "[3145728]", bout, big + 16, &bn), BCE_OK);
        CHECK_INT(bn, big + 2);
        CHECK(_bce_now_ms() - b0 < 4000);
        free(bout);
    }
    inject_tls(url, 0, 20, w);
    /* polling */
    CHECK_INT(bce_coin_start_polling(c, 20), BCE_OK);
    t0 = _bce_now_ms();
    while (t->total < 20 && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 50);
    CHECK_INT(t->total, 20);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    /* websocket: live events, and events queued before it connected come by catch-up */
    inject_tls(url, 20, 10, w);
    memset(&o, 0, sizeof o);
    o.on_connect = on_conn;
    o.user_data = t;
    CHECK_INT(bce_coin_begin_websocket(c, &o), BCE_OK);
    t0 = _bce_now_ms();
    while (t->total < 30 && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 50);
    CHECK_INT(t->connects, 1);
    CHECK_INT(t->total, 30);
    check_version(&c->solo->link.ws.conn);
    inject_tls(url, 30, 30, w);
    t0 = _bce_now_ms();
    while (t->total < 60 && _bce_now_ms() - t0 < 5000) bce_coin_step(c, 50);
    CHECK_INT(t->total, 60);
    CHECK_INT(t->dups, 0);
    bce_stop(c);
    CHECK_INT(bce_coin_step(c, 0), 0);
    bce_coin_destroy(c);
    free(t);
}

static void test_aiohttp_tls(void) {
    daemon_t d;
    char url[64];
    CHECK_INT(tls_daemon(&d, "good"), 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", d.port);
    check_stream(url, 0);
    daemon_stop(&d);
}

/* stunnel4 terminates TLS in front of the C daemon. */
static void test_stunnel_c_daemon(void) {
    const char *cargv[] = {FAKE_DAEMON, "--port", "0", NULL};
    daemon_t d;
    char conf[2048], url[64], path[512];
    int port = free_loopback_port(), i, up = 0;
    pid_t pid;
    FILE *f;
    CHECK_INT(daemon_start(&d, cargv), 0);
    snprintf(path, sizeof path, "%s", build_path("stunnel-"));
    snprintf(path + strlen(path), sizeof path - strlen(path), "%d.conf", (int)getpid());
    snprintf(conf, sizeof conf,
             "foreground = yes\npid =\nsyslog = no\ndebug = 0\n[bitcart]\naccept = 127.0.0.1:%d\n"
             "connect = 127.0.0.1:%d\ncert = %sgood.pem\nkey = %sgood.key\n%s", port, d.port, g_certs, g_certs,
             g_tls_max ? "sslVersionMax = TLSv1.2\n" : "");
    f = fopen(path, "w");
    fputs(conf, f);
    fclose(f);
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("stunnel4", "stunnel4", path, (char *)NULL);
        execlp("stunnel", "stunnel", path, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 200 && !up; i++) {     /* until it accepts: a bounded readiness wait */
        struct sockaddr_in a;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct timespec ts = {0, 20 * 1000 * 1000};
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (!up) nanosleep(&ts, NULL);
    }
    CHECK(up);
    if (up) {
        snprintf(url, sizeof url, "https://localhost:%d", port);
        check_stream(url, 1);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(path);
    daemon_stop(&d);
}

int main(void) {
    char cmd[512];
    snprintf(g_certs, sizeof g_certs, "%s", build_path("certs/"));
    snprintf(g_ca, sizeof g_ca, "%sca.pem", g_certs);
    snprintf(cmd, sizeof cmd, "bash tests/make_certs.sh '%s'", g_certs);
    if (system(cmd) != 0) {
        printf("test_tls: 0 passed, 1 failed\n");
        return 1;
    }
    signal(SIGPIPE, SIG_DFL);
    g_tls_max = getenv("TEST_TLS_MAX");
    if (g_tls_max && !*g_tls_max) g_tls_max = NULL;
    if (g_tls_max && strcmp(g_tls_max, "1.2") != 0) {
        fprintf(stderr, "TEST_TLS_MAX: only 1.2 (or unset)\n");
        printf("test_tls: 0 passed, 1 failed\n");
        return 1;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
    g_want_version = g_tls_max ? "TLSv1.2" : "TLSv1.3";
#else
    g_want_version = "TLSv1.2";
#endif
    printf("test_tls: mbedTLS %s, peers %s, expecting %s\n", MBEDTLS_VERSION_STRING,
           g_tls_max ? "capped at TLS 1.2" : "offering TLS 1.2 and 1.3", g_want_version);
    RUN(test_verification_outcomes);
    RUN(test_ip_host_checks);
    RUN(test_stalled_handshake);
    RUN(test_aiohttp_tls);
    RUN(test_stunnel_c_daemon);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_psa_crypto_free();      /* process-wide: the application's to free at exit (see TLS) */
#endif
    TEST_MAIN_END("test_tls");
}
