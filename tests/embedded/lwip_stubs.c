/* tests/embedded/lwip_stubs.c: stand-ins for the lwIP socket functions the listener calls, so
   that tests/embedded/firmware.c links without lwIP's own sources (on a device, lwIP's
   sockets.c, api_lib.c, tcpip.c... and an RTOS port provide them). Every call fails: this
   program is linked and measured, never run. Their size is not the library's: bench/run.sh
   reports the library's own object separately. */
#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "lwip/netdb.h"
#include <errno.h>

int lwip_socket(int domain, int type, int protocol) { (void)domain; (void)type; (void)protocol; errno = ENOSYS; return -1; }
int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen) { (void)s; (void)name; (void)namelen; errno = ENOSYS; return -1; }
int lwip_close(int s) { (void)s; return 0; }
int lwip_fcntl(int s, int cmd, int val) { (void)s; (void)cmd; (void)val; return 0; }
ssize_t lwip_send(int s, const void *data, size_t size, int flags) { (void)s; (void)data; (void)size; (void)flags; errno = ENOSYS; return -1; }
ssize_t lwip_recv(int s, void *mem, size_t len, int flags) { (void)s; (void)mem; (void)len; (void)flags; errno = ENOSYS; return -1; }
int lwip_setsockopt(int s, int level, int name, const void *val, socklen_t len) { (void)s; (void)level; (void)name; (void)val; (void)len; return 0; }
int lwip_getsockopt(int s, int level, int name, void *val, socklen_t *len) { (void)s; (void)level; (void)name; (void)val; (void)len; return 0; }
int lwip_select(int maxfdp1, fd_set *r, fd_set *w, fd_set *e, struct timeval *t) { (void)maxfdp1; (void)r; (void)w; (void)e; (void)t; return 0; }
int lwip_inet_pton(int af, const char *src, void *dst) { (void)af; (void)src; (void)dst; return 0; }
int lwip_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    (void)node; (void)service; (void)hints; *res = NULL; return EAI_FAIL;
}
void lwip_freeaddrinfo(struct addrinfo *ai) { (void)ai; }
