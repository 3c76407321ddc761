/* tests/embedded/mbedtls_arm_config.h: the Cortex-M4 build of mbedTLS 3.6 (make embedded:
   `tests/mbedtls36.sh BUILD arm` into build/mbedtls-3.6-arm, arm-none-eabi-gcc, picolibc,
   -mcpu=cortex-m4 -mthumb -Os). Appended to mbedTLS's default configuration after the embedded
   TLS profile, bench/mbedtls_small_config.h (TLS 1.2 only, 4 KiB in / 1 KiB out records with
   max_fragment_length), with what a microcontroller without an operating system lacks:
   - no file system: no MBEDTLS_FS_IO (the CAs come from tls.ca_pem), no PSA key storage in
     files (MBEDTLS_PSA_ITS_FILE_C, MBEDTLS_PSA_CRYPTO_STORAGE_C);
   - no sockets of mbedTLS's own (MBEDTLS_NET_C): the library hands mbedTLS its own socket
     callbacks, which go through lwIP;
   - no POSIX timing (MBEDTLS_TIMING_C: only DTLS needs it);
   - no self tests and no debug output (MBEDTLS_SELF_TEST, MBEDTLS_DEBUG_C, both on in mbedTLS's
     default configuration: they print through printf, and a firmware has no stdout);
   - no /dev/urandom or getrandom: MBEDTLS_NO_PLATFORM_ENTROPY, and the firmware's hardware RNG
     through MBEDTLS_ENTROPY_HARDWARE_ALT (mbedtls_hardware_poll, tests/embedded/firmware_tls.c),
     which also seeds PSA crypto (psa_crypto_init); the library's own DRBG gets BCE_RANDOM too.
   - AES tables in flash, the small set (MBEDTLS_AES_ROM_TABLES, MBEDTLS_AES_FEWER_TABLES):
     by default mbedTLS builds 8 KiB of them in RAM at run time.
   Time: MBEDTLS_HAVE_TIME and MBEDTLS_HAVE_TIME_DATE stay on (certificates' validity dates
   are checked), so the firmware supplies time() from its real-time clock, and mbedtls_ms_time()
   (MBEDTLS_PLATFORM_MS_TIME_ALT; mbedTLS's own needs clock_gettime) from its tick counter. */
#undef MBEDTLS_FS_IO
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_SELF_TEST
#undef MBEDTLS_DEBUG_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
