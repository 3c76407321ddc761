/* tests/embedded/arch/sys_arch.h: the RTOS types lwIP's sys layer names (an RTOS port, e.g.
   FreeRTOS's, defines them; here only their shapes, for compiling and linking). */
#ifndef BCE_EMBEDDED_ARCH_SYS_ARCH_H
#define BCE_EMBEDDED_ARCH_SYS_ARCH_H
typedef struct { void *h; } sys_sem_t;
typedef struct { void *h; } sys_mutex_t;
typedef struct { void *h; } sys_mbox_t;
typedef void *sys_thread_t;
#define sys_sem_valid(s) ((s) != NULL && (s)->h != NULL)
#define sys_sem_set_invalid(s) ((s)->h = NULL)
#define sys_mutex_valid(m) ((m) != NULL && (m)->h != NULL)
#define sys_mutex_set_invalid(m) ((m)->h = NULL)
#define sys_mbox_valid(m) ((m) != NULL && (m)->h != NULL)
#define sys_mbox_set_invalid(m) ((m)->h = NULL)
#endif
