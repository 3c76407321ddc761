/* bench/mbedtls_small_config.h: the embedded TLS profile's mbedTLS 3.6 configuration, appended
   to mbedTLS's default include/mbedtls/mbedtls_config.h by `tests/mbedtls36.sh BUILD small`
   into build/mbedtls-3.6-small (the libraries and every program built against them see the
   same settings). bench/embedded.c measures one wss:// coin on it (bench_embedded_tls36s,
   `make bench`: 36,632 B at peak, library and mbedTLS together, against a goal of 48 KiB);
   test_tls runs against it in `make tls36`. The manual's TLS section explains it.

   - Records of 1 KiB: the library asks the server for them with the max_fragment_length
     extension (RFC 6066), which it does by itself whenever MBEDTLS_SSL_IN_CONTENT_LEN or
     MBEDTLS_SSL_OUT_CONTENT_LEN is below 16384 (one length for both directions: the smaller).
     OpenSSL servers (aiohttp's, stunnel's) honour it.
   - The input buffer stays at 4 KiB for the handshake: the server's certificate chain arrives
     in 1 KiB records but is put together in it, so the whole Certificate message must fit (a
     leaf and one intermediate usually do). MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH shrinks both
     buffers to the negotiated 1 KiB once the handshake is over.
   - TLS 1.2 only: mbedTLS 3.6's TLS 1.3 client does not send max_fragment_length (its
     record_size_limit is experimental, and OpenSSL 3.0 servers do not know it), so a TLS 1.3
     server would send 16 KiB records.
   - MBEDTLS_PLATFORM_MEMORY: mbedtls_platform_set_calloc_free, so that the bench counts
     mbedTLS's own allocations. */
#undef MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#undef MBEDTLS_SSL_EARLY_DATA
#define MBEDTLS_SSL_IN_CONTENT_LEN  4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1024
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define MBEDTLS_PLATFORM_MEMORY
