/* tests/embedded/firmware_tls.c: tests/embedded/firmware.c with TLS (make embedded): the same
   listener on wss:// through mbedTLS 3.6 built for the Cortex-M4 (build/mbedtls-3.6-arm:
   bench/mbedtls_small_config.h and tests/embedded/mbedtls_arm_config.h), the daemon's CA
   certificate in flash (tls.ca_pem: no file system), and what that mbedTLS configuration asks
   of the firmware: mbedtls_hardware_poll (MBEDTLS_ENTROPY_HARDWARE_ALT) from the same RNG
   peripheral as BCE_RANDOM, mbedtls_ms_time (MBEDTLS_PLATFORM_MS_TIME_ALT) from the tick
   counter, and time() from a real-time clock (certificates' validity dates). Built and linked,
   never run; bench/run.sh reports its flash beside the plain listener's. */
#include <stddef.h>
#include <time.h>

/* The daemon's CA (a P-256 certificate made for this example; any PEM CA works). */
static const char fw_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrjCCAVOgAwIBAgIURgxc0zy86pbuY08FTRDcKw9PBOowCgYIKoZIzj0EAwIw\n"
    "JDEiMCAGA1UEAwwZdmVuZGluZyBtYWNoaW5lIGRhZW1vbiBDQTAeFw0yNjEyMDgw\n"
    "MTUyMDBaFw0zNjEyMDUwMTUyMDBaMCQxIjAgBgNVBAMMGXZlbmRpbmcgbWFjaGlu\n"
    "ZSBkYWVtb24gQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASODdqw3ZTizWqL\n"
    "sFaUR0ojVwrKurB7dtWGZESVbg1GA3ymuAsFCxY1Fx8n5xNCg9AdVKsiU9/WNVu9\n"
    "rPXTaeFao2MwYTAdBgNVHQ4EFgQUzuhMy5k4HMeW/4z1C2vqoxikT0EwHwYDVR0j\n"
    "BBgwFoAUzuhMy5k4HMeW/4z1C2vqoxikT0EwDwYDVR0TAQH/BAUwAwEB/zAOBgNV\n"
    "HQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSQAwRgIhAIJiSVvgXkrNmEtNxQpp2edD\n"
    "f8MscTx5eFhxNFcft/BtAiEAgtWnfoyc6x5jnTynXrL1L+v8ONfYMJLhWB47+mlT\n"
    "tLU=\n"
    "-----END CERTIFICATE-----\n";

#define BCE_USE_MBEDTLS
#define FW_URL "https://192.168.1.10:5000"
#define FW_CA_PEM fw_ca_pem
#include "firmware.c"

#include "mbedtls/entropy.h"
#include "mbedtls/platform_time.h"

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen) {
    (void)data;
    if (fw_random(output, (unsigned)len) != 0) return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    *olen = len;
    return 0;
}

mbedtls_ms_time_t mbedtls_ms_time(void) { return (mbedtls_ms_time_t)fw_now_ms(); }

/* seconds since 1970 from the RTC peripheral's counter (an example address, as above) */
time_t time(time_t *t) {
    time_t now = (time_t)*(volatile uint32_t *)0x40002800u;
    if (t) *t = now;
    return now;
}
