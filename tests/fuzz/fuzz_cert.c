/* tests/fuzz/fuzz_cert.c: what checks a TLS peer's certificate for the host, on any DER. Two
   input forms:
   - a DER certificate (the first byte is 0x30: its outer SEQUENCE), then optionally a host
     string (the bytes after the certificate, up to a NUL, at most 255);
   - any other first byte, then a 2-byte big-endian length N, then N bytes: the contents of
     the Extensions SEQUENCE, placed into a fixed valid certificate, then the host string. Since
     mbedTLS is not instrumented, most mutations of a whole certificate fail to parse; this form
     keeps mutations on the extensions, where the host check looks.
   The certificate goes through
   mbedtls_x509_crt_parse_der, as a handshake does; when mbedTLS accepts it:
   - _bce_tls_cert_has_ip (the IP-literal host check) must agree with an independent oracle,
     written here with mbedTLS's ASN.1 calls: the subjectAltName extension found by its exact
     extnID among the extensions, and its iPAddress ([7] primitive) entries. Checked for every
     address the oracle finds (printed with inet_ntop and parsed back by _bce_tls_ip_literal:
     each must match), for fixed addresses (127.0.0.1, ::1, 10.9.9.9) and the host string.
   - _bce_tls_verify_ip, the verify callback, through mbedtls_x509_crt_verify with the
     certificate as its own trust anchor and no name: the host-name-mismatch flag is set
     exactly when the address is not named.
   - a name host (the host string when it is not an address) goes to mbedTLS's own check,
     mbedtls_x509_crt_verify with that name, for no crash only.
   mbedTLS itself is the system's (not instrumented): coverage comes from this library and the
   oracle. FUZZ_DEBUG=1 prints what mbedTLS and the oracle made of each input.
   Seeds: tests/fuzz/make_seeds.py (certificates built byte by byte, among them the
   over-read and decoy certificates of issue 13). */
#define BCE_USE_MBEDTLS
#include "fuzz_common.h"
#include <arpa/inet.h>
#include <mbedtls/asn1.h>

#define ORACLE_MAX 64

/* The second form's certificate: tbsCertificate up to its extensions (v3, serial, ECDSA with
   SHA-256, issuer and subject names, validity 2025 to 2049, the P-256 generator as the key),
   as tests/fuzz/make_seeds.py builds it; then the extensions; then a dummy signature. */
static const uint8_t tbs_head[] = {
    0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x10, 0x01, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x21, 0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03,
    0x0c, 0x16, 0x62, 0x69, 0x74, 0x63, 0x61, 0x72, 0x74, 0x5f, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x73,
    0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x35, 0x30, 0x31,
    0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x17, 0x0d, 0x34, 0x39, 0x31, 0x32, 0x33,
    0x31, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5a, 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0c, 0x01, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
    0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51,
    0xf5,
};

static size_t der_head(uint8_t *o, unsigned tag, size_t len) {     /* len < 65536 */
    o[0] = (uint8_t)tag;
    if (len < 0x80) { o[1] = (uint8_t)len; return 2; }
    o[1] = 0x82;
    o[2] = (uint8_t)(len >> 8);
    o[3] = (uint8_t)len;
    return 4;
}

static size_t der_head_len(size_t len) { return len < 0x80 ? 2 : 4; }

/* Writes the certificate with extensions ext (n bytes, n < 60000) to out; returns its length. */
static size_t template_cert(const uint8_t *ext, size_t n, uint8_t *out) {
    static const uint8_t sig_alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    size_t seq = der_head_len(n) + n, a3 = der_head_len(seq) + seq, tbs_c = sizeof tbs_head + a3;
    size_t tbs = der_head_len(tbs_c) + tbs_c, tail = sizeof sig_alg + 2 + 1 + 2 + 2 * 34;
    size_t o = der_head(out, 0x30, tbs + tail);
    o += der_head(out + o, 0x30, tbs_c);
    memcpy(out + o, tbs_head, sizeof tbs_head);
    o += sizeof tbs_head;
    o += der_head(out + o, 0xA3, seq);
    o += der_head(out + o, 0x30, n);
    memcpy(out + o, ext, n);
    o += n;
    memcpy(out + o, sig_alg, sizeof sig_alg);
    o += sizeof sig_alg;
    o += der_head(out + o, 0x03, 1 + 2 + 2 * 34);                 /* BIT STRING { 0, SEQUENCE { r, s } } */
    out[o++] = 0;
    o += der_head(out + o, 0x30, 2 * 34);
    o += der_head(out + o, 0x02, 32);
    memset(out + o, 1, 32);
    o += 32;
    o += der_head(out + o, 0x02, 32);
    memset(out + o, 2, 32);
    return o + 32;
}

typedef struct oracle_t {
    int san;                            /* the certificate has a subjectAltName extension */
    size_t n;                           /* iPAddress entries of 4 or 16 bytes kept in ip */
    unsigned char ip[ORACLE_MAX][16];
    size_t len[ORACLE_MAX];
    int more;                           /* more entries than ORACLE_MAX: "not named" is unknown */
} oracle_t;

/* The iPAddress entries of the subjectAltName extension, from crt->v3_ext: [3] { SEQUENCE OF
   Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } }. Returns 0,
   or -1 when the structure is not what a certificate mbedTLS accepted must have. */
static int oracle_ips(const mbedtls_x509_crt *crt, oracle_t *o) {
    static const unsigned char san_oid[] = {0x55, 0x1D, 0x11};
    unsigned char *p = crt->v3_ext.p, *end, *exts_end;
    size_t len;
    memset(o, 0, sizeof *o);
    if (!p) return 0;
    end = p + crt->v3_ext.len;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return -1;
    exts_end = p + len;
    while (p < exts_end) {
        unsigned char *ext_end, *oid;
        size_t oid_len;
        int critical = 0;
        if (mbedtls_asn1_get_tag(&p, exts_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return -1;
        ext_end = p + len;
        if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID) != 0) return -1;
        oid = p;
        p += oid_len;
        if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_bool(&p, ext_end, &critical) != 0) return -1;
        if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0 || p + len != ext_end) return -1;
        if (oid_len == sizeof san_oid && memcmp(oid, san_oid, sizeof san_oid) == 0) {
            unsigned char *q = p, *names_end;
            if (o->san) return -1;      /* mbedTLS refuses a repeated extension */
            o->san = 1;
            if (mbedtls_asn1_get_tag(&q, ext_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return -1;
            names_end = q + len;
            while (q < names_end) {     /* GeneralName: one tag byte, a length, the value */
                unsigned char tag = *q++;
                if (mbedtls_asn1_get_len(&q, names_end, &len) != 0) return -1;
                if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && (len == 4 || len == 16)) {
                    if (o->n == ORACLE_MAX) {
                        o->more = 1;
                    } else {
                        memcpy(o->ip[o->n], q, len);
                        o->len[o->n++] = len;
                    }
                }
                q += len;
            }
        }
        p = ext_end;
    }
    return p == exts_end ? 0 : -1;
}

static int oracle_has(const oracle_t *o, const unsigned char *ip, size_t len) {
    size_t i;
    for (i = 0; i < o->n; i++)
        if (o->len[i] == len && memcmp(o->ip[i], ip, len) == 0) return 1;
    return 0;
}

/* The library's verdict on host (an IP literal) for crt, directly and through the verify
   callback as a handshake runs it; both must agree with the oracle. */
static void check_ip_host(mbedtls_x509_crt *crt, const oracle_t *o, const char *host, int full) {
    _bce_tls_conn_t t;
    uint32_t flags = 0;
    int want;
    memset(&t, 0, sizeof t);
    t.ip_len = _bce_tls_ip_literal(host, t.ip);
    FUZZ_CHECK(t.ip_len == 4 || t.ip_len == 16);
    want = oracle_has(o, t.ip, t.ip_len);
    if (!want && o->more) return;
    FUZZ_CHECK(_bce_tls_cert_has_ip(crt, t.ip, t.ip_len) == want);
    if (!full) return;
    mbedtls_x509_crt_verify(crt, crt, NULL, NULL, &flags, _bce_tls_verify_ip, &t);
    FUZZ_CHECK(!!(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) == !want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const fixed[] = {"127.0.0.1", "::1", "10.9.9.9"};
    static uint8_t built[70000];
    const uint8_t *der = data, *rest;
    size_t len, der_len, rest_len, i;
    char host[256];
    mbedtls_x509_crt crt;
    oracle_t o;
    int r;
    if (size == 0) return 0;
    if (data[0] == 0x30) {      /* a certificate: its outer SEQUENCE; the rest is the host string */
        unsigned char *p = (unsigned char *)(uintptr_t)data;
        if (mbedtls_asn1_get_tag(&p, p + size, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return 0;
        der_len = (size_t)(p - data) + len;
        rest = data + der_len;
        rest_len = size - der_len;
    } else {                    /* extensions for the fixed certificate, then the host string */
        size_t n;
        if (size < 3) return 0;
        n = (size_t)data[1] << 8 | data[2];
        if (n > size - 3 || n >= 60000) return 0;
        der_len = template_cert(data + 3, n, built);
        der = built;
        rest = data + 3 + n;
        rest_len = size - 3 - n;
    }
    len = rest_len < sizeof host - 1 ? rest_len : sizeof host - 1;
    memcpy(host, rest, len);
    host[len] = 0;
    mbedtls_x509_crt_init(&crt);
    r = mbedtls_x509_crt_parse_der(&crt, der, der_len);
    if (r == 0) {
        unsigned char ip[16];
        memset(ip, 0, sizeof ip);
        FUZZ_CHECK(oracle_ips(&crt, &o) == 0);
        for (i = 0; i < o.n; i++) {             /* every address named must match */
            char text[INET6_ADDRSTRLEN];
            FUZZ_CHECK(inet_ntop(o.len[i] == 4 ? AF_INET : AF_INET6, o.ip[i], text, sizeof text) != NULL);
            FUZZ_CHECK(_bce_tls_ip_literal(text, ip) == o.len[i] && memcmp(ip, o.ip[i], o.len[i]) == 0);
            check_ip_host(&crt, &o, text, i == 0);
        }
        for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_ip_host(&crt, &o, fixed[i], i == 0);
        if (host[0] && _bce_tls_ip_literal(host, ip) != 0) {
            check_ip_host(&crt, &o, host, 1);
        } else if (host[0]) {                   /* a name: mbedTLS's own check, as in a handshake */
            uint32_t flags = 0;
            mbedtls_x509_crt_verify(&crt, &crt, NULL, host, &flags, NULL, NULL);
        }
        FUZZ_CHECK(_bce_tls_cert_has_ip(&crt, ip, 0) == 0 && _bce_tls_cert_has_ip(&crt, ip, 5) == 0);
    }
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "cert: %u bytes, parse %d, subjectAltName %s, %u addresses, host \"%s\"\n", (unsigned)der_len, r,
                r == 0 && o.san ? "yes" : "no", r == 0 ? (unsigned)o.n : 0u, host);
    mbedtls_x509_crt_free(&crt);
    return 0;
}
