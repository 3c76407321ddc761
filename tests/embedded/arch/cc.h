/* tests/embedded/arch/cc.h: lwIP's compiler/platform glue for the Cortex-M4 build (picolibc). */
#ifndef BCE_EMBEDDED_ARCH_CC_H
#define BCE_EMBEDDED_ARCH_CC_H
#include <sys/time.h>
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { } while (0)
typedef unsigned int sys_prot_t;
#endif
