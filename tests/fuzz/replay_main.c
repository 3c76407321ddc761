/* tests/fuzz/replay_main.c: runs a fuzz target's LLVMFuzzerTestOneInput over files, without
   libFuzzer, so that committed corpora and regressions replay with plain gcc (make test).
   Compiled with -DBCE_FUZZ_REPLAY next to one fuzz_*.c:
       gcc -std=c99 -Wall -Wextra -I. -DBCE_FUZZ_REPLAY tests/fuzz/fuzz_json.c tests/fuzz/replay_main.c
   Usage: replay DIR_OR_FILE...   Directories are read one level deep (files only, sorted by
   name, dot files skipped); a missing directory is fine (no regressions yet). Each input is
   handed over in a buffer of exactly its size, as libFuzzer does. A failing input aborts
   (the target's FUZZ_CHECK, or a sanitizer), after its name was printed. */
#ifndef BCE_FUZZ_REPLAY
#error "build the replay runner with -DBCE_FUZZ_REPLAY"
#endif
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    long n;
    uint8_t *buf;
    if (!f) { fprintf(stderr, "replay: cannot open %s\n", path); return -1; }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        fprintf(stderr, "replay: cannot size %s\n", path);
        return -1;
    }
    buf = (uint8_t *)malloc(n ? (size_t)n : 1);
    if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
        fclose(f);
        free(buf);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    fclose(f);
    fprintf(stderr, "replay: %s (%ld bytes)\n", path, n);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in dir; returns how many, or -1 on an error. */
static long replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    long done = 0;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = (char **)realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
            if (!nn) { closedir(d); return -1; }
            names = nn;
        }
        names[n] = (char *)malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n]) { closedir(d); return -1; }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (done >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(names[i]) != 0) done = -1;
            else done++;
        }
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv) {
    long total = 0;
    int i;
    for (i = 1; i < argc; i++) {
        struct stat st;
        long k;
        if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) k = replay_file(argv[i]) == 0 ? 1 : -1;
        else k = replay_dir(argv[i]);
        if (k < 0) return 2;
        total += k;
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
