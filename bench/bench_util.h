/* bench/bench_util.h - what bench/ws.c and bench/embedded.c share: a counting allocator for
   desc.allocator (calls, and bytes in use: the size sits in a 16-byte header) and the peak RSS
   of this process from /proc/self/status. Static functions, for one program each. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counter_t {
    long long calls, frees, armed_calls;
    long long in_use, peak, blocks;
    int armed;                  /* set by the program: calls from then on go to armed_calls */
    size_t armed_sizes[8];      /* the first steady-state allocation sizes, to name them */
} counter_t;

#define COUNTER_HDR 16          /* keeps malloc's 16-byte alignment */

static void *count_alloc(size_t n, void *ud) {
    counter_t *c = (counter_t *)ud;
    unsigned char *p = (unsigned char *)malloc(n + COUNTER_HDR);
    c->calls++;
    if (c->armed && c->armed_calls < 8) c->armed_sizes[c->armed_calls] = n;
    if (c->armed) c->armed_calls++;
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    c->in_use += (long long)n;
    c->blocks++;
    if (c->in_use > c->peak) c->peak = c->in_use;
    return p + COUNTER_HDR;
}

static void count_free(void *ptr, void *ud) {
    counter_t *c = (counter_t *)ud;
    unsigned char *p = (unsigned char *)ptr - COUNTER_HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    c->frees++;
    c->in_use -= (long long)n;
    c->blocks--;
    free(p);
}

/* VmHWM (peak resident set) in KiB, or -1 */
static long vm_hwm_kib(void) {
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) { v = atol(line + 6); break; }
    fclose(f);
    return v;
}

#endif
