/* tests/fuzz/fuzz_url.c: the URL parser and what is built from a parsed URL. The input, up to
   its first NUL, is the URL.
   - _bce_url_parse either refuses with a reason or fills host, port and prefix within their
     arrays, NUL-terminated, with only the characters the parser promises.
   - bce_coin_create accepts exactly the URLs the parser accepts.
   - The JSON-RPC request (_bce_rpc_build) and the websocket upgrade request
     (_bce_ws_handshake_request) built from it are well-formed HTTP: the request line names
     the prefix, Host names host and port (IPv6 in brackets), Content-Length is the body's
     length and the body is valid JSON.
   Long host names and paths included (the requests once came out cut short or refused). */
#include "fuzz_common.h"


static void check_parsed(const char *url, const _bce_url_t *u) {
    size_t i, hl = strlen(u->host), pl = strlen(u->prefix), ol = strlen(u->port);
    long port = 0;
    FUZZ_CHECK(memchr(u->host, 0, sizeof u->host) && memchr(u->port, 0, sizeof u->port)
               && memchr(u->prefix, 0, sizeof u->prefix));
    FUZZ_CHECK(u->tls == (strncmp(url, "https://", 8) == 0));
    FUZZ_CHECK(u->tls || strncmp(url, "http://", 7) == 0);
    FUZZ_CHECK(hl > 0 && hl < sizeof u->host);
    for (i = 0; i < hl; i++) {
        char c = u->host[i];
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                   || c == ':');
    }
    FUZZ_CHECK(ol >= 1 && ol <= 5);
    for (i = 0; i < ol; i++) {
        FUZZ_CHECK(u->port[i] >= '0' && u->port[i] <= '9');
        port = port * 10 + (u->port[i] - '0');
    }
    FUZZ_CHECK(port >= 1 && port <= 65535);
    FUZZ_CHECK(pl == 0 || u->prefix[0] == '/');
    FUZZ_CHECK(pl == 0 || u->prefix[pl - 1] != '/');
    for (i = 0; i < pl; i++) {
        unsigned char c = (unsigned char)u->prefix[i];
        FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '?' && c != '#');
    }
    FUZZ_CHECK(strstr(url, u->host) != NULL && strstr(url, u->prefix) != NULL);
}

static void check_host_header(const char *req, const _bce_url_t *u) {
    char want[300];
    int v6 = strchr(u->host, ':') != NULL;
    snprintf(want, sizeof want, "\r\nHost: %s%s%s:%s\r\n", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
    FUZZ_CHECK(strstr(req, want) != NULL);
}

static void check_rpc_request(_bce_rpc_t *rpc) {
    const _bce_url_t *u = &rpc->ep->url;
    char *req = (char *)malloc(rpc->out_len + 1), *body, *cl;
    char line[600];
    size_t blen;
    FUZZ_CHECK(req != NULL);
    memcpy(req, rpc->out, rpc->out_len);
    req[rpc->out_len] = 0;
    snprintf(line, sizeof line, "POST %s/ HTTP/1.1\r\n", u->prefix);
    FUZZ_CHECK(strncmp(req, line, strlen(line)) == 0);
    check_host_header(req, u);
    FUZZ_CHECK(strstr(req, fuzz_auth_b64) != NULL);
    body = strstr(req, "\r\n\r\n");
    FUZZ_CHECK(body != NULL);
    body += 4;
    blen = rpc->out_len - (size_t)(body - req);
    cl = strstr(req, "\r\nContent-Length: ");
    FUZZ_CHECK(cl != NULL && cl < body && strtoul(cl + 18, NULL, 10) == blen);
    FUZZ_CHECK(bce_json_validate(body, blen, 0, NULL) == BCE_OK);
    free(req);
}

static void check_ws_request(_bce_ws_t *w) {
    const _bce_url_t *u = &w->ep->url;
    char *req = (char *)malloc(w->out_len + 1);
    char line[600];
    const char *key;
    FUZZ_CHECK(req != NULL);
    memcpy(req, w->out, w->out_len);
    req[w->out_len] = 0;
    FUZZ_CHECK(strlen(req) == w->out_len);
    snprintf(line, sizeof line, "GET %s/ws HTTP/1.1\r\n", u->prefix);
    FUZZ_CHECK(strncmp(req, line, strlen(line)) == 0);
    key = strstr(req, "\r\nSec-WebSocket-Key: ");
    FUZZ_CHECK(key != NULL && key[21 + 22] == '=' && key[21 + 23] == '=' && key[21 + 24] == '\r');
    check_host_header(req, u);
    FUZZ_CHECK(strstr(req, fuzz_auth_b64) != NULL);
    FUZZ_CHECK(w->out_len >= 4 && memcmp(req + w->out_len - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(strstr(req, "\r\n\r\n") == req + w->out_len - 4);
    free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *url = (char *)malloc(size + 1);
    const char *why;
    _bce_url_t u;
    bce_coin_desc_t d;
    bce_coin_t *coin;
    FUZZ_CHECK(url != NULL);
    memcpy(url, data, size);
    url[size] = 0;
    fuzz_secret_init(data, size);

    why = _bce_url_parse(url, &u);
    memset(&d, 0, sizeof d);
    d.url = url;
    d.password = fuzz_password;
    d.logger = fuzz_logger(size & 1);
    coin = bce_coin_create(&d);
    FUZZ_CHECK((coin != NULL) == (why == NULL));
    if (why) {
        FUZZ_CHECK(why[0] != 0);
        free(url);
        return 0;
    }
    check_parsed(url, &u);
    FUZZ_CHECK(strcmp(bce_coin_url(coin), url) == 0);
    FUZZ_CHECK(strcmp(coin->solo->link.ep.url.host, u.host) == 0 && strcmp(coin->solo->link.ep.url.prefix, u.prefix) == 0);

    /* the JSON-RPC request */
    {
        FUZZ_CHECK(_bce_rpc_build(&coin->solo->link.rpc, "get_updates", "[1, \"two\"]", 10, "\"xpub\"") == BCE_OK);
        check_rpc_request(&coin->solo->link.rpc);
    }
    /* the websocket upgrade request */
    {
        _bce_ws_t w;
        _bce_ws_init(&w, &coin->solo->link.ep);
        w.opts.max_message_bytes = 4096;
        FUZZ_CHECK(_bce_ws_handshake_request(&w) == BCE_OK);
        check_ws_request(&w);
        _bce_ws_release(&w);
    }
    bce_coin_destroy(coin);
    free(url);
    return 0;
}
