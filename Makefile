# bitcart_events.h: build, test and benchmark.  `make test` is the one command to run.
CC      ?= cc
CLANG   ?= clang
CXX     ?= g++
BUILD   ?= build
WARN    := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
CFLAGS  ?= -O2 -g
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
VALGRIND ?= valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=all

UNIT    := test_json test_dispatch test_net test_ws test_ws_peer test_ws_node test_tls test_faults
LIBS    := -lpthread -lmbedtls -lmbedx509 -lmbedcrypto
NODE_DEPS := tests/node_modules/.package-lock.json
UNIT_BIN := $(addprefix $(BUILD)/,$(UNIT))
SAN_BIN  := $(addprefix $(BUILD)/san_,$(UNIT))
HDR     := bitcart_events.h
TEST_DEPS := $(HDR) tests/test.h tests/json_cases.h tests/daemon.h $(BUILD)/fake_daemon

.PHONY: all test test-all soak static symbols check fuzz fuzz-short fuzz-replay unit daemons compile-checks sanitize valgrind bench demo clean

all: $(UNIT_BIN)

$(BUILD):
	@mkdir -p $(BUILD)

$(BUILD)/test_%: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@ $(LIBS)

$(BUILD)/san_test_%: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) -I. $< -o $@ $(LIBS)

# The fake daemon the network tests start (tests/fake_daemon.py is its aiohttp twin).
$(BUILD)/fake_daemon: tests/fake_daemon.c | $(BUILD)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L -O2 -g $< -o $@

SHELL   := /bin/bash

# The whole suite: unit tests, the daemons, compile checks, then again under ASan + UBSan and
# valgrind. The last line adds up every runner's "N passed, M failed" line.
test: | $(BUILD)
	@set -o pipefail; $(MAKE) --no-print-directory test-all 2>&1 | tee $(BUILD)/test.log
	@awk '/^([A-Za-z0-9_+\/. -]+: )?[0-9]+ passed, [0-9]+ failed$$/ { for (i = 1; i <= NF; i++) { if ($$(i+1) == "passed,") p += $$i; if ($$(i+1) == "failed") f += $$i } } \
	     END { printf "make test: %d passed, %d failed\n", p, f; exit f > 0 }' $(BUILD)/test.log

test-all: unit daemons compile-checks sanitize valgrind static symbols fuzz-replay fuzz-short soak portability

FUZZ_SECONDS ?= 60
# libFuzzer with ASan + UBSan on every parser and a whole session: FUZZ_SECONDS per target
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# what CI runs: every target for a few seconds
fuzz-short:
	bash tests/fuzz/run.sh 5

# the seed corpora and the saved regressions, replayed with gcc + ASan + UBSan
fuzz-replay:
	bash tests/fuzz/replay.sh

# cppcheck and clang-tidy (.clang-tidy) on the implementation, plain and with TLS
static:
	bash tests/check_static.sh

# every exported symbol is bce_*, nothing under BCE_STATIC, undefined ones only libc/mbedTLS
symbols:
	bash tests/check_symbols.sh

# sanitizers + valgrind + static analysis + symbols
check: sanitize valgrind static symbols

# A coin and a manager for BCE_SOAK_SECONDS (60) against daemons that drop and restart: exact
# delivery, and RSS and heap flat once warm.
$(BUILD)/soak: tests/soak.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) -O2 -g -I. $< -o $@ $(LIBS)

soak: $(BUILD)/soak
	./$(BUILD)/soak

EXAMPLES := $(BUILD)/example_manual

# npm's ws for the interop tests, pinned by tests/package-lock.json
$(NODE_DEPS): tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@

unit: $(UNIT_BIN) $(EXAMPLES) $(NODE_DEPS)
	@for t in $(UNIT_BIN); do echo "== $$t"; ./$$t || exit 1; done
	@for e in $(EXAMPLES); do echo "== $$e"; ./$$e >/dev/null || exit 1; echo "$$e: 1 passed, 0 failed"; done

# The fake daemons themselves (C and aiohttp), checked by an independent stdlib client.
daemons: $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/test_fake_daemons.sh

# gcc and clang strict C99, g++ as C++11, two translation units, BCE_STATIC, no stdio.
compile-checks: | $(BUILD)
	@echo "== compile checks"
	@printf '#define BITCART_EVENTS_IMPLEMENTATION\n#include "bitcart_events.h"\nint main(void){return 0;}\n' > $(BUILD)/cc_impl.c
	$(CC) $(WARN) -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_impl_gcc.o
	$(CLANG) $(WARN) -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_impl_clang.o
	$(CC) $(WARN) -DBCE_USE_MBEDTLS -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_gcc.o
	$(CLANG) $(WARN) -DBCE_USE_MBEDTLS -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_clang.o
	$(CXX) -std=c++11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -DBCE_USE_MBEDTLS -x c++ -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_cxx.o
	$(CC) $(WARN) -DBCE_NO_STDIO -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_nostdio.o
	! nm $(BUILD)/cc_nostdio.o | grep -Eq ' U (fprintf|printf|fputs|stderr|puts|fwrite)$$'
	$(CXX) -std=c++11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -I. tests/test_cpp.cpp -o $(BUILD)/test_cpp
	./$(BUILD)/test_cpp
	$(CC) $(WARN) -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu
	./$(BUILD)/test_tu
	$(CC) $(WARN) -DBCE_STATIC -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu_static
	./$(BUILD)/test_tu_static
	$(CLANG) $(WARN) -DBCE_STATIC -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu_static_clang
	./$(BUILD)/test_tu_static_clang

# Portability (tests/portability.sh; PORTABILITY in the header's manual): test_json,
# test_dispatch and tests/test_portable.c (JSON-RPC, polling, websocket, manager, bce_stop from
# a thread, against the C fake daemon) built with gcc, clang and tcc on glibc, static musl,
# 32-bit x86, big-endian s390x and Windows; test_ws too with tcc, on 32-bit and on s390x.
# 32-bit: gcc-multilib (gcc -m32) conflicts with gcc-s390x-linux-gnu on Debian 12, so the
# i686-linux-gnu cross compiler builds static binaries, run natively when the kernel allows,
# else under qemu-i386. s390x runs under qemu-s390x. Windows: mingw-w64, run under wine with
# its prefix in $(BUILD)/port/wine. About 90 s (a new wine prefix adds about 6 s).
.PHONY: portability
portability: $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/portability.sh

sanitize: $(SAN_BIN) $(NODE_DEPS)
	@for t in $(SAN_BIN); do echo "== $$t (ASan+UBSan)"; ./$$t || exit 1; done

valgrind: $(UNIT_BIN) $(NODE_DEPS)
	@for t in $(UNIT_BIN); do echo "== $$t (valgrind)"; $(VALGRIND) ./$$t || exit 1; done

$(BUILD)/bench_dispatch: bench/dispatch.c $(HDR) | $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -I. $< -o $@ -lcjson

$(BUILD)/bench_polling: bench/polling.c $(HDR) tests/daemon.h $(BUILD)/fake_daemon | $(BUILD)
	$(CC) $(WARN) -O2 -g -I. $< -o $@

$(BUILD)/bench_tls_memory: bench/tls_memory.c $(HDR) tests/daemon.h | $(BUILD)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -I. $< -o $@ -lmbedtls -lmbedx509 -lmbedcrypto

$(BUILD)/bench_ws: bench/ws.c $(HDR) | $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -I. $< -o $@

bench: $(BUILD)/bench_dispatch $(BUILD)/bench_polling $(BUILD)/bench_tls_memory $(BUILD)/bench_ws
	bash tests/make_certs.sh $(BUILD)/certs
	./$(BUILD)/bench_tls_memory
	./$(BUILD)/bench_ws
	./$(BUILD)/bench_dispatch
	./$(BUILD)/bench_polling 300 c
	./$(BUILD)/bench_polling 100 py

demo:
	@echo "The live demo (a local fake daemon streaming payments to bitcart-listen) arrives with the"
	@echo "transport and websocket work. Until then, this shows the library dispatching updates:"
	@$(MAKE) --no-print-directory $(BUILD)/example_manual
	./$(BUILD)/example_manual

$(BUILD)/example_%: examples/%.c $(HDR) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@

clean:
	rm -rf $(BUILD)
