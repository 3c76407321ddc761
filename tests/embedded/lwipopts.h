/* tests/embedded/lwipopts.h: the lwIP configuration of the Cortex-M4 build (make embedded):
   an RTOS-hosted lwIP with BSD sockets as on ESP-IDF, STM32Cube or Zephyr's lwIP, with lwIP's
   defaults where this build does not care. Chosen to exercise the other branches of the
   library's seam than Debian's build (tests/test_lwip.sh): LWIP_COMPAT_SOCKETS 1 (send, recv,
   close... are macros), lwip_select instead of lwip_poll, and LWIP_DNS (lwip_getaddrinfo). */
#ifndef BCE_EMBEDDED_LWIPOPTS_H
#define BCE_EMBEDDED_LWIPOPTS_H
#define NO_SYS                  0
#define LWIP_SOCKET             1
#define LWIP_NETCONN            1
#define LWIP_COMPAT_SOCKETS     1
#define LWIP_POSIX_SOCKETS_IO_NAMES 1
#define LWIP_SOCKET_SELECT      1
#define LWIP_SOCKET_POLL        0
#define LWIP_DNS                1
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_TCP                1
#define LWIP_UDP                1
#define LWIP_TIMEVAL_PRIVATE    0       /* picolibc's struct timeval */
#define MEM_ALIGNMENT           4
#define MEM_SIZE                (16 * 1024)
#define MEMP_NUM_NETCONN        8
#define TCP_MSS                 1460
#define TCP_WND                 (4 * TCP_MSS)
#define TCP_SND_BUF             (4 * TCP_MSS)
#define LWIP_ERRNO_STDINCLUDE   1
#endif
