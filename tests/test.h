/* tests/test.h: a tiny test runner. Every test file includes this once.
   CHECK(cond) records a failure with file and line and goes on; RUN(fn) runs one test and
   counts it as failed when any CHECK inside failed. TEST_MAIN_END prints the closing line
   "N passed, M failed" and returns non-zero when anything failed.
   TEST_ONLY=name (or a comma-separated list of names, each with or without its "test_"
   prefix) runs only those RUNs; a TEST_ONLY that matches no test prints so and fails.
   TEST_SKIP=names (the same form) leaves those RUNs out; they are neither run nor counted. */
#ifndef BCE_TEST_H
#define BCE_TEST_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int test_failures_now = 0;
static int test_passed = 0;
static int test_failed = 0;
static int test_checks = 0;

#define CHECK(cond) do { test_checks++; if (!(cond)) { test_failures_now++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); test_checks++; \
    if (a_ != b_) { test_failures_now++; fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", \
    __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); test_checks++; \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { test_failures_now++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, \
    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)

/* Whether the comma-separated list names the test called name (with or without "test_"). */
static inline int test_in_list(const char *list, const char *name) {
    const char *p;
    size_t n = strlen(name), k = strncmp(name, "test_", 5) == 0 ? 5 : n + 1;
    for (p = list; *p; p += *p == ',') {
        size_t len = strcspn(p, ",");
        if ((len == n && memcmp(p, name, n) == 0) || (k <= n && len == n - k && memcmp(p, name + k, len) == 0))
            return 1;
        p += len;
    }
    return 0;
}

/* Whether TEST_ONLY (unset: everything) selects the test called name and TEST_SKIP does not
   name it. A skipped test is not run and not counted: the closing line counts what ran. */
static inline int test_selected(const char *name) {
    const char *only = getenv("TEST_ONLY"), *skip = getenv("TEST_SKIP");
    if (skip && *skip && test_in_list(skip, name)) return 0;
    return !only || !*only || test_in_list(only, name);
}

/* Called by TEST_MAIN_END with "TEST_ONLY", and by runners of their own with their older
   variable: when the variable is set and no test ran, says so and counts a failure. */
static inline void test_only_check(const char *var) {
    const char *only = getenv(var);
    if (only && *only && test_passed + test_failed == 0) {
        fprintf(stderr, "%s=%s matched no test\n", var, only);
        test_failed++;
    }
}

#define RUN(fn) do { if (test_selected(#fn)) { int before_ = test_checks; test_failures_now = 0; fn(); \
    if (test_failures_now == 0 && test_checks > before_) test_passed++; \
    else { test_failed++; fprintf(stderr, "FAILED: %s%s\n", #fn, \
        test_checks == before_ ? " (checked nothing)" : ""); } } } while (0)

/* A check function inside a RUN, reported under its own name. */
#define RUN_WITH(fn, arg) do { int f_ = test_failures_now; fn(arg); \
    if (test_failures_now != f_) fprintf(stderr, "  in %s\n", #fn); } while (0)

#define TEST_MAIN_END(name) do { test_only_check("TEST_ONLY"); printf("%s: %d passed, %d failed\n", name, test_passed, test_failed); \
    return test_failed ? 1 : 0; } while (0)

/* A logger that records the last message and counts messages. */
typedef struct test_log_t {
    int count;
    int last_level;
    char last[512];
} test_log_t;

static inline void test_log_fn(int level, const char *message, void *user_data) {
    test_log_t *l = (test_log_t *)user_data;
    size_t n = strlen(message);
    l->count++;
    l->last_level = level;
    if (n >= sizeof l->last) n = sizeof l->last - 1;
    memcpy(l->last, message, n);
    l->last[n] = 0;
}

/* A counting allocator. */
typedef struct test_alloc_t {
    long allocs, frees;
    long fail_after;      /* >= 0: fail the allocation after this many more successes */
} test_alloc_t;

static inline void *test_alloc_fn(size_t size, void *user_data) {
    test_alloc_t *a = (test_alloc_t *)user_data;
    if (a->fail_after == 0) return NULL;
    if (a->fail_after > 0) a->fail_after--;
    a->allocs++;
    return malloc(size);
}

static inline void test_free_fn(void *ptr, void *user_data) {
    test_alloc_t *a = (test_alloc_t *)user_data;
    a->frees++;
    free(ptr);
}
#endif
