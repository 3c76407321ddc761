/* tests/tls_alert_server.c: a hostile TLS server for tests/test_hostile.c (issue 13). It
   completes a real handshake (the certificate and key given, from tests/make_certs.sh), reads
   the client's first record (the request), then sends encrypted warning alerts (level warning,
   unrecognized_name) as fast as the client reads them, for at most CAP_S seconds, and closes. mbedTLS on the client skips each and reads the next record.
   One connection at a time is enough for the tests.

   Usage: tls_alert_server CERT KEY   (prints "PORT n" once listening on 127.0.0.1) */
#include <mbedtls/ssl.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define CAP_S 5

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    mbedtls_net_context ls;
    mbedtls_x509_crt crt;
    mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int r;
    if (argc != 3) {
        fprintf(stderr, "usage: tls_alert_server CERT KEY\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    mbedtls_net_init(&ls);
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    psa_crypto_init();
#endif
    r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (r == 0) r = mbedtls_pk_parse_keyfile(&pk, argv[2], NULL, mbedtls_ctr_drbg_random, &drbg);
#else
    if (r == 0) r = mbedtls_pk_parse_keyfile(&pk, argv[2], NULL);
#endif
    if (r != 0 || mbedtls_x509_crt_parse_file(&crt, argv[1]) != 0) {
        fprintf(stderr, "tls_alert_server: cannot load %s / %s\n", argv[1], argv[2]);
        return 1;
    }
    if (mbedtls_net_bind(&ls, "127.0.0.1", "0", MBEDTLS_NET_PROTO_TCP) != 0
        || getsockname(ls.fd, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "tls_alert_server: cannot listen\n");
        return 1;
    }
    printf("PORT %d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        mbedtls_net_context c;
        mbedtls_ssl_context ssl;
        mbedtls_ssl_config conf;
        unsigned char buf[4096];
        mbedtls_net_init(&c);
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_config_init(&conf);
        if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT) == 0) {
            mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
            mbedtls_ssl_conf_own_cert(&conf, &crt, &pk);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_2)
            mbedtls_ssl_conf_max_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_2);   /* warning alerts are TLS 1.2 */
#endif
            if (mbedtls_ssl_setup(&ssl, &conf) == 0 && mbedtls_net_accept(&ls, &c, NULL, 0, NULL) == 0) {
                mbedtls_ssl_set_bio(&ssl, &c, mbedtls_net_send, mbedtls_net_recv, NULL);
                if (mbedtls_ssl_handshake(&ssl) == 0 && mbedtls_ssl_read(&ssl, buf, sizeof buf) > 0) {
                    long long end = now_ms() + CAP_S * 1000;
                    while (now_ms() < end
                           && mbedtls_ssl_send_alert_message(&ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                                             MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME) == 0) {}
                }
            }
        }
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_net_free(&c);
    }
}
