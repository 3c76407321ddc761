# bitcart_events.h: build, test and benchmark. `make test` is the one command to run (the
# whole suite, as CI runs it); `make fast` is the edit-compile-test loop (the pure unit tests,
# seconds); `make help` lists the main targets. tests/README.md says what each test is.
#
# The file, in order: configuration; build; fast tests; network tests; the whole suite; slow
# checks (compile checks, sanitizers, valgrind, static analysis, fuzzing, portability,
# performance checks, soak); bench; install. Every build output goes under $(BUILD) (default
# build/), and every test and script finds its binaries there: the Makefile exports
# BUILD_DIR=$(BUILD) to them (tests/daemon.h's build_path, the scripts' $BUILD_DIR).

# ==== configuration ===========================================================================
CC      ?= cc
CLANG   ?= clang
CXX     ?= g++
BUILD   ?= build
WARN    := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
CXXWARN := -std=c++11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
CFLAGS  ?= -O2 -g
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
VALGRIND ?= valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=all
SHELL   := /bin/bash
export BUILD_DIR = $(BUILD)

# The C tests, tests/test_NAME.c, each built as $(BUILD)/test_NAME. FAST: pure, over buffers,
# no server and no socket (`make fast`). NET: they start fake daemons, hostile peers or
# listening sockets on 127.0.0.1. UNIT is both, in the order `make unit` runs them. TLS_UNIT
# link mbedTLS; the others need nothing beyond libc and pthreads.
FAST    := test_json test_dispatch test_http test_frames
NET     := test_net test_ws test_ws_peer test_ws_node test_tls test_faults test_limits test_portable test_hostile test_config
UNIT    := $(FAST) $(NET)
TLS_UNIT := test_tls test_config test_hostile
TLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
LIBS    := -lpthread $(TLS_LIBS)
TEST_LIBS = -lpthread $(if $(filter $(TLS_UNIT),test_$*),$(TLS_LIBS))
NODE_DEPS := tests/node_modules/.package-lock.json
FAST_BIN := $(addprefix $(BUILD)/,$(FAST))
NET_BIN  := $(addprefix $(BUILD)/,$(NET))
UNIT_BIN := $(addprefix $(BUILD)/,$(UNIT))
SAN_BIN  := $(addprefix $(BUILD)/san_,$(UNIT))
HDR     := bitcart_events.h
PURE_DEPS := $(HDR) tests/test.h tests/json_cases.h tests/json_oracle.h tests/tally.h
TEST_DEPS := $(PURE_DEPS) tests/daemon.h $(BUILD)/fake_daemon

# mbedTLS: BCE_TLS is 1 when it is installed (BCE_TLS=0 forces it off). The probe compile runs
# at most once, the first time a recipe needs BCE_TLS (the eval makes it a simple variable
# holding the answer). bitcart-listen is built with TLS when it is 1; plain `make` builds the
# TLS tests only then.
BCE_TLS ?= $(eval BCE_TLS := $$(shell echo 'int main(void){return 0;}' | $(CC) -x c -include mbedtls/ssl.h - -o /dev/null $(TLS_LIBS) 2>/dev/null && echo 1 || echo 0))$(BCE_TLS)
CLI_TLS_FLAGS = $(if $(filter 1,$(BCE_TLS)),-DBCE_USE_MBEDTLS,)
CLI_TLS_LIBS = $(if $(filter 1,$(BCE_TLS)),$(TLS_LIBS),)

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig

EXAMPLE_NAMES := manual websocket polling manager poll_loop worker_thread allocator_logger
EXAMPLES := $(addprefix $(BUILD)/example_,$(EXAMPLE_NAMES))

.DEFAULT_GOAL := all
.PHONY: help all cli examples-build demo clean fast test-fast unit test-net daemons examples \
        test-cli test-spool test-lwip embedded deps test test-all compile-checks sanitize sanitize-m32 valgrind check \
        static symbols fuzz fuzz-short fuzz-replay portability perf-checks soak bench install uninstall test-cmake tls36

help:
	@echo 'build'
	@echo '  make              the tests, bitcart-listen and the examples (without TLS when mbedTLS is missing)'
	@echo '  make cli          $(BUILD)/bitcart-listen (TLS when mbedTLS is installed; BCE_TLS=0 forces it off)'
	@echo '  make demo         a local fake daemon streams a short session to bitcart-listen'
	@echo '  make clean        removes $(BUILD)'
	@echo 'fast tests (seconds; no server)'
	@echo '  make fast         JSON, dispatch, HTTP and URL parsers, websocket frames (also: make test-fast)'
	@echo 'network tests (against fake daemons and hostile peers on 127.0.0.1)'
	@echo '  make unit         every C test: the fast ones, then the network ones'
	@echo '  make test-net     the network C tests only'
	@echo '  make tls36        the TLS tests again against mbedTLS 3.6 (fetched and built once into $(BUILD)/mbedtls-3.6)'
	@echo '  make daemons      the fake daemons themselves, checked by an independent client'
	@echo '  make examples     the examples against the C fake daemon, plainly and under valgrind'
	@echo '  make test-cli     bitcart-listen against both fake daemons; install into a DESTDIR'
	@echo '  make test-spool   the bitcart-listen --spool crash test (about a minute)'
	@echo 'the whole suite'
	@echo '  make test         installs the Debian packages (tests/deps.sh), runs test-all, adds up the results'
	@echo '  make deps         only the package check/install of tests/deps.sh'
	@echo 'slow checks'
	@echo '  make compile-checks  gcc, clang, g++, two translation units, BCE_STATIC, BCE_NO_STDIO'
	@echo '  make sanitize     every C test under ASan + UBSan (sanitize-m32: clang -m32)'
	@echo '  make valgrind     every C test under valgrind'
	@echo '  make check        sanitize, valgrind, static and symbols'
	@echo '  make static       cppcheck and clang-tidy; make symbols: the exported symbols'
	@echo '  make fuzz         every libFuzzer target FUZZ_SECONDS each (fuzz-short: 5 s; fuzz-replay: the corpora)'
	@echo '  make portability  gcc, clang, tcc, musl, 32-bit x86, s390x, Windows'
	@echo '  make perf-checks  BCE_NO_SIMD, the size knobs, the minimal static listener'
	@echo '  make soak         a coin and a manager for BCE_SOAK_SECONDS (60) against dropping daemons'
	@echo 'bench and install'
	@echo '  make bench        one table of every performance goal (not part of make test)'
	@echo '  make install      header, bitcart-listen, man page, pkg-config files (PREFIX, DESTDIR); make uninstall'
	@echo '  make test-cmake   CMakeLists.txt: a consumer through add_subdirectory, find_package, mbedTLS, mingw-w64'
	@echo 'one test: make $(BUILD)/test_NAME && $(BUILD)/test_NAME; one case: TEST_ONLY=name $(BUILD)/test_NAME'

# ==== build ===================================================================================
# Plain `make`: what can be built here. Without mbedTLS the TLS tests (TLS_UNIT) are left out
# and bitcart-listen is built without TLS; a note says so.
all: cli examples-build
	@$(MAKE) --no-print-directory BCE_TLS=$(BCE_TLS) \
	    $(if $(filter 1,$(BCE_TLS)),$(UNIT_BIN),$(filter-out $(addprefix $(BUILD)/,$(TLS_UNIT)),$(UNIT_BIN)))
	@$(if $(filter 1,$(BCE_TLS)),:,echo "note: no mbedTLS (not installed, or BCE_TLS=0): $(TLS_UNIT) not built, bitcart-listen without TLS (make deps installs it)")

$(BUILD):
	@mkdir -p $(BUILD)

# the fast tests need neither the fake daemon nor tests/daemon.h
$(FAST_BIN): $(BUILD)/test_%: tests/test_%.c $(PURE_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@ $(TEST_LIBS)

$(BUILD)/test_%: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@ $(TEST_LIBS)

$(BUILD)/san_test_%: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) -I. $< -o $@ $(TEST_LIBS)

# The fake daemon the network tests start (tests/fake_daemon.py is its aiohttp twin).
$(BUILD)/fake_daemon: tests/fake_daemon.c | $(BUILD)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L -O2 -g $< -o $@

# The hostile TLS server test_hostile starts: a real handshake, then encrypted warning alerts.
$(BUILD)/tls_alert_server: tests/tls_alert_server.c | $(BUILD)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L -O2 -g $< -o $@ $(TLS_LIBS)

$(BUILD)/test_hostile $(BUILD)/san_test_hostile: $(BUILD)/tls_alert_server

# mbedTLS 3.6 LTS: Debian 12 ships only 2.28, so tests/mbedtls36.sh fetches Debian 13's source
# package (apt-get source, once, as root) and builds its static libraries into $(MBEDTLS36)
# (about 15 s, once; later runs say "cached"). The TLS tests (TLS_UNIT) are built a second time
# against it as $(BUILD)/test_NAME_mbedtls36 (san_ too) and run by `make tls36`. Their peers
# (aiohttp, stunnel, tls_alert_server) are the same as for the 2.28 run.
MBEDTLS36 := $(BUILD)/mbedtls-3.6
TLS36_LIBS := $(MBEDTLS36)/lib/libmbedtls.a $(MBEDTLS36)/lib/libmbedx509.a $(MBEDTLS36)/lib/libmbedcrypto.a
TLS36_BIN := $(addprefix $(BUILD)/,$(addsuffix _mbedtls36,$(TLS_UNIT)))
TLS36_SAN_BIN := $(addprefix $(BUILD)/san_,$(addsuffix _mbedtls36,$(TLS_UNIT)))

$(MBEDTLS36)/lib/libmbedtls.a: | $(BUILD)
	bash tests/mbedtls36.sh $(BUILD)

$(BUILD)/test_%_mbedtls36: tests/test_%.c $(TEST_DEPS) $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I$(MBEDTLS36)/include -I. $< -o $@ -lpthread $(TLS36_LIBS)

$(BUILD)/san_test_%_mbedtls36: tests/test_%.c $(TEST_DEPS) $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) -I$(MBEDTLS36)/include -I. $< -o $@ -lpthread $(TLS36_LIBS)

$(BUILD)/test_hostile_mbedtls36 $(BUILD)/san_test_hostile_mbedtls36: $(BUILD)/tls_alert_server

# The embedded TLS profile: the same source built again with bench/mbedtls_small_config.h (4 KiB
# input buffer, 1 KiB records by max_fragment_length, TLS 1.2) into $(MBEDTLS36S); test_tls runs against it too.
MBEDTLS36S := $(BUILD)/mbedtls-3.6-small
TLS36S_LIBS := $(MBEDTLS36S)/lib/libmbedtls.a $(MBEDTLS36S)/lib/libmbedx509.a $(MBEDTLS36S)/lib/libmbedcrypto.a

$(MBEDTLS36S)/lib/libmbedtls.a: bench/mbedtls_small_config.h $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	rm -rf $(MBEDTLS36S)
	bash tests/mbedtls36.sh $(BUILD) small

$(BUILD)/test_tls_mbedtls36s: tests/test_tls.c $(TEST_DEPS) $(MBEDTLS36S)/lib/libmbedtls.a | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I$(MBEDTLS36S)/include -I. $< -o $@ -lpthread $(TLS36S_LIBS)

# The TLS tests against mbedTLS 3.6 (part of test-all; the 2.28 run is `unit`'s): the header
# compiled against 3.6 with gcc, clang and g++ and the strict warnings; test_tls (each
# verification outcome, both peers) in TLS 1.3 and again with the peers capped at TLS 1.2
# (TEST_TLS_MAX=1.2), test_config and test_hostile: plainly, under ASan + UBSan, and test_tls
# under valgrind.
# fuzz_cert (the iPAddress check on mbedTLS's parse of a certificate) against 3.6 as well: the
# seed corpus and the regressions, then 5 s of fuzzing on a copy of them
$(BUILD)/fuzz/fuzz_cert_mbedtls36: tests/fuzz/fuzz_cert.c tests/fuzz/fuzz_common.h $(HDR) $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra \
	    -I$(MBEDTLS36)/include -I. $< -o $@ $(TLS36_LIBS)

tls36: $(TLS36_BIN) $(TLS36_SAN_BIN) $(BUILD)/test_tls_mbedtls36s $(BUILD)/fuzz/fuzz_cert_mbedtls36 $(BUILD)/cc_impl.c $(NODE_DEPS)
	@echo "== mbedTLS $$(cat $(MBEDTLS36)/VERSION): compile checks"
	$(CC) $(WARN) -DBCE_USE_MBEDTLS -I$(MBEDTLS36)/include -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls36_gcc.o
	$(CLANG) $(WARN) -DBCE_USE_MBEDTLS -I$(MBEDTLS36)/include -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls36_clang.o
	$(CXX) $(CXXWARN) -DBCE_USE_MBEDTLS -x c++ -I$(MBEDTLS36)/include -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls36_cxx.o
	$(CLANG) $(WARN) -DBCE_USE_MBEDTLS -I$(MBEDTLS36S)/include -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls36s_clang.o
	$(CXX) $(CXXWARN) -DBCE_USE_MBEDTLS -x c++ -I$(MBEDTLS36S)/include -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls36s_cxx.o
	$(CC) $(WARN) -DBCE_USE_LWIP -DBCE_USE_MBEDTLS -I$(MBEDTLS36)/include -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwiptls36_gcc.o
	$(CXX) $(CXXWARN) -DBCE_USE_LWIP -DBCE_USE_MBEDTLS -x c++ -I$(MBEDTLS36)/include -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwiptls36_cxx.o
	! nm $(BUILD)/cc_lwiptls36_gcc.o | grep -Eq ' U (socket|connect|send|recv|close|poll|fcntl|pipe|read|write|open|getpid|getaddrinfo|getpeername|inet_pton|access|getenv)$$'
	@for t in $(TLS36_BIN); do echo "== $$t"; $$t || exit 1; done
	@echo "== $(BUILD)/test_tls_mbedtls36 (TLS 1.2)"; TEST_TLS_MAX=1.2 $(BUILD)/test_tls_mbedtls36
	@for t in $(TLS36_SAN_BIN); do echo "== $$t (ASan+UBSan)"; $$t || exit 1; done
	@echo "== $(BUILD)/san_test_tls_mbedtls36 (TLS 1.2, ASan+UBSan)"; TEST_TLS_MAX=1.2 $(BUILD)/san_test_tls_mbedtls36
	@echo "== $(BUILD)/test_tls_mbedtls36 (valgrind)"; $(VALGRIND) $(BUILD)/test_tls_mbedtls36
	@echo "== $(BUILD)/test_tls_mbedtls36 (TLS 1.2, valgrind)"; TEST_TLS_MAX=1.2 $(VALGRIND) $(BUILD)/test_tls_mbedtls36
	@echo "== $(BUILD)/test_tls_mbedtls36s (the embedded TLS profile: 1 KiB records by max_fragment_length, TLS 1.2)"; $(BUILD)/test_tls_mbedtls36s
	@echo "== $(BUILD)/fuzz/fuzz_cert_mbedtls36 (the corpora, then 5 s)"; \
	 c=$(BUILD)/fuzz/corpus-cert36; rm -rf $$c $(BUILD)/fuzz/artifacts-cert36; mkdir -p $$c $(BUILD)/fuzz/artifacts-cert36; \
	 for d in tests/fuzz/corpus/cert tests/fuzz/regressions/cert; do [ -d $$d ] && find $$d -maxdepth 1 -type f ! -name '.*' -exec cp {} $$c/ \; ; done; \
	 if $(BUILD)/fuzz/fuzz_cert_mbedtls36 -max_total_time=5 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=$(BUILD)/fuzz/artifacts-cert36/ $$c > $(BUILD)/fuzz/fuzz_cert_mbedtls36.log 2>&1; \
	 then echo "fuzz_cert_mbedtls36: 1 passed, 0 failed"; \
	 else tail -20 $(BUILD)/fuzz/fuzz_cert_mbedtls36.log; echo "fuzz_cert_mbedtls36: 0 passed, 1 failed"; exit 1; fi

# the command-line listener
cli: $(BUILD)/bitcart-listen

$(BUILD)/bitcart-listen: examples/bitcart-listen.c $(HDR) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) $(CLI_TLS_FLAGS) -I. $< -o $@ $(CLI_TLS_LIBS)

# the same program under ASan + UBSan, for the CLI tests
$(BUILD)/san_bitcart-listen: examples/bitcart-listen.c $(HDR) | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) -DBCE_USE_MBEDTLS -I. $< -o $@ $(TLS_LIBS)

# examples/NAME.c, each built as $(BUILD)/example_NAME, checked with clang and g++ too, and
# run by `make examples` against the C fake daemon (tests/test_examples.c), once plainly and
# once under valgrind. example_manual needs no daemon and runs in `fast` and `unit`.
examples-build: $(EXAMPLES)

$(BUILD)/example_%: examples/%.c $(HDR) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@

$(BUILD)/example_worker_thread: examples/worker_thread.c $(HDR) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@ -lpthread

# every example also compiles cleanly with clang and as C++
$(BUILD)/examples_compiled: $(addprefix examples/,$(addsuffix .c,$(EXAMPLE_NAMES))) $(HDR) | $(BUILD)
	@for n in $(EXAMPLE_NAMES); do \
	  echo "$(CLANG) and $(CXX) -x c++: examples/$$n.c"; \
	  $(CLANG) $(WARN) -fsyntax-only -I. examples/$$n.c || exit 1; \
	  $(CXX) $(CXXWARN) -fsyntax-only -x c++ -I. examples/$$n.c || exit 1; \
	done
	@touch $@

# a local fake daemon streams a short scripted session to bitcart-listen (under a second once built)
demo: $(BUILD)/bitcart-listen $(BUILD)/fake_daemon
	@BUILD_DIR=$(BUILD) bash examples/demo.sh

clean:
	rm -rf $(BUILD)

# ==== fast tests ==============================================================================
# The pure unit tests (FAST) and example_manual: no server, no socket, no mbedTLS; seconds.
fast: $(FAST_BIN) $(BUILD)/example_manual
	@for t in $(FAST_BIN); do echo "== $$t"; $$t || exit 1; done
	@echo "== $(BUILD)/example_manual"; $(BUILD)/example_manual > /dev/null && echo "$(BUILD)/example_manual: 1 passed, 0 failed"

test-fast: fast

# ==== network tests ===========================================================================
# npm's ws for the interop tests, pinned by tests/package-lock.json
$(NODE_DEPS): tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@

# every C test (the fast ones first), then example_manual
unit: $(UNIT_BIN) $(BUILD)/example_manual $(NODE_DEPS)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done
	@echo "== $(BUILD)/example_manual"; $(BUILD)/example_manual > /dev/null && echo "$(BUILD)/example_manual: 1 passed, 0 failed"

test-net: $(NET_BIN) $(NODE_DEPS)
	@for t in $(NET_BIN); do echo "== $$t"; $$t || exit 1; done

# The fake daemons themselves (C and aiohttp), checked by an independent stdlib client.
daemons: $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/test_fake_daemons.sh

$(BUILD)/test_examples: tests/test_examples.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -I. $< -o $@

examples: $(EXAMPLES) $(BUILD)/examples_compiled $(BUILD)/test_examples $(BUILD)/fake_daemon
	$(BUILD)/test_examples $(BUILD)

# bitcart-listen against both fake daemons, then install/uninstall into a temporary DESTDIR
test-cli: $(BUILD)/bitcart-listen $(BUILD)/san_bitcart-listen $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/test_cli.sh
	BUILD_DIR=$(BUILD) bash tests/test_install.sh

# bitcart-listen --spool: the crash test (SIGKILLs while streaming; failing --exec and --post
# consumers), dead letters, disk full, an unwritable spool; then a shorter crash test under
# ASan + UBSan (about a minute in all)
test-spool: $(BUILD)/bitcart-listen $(BUILD)/san_bitcart-listen $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/test_spool.sh
	BUILD_DIR=$(BUILD) BIN=$(BUILD)/san_bitcart-listen EVENTS=600 SEED=2 bash tests/test_spool.sh

# The library over a real lwIP stack (BCE_USE_LWIP; Debian liblwip-dev, lwIP 2.1.3's unix port)
# in a network namespace of its own with a TAP device (tests/test_lwip.sh; root; SKIP otherwise),
# with TLS (BCE_USE_MBEDTLS) against the aiohttp daemon there: on Debian's mbedTLS 2.28 (TLS 1.2),
# on 3.6 (TLS 1.3) and on 3.6 in the embedded TLS profile (TLS 1.2, 1 KiB records).
$(BUILD)/test_lwip: tests/test_lwip.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -DBCE_USE_LWIP -I. -isystem /usr/include/lwip $< -o $@ -llwip $(TLS_LIBS) -lpthread

$(BUILD)/test_lwip_mbedtls36: tests/test_lwip.c $(TEST_DEPS) $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -DBCE_USE_LWIP -I. -I$(MBEDTLS36)/include -isystem /usr/include/lwip $< -o $@ -llwip $(TLS36_LIBS) -lpthread

$(BUILD)/test_lwip_mbedtls36s: tests/test_lwip.c $(TEST_DEPS) $(MBEDTLS36S)/lib/libmbedtls.a | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -DBCE_USE_LWIP -I. -I$(MBEDTLS36S)/include -isystem /usr/include/lwip $< -o $@ -llwip $(TLS36S_LIBS) -lpthread

test-lwip: $(BUILD)/test_lwip $(BUILD)/test_lwip_mbedtls36 $(BUILD)/test_lwip_mbedtls36s $(BUILD)/fake_daemon
	BUILD_DIR=$(BUILD) bash tests/test_lwip.sh
	BUILD_DIR=$(BUILD) bash tests/test_lwip.sh $(BUILD)/test_lwip_mbedtls36
	BUILD_DIR=$(BUILD) bash tests/test_lwip.sh $(BUILD)/test_lwip_mbedtls36s

# The Cortex-M4 build (tests/embedded/): arm-none-eabi-gcc with picolibc, Thumb, -Os, against
# lwIP's headers (Debian liblwip-dev) with our lwipopts.h: the library alone (every function,
# nothing garbage-collected) and a firmware-shaped listener (one coin, websocket, BCE_NO_STDIO,
# BCE_USE_LWIP, the firmware's clock and entropy hooks) linked with stand-ins for lwIP's
# socket functions (tests/embedded/lwip_stubs.c). Compiled and linked, never run.
# The same listener with TLS (tests/embedded/firmware_tls.c: wss://, the CA in flash as
# tls.ca_pem) linked against mbedTLS 3.6 cross-compiled for the Cortex-M4 (tests/mbedtls36.sh
# BUILD arm: build/mbedtls-3.6-arm, the libraries only, with bench/mbedtls_small_config.h and
# tests/embedded/mbedtls_arm_config.h; built once, then cached), for its flash (make bench).
ARM_CC  ?= arm-none-eabi-gcc
ARM_FLAGS := --specs=picolibc.specs -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections
ARM_INC := -I. -Itests/embedded -isystem /usr/include/lwip
ARM_LD  := -Wl,--gc-sections -Wl,--defsym=__flash=0x08000000 -Wl,--defsym=__flash_size=1M \
           -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=128K -Wl,--defsym=__stack_size=8K
EMB_DEPS := $(HDR) tests/embedded/lwipopts.h tests/embedded/arch/cc.h tests/embedded/arch/sys_arch.h

$(BUILD)/arm_lib.o: $(BUILD)/cc_impl.c $(EMB_DEPS) | $(BUILD)
	$(ARM_CC) $(ARM_FLAGS) $(WARN) -DBCE_USE_LWIP -DBCE_NO_STDIO '-DBCE_NOW_MS()=0' '-DBCE_RANDOM(b,n)=0' \
	    $(ARM_INC) -Dmain=bce_unused_main -c $< -o $@

$(BUILD)/arm_firmware.elf: tests/embedded/firmware.c tests/embedded/lwip_stubs.c $(EMB_DEPS) | $(BUILD)
	$(ARM_CC) $(ARM_FLAGS) $(WARN) $(ARM_INC) -c tests/embedded/firmware.c -o $(BUILD)/arm_firmware.o
	$(ARM_CC) $(ARM_FLAGS) $(WARN) $(ARM_INC) -c tests/embedded/lwip_stubs.c -o $(BUILD)/arm_lwip_stubs.o
	$(ARM_CC) $(ARM_FLAGS) $(ARM_LD) -Wl,-Map=$(BUILD)/arm_firmware.map $(BUILD)/arm_firmware.o $(BUILD)/arm_lwip_stubs.o -o $@

MBEDTLS36A := $(BUILD)/mbedtls-3.6-arm
TLS36A_LIBS := $(MBEDTLS36A)/lib/libmbedtls.a $(MBEDTLS36A)/lib/libmbedx509.a $(MBEDTLS36A)/lib/libmbedcrypto.a

$(MBEDTLS36A)/lib/libmbedtls.a: bench/mbedtls_small_config.h tests/embedded/mbedtls_arm_config.h | $(BUILD)
	rm -rf $(MBEDTLS36A)
	@bash tests/mbedtls36.sh $(BUILD) arm || { echo "embedded: FAILED: mbedTLS 3.6 could not be fetched or cross-compiled for the Cortex-M4 (tests/mbedtls36.sh $(BUILD) arm; its messages are above)"; \
	    echo "embedded: 0 passed, 1 failed"; exit 1; }

$(BUILD)/arm_firmware_tls.elf: tests/embedded/firmware_tls.c tests/embedded/firmware.c tests/embedded/lwip_stubs.c $(EMB_DEPS) $(MBEDTLS36A)/lib/libmbedtls.a | $(BUILD)
	$(ARM_CC) $(ARM_FLAGS) $(WARN) $(ARM_INC) -isystem $(MBEDTLS36A)/include -c tests/embedded/firmware_tls.c -o $(BUILD)/arm_firmware_tls.o
	$(ARM_CC) $(ARM_FLAGS) $(WARN) $(ARM_INC) -c tests/embedded/lwip_stubs.c -o $(BUILD)/arm_lwip_stubs_tls.o
	$(ARM_CC) $(ARM_FLAGS) $(ARM_LD) -Wl,-Map=$(BUILD)/arm_firmware_tls.map $(BUILD)/arm_firmware_tls.o $(BUILD)/arm_lwip_stubs_tls.o $(TLS36A_LIBS) -o $@

embedded: $(BUILD)/arm_lib.o $(BUILD)/arm_firmware.elf $(BUILD)/arm_firmware_tls.elf
	arm-none-eabi-size $(BUILD)/arm_lib.o $(BUILD)/arm_firmware.elf $(BUILD)/arm_firmware_tls.elf
	@! arm-none-eabi-nm $(BUILD)/arm_lib.o | grep -Eq ' U (socket|connect|send|recv|close|select|fcntl|pipe|read|write|open|getpid|clock_gettime|fprintf)$$'
	@! arm-none-eabi-nm $(BUILD)/arm_firmware_tls.o | grep -Eq ' U (socket|connect|send|recv|close|select|fcntl|pipe|read|write|open|getpid|clock_gettime|fprintf|getenv|access|getpeername|inet_pton)$$'
	@echo "embedded: 1 passed, 0 failed"

# ==== the whole suite =========================================================================
# The Debian packages the tests need (tests/deps.sh): installed with apt-get when run as root,
# else named; nothing happens when all are there. `make test` runs it first.
deps:
	@bash tests/deps.sh

# The whole suite: unit tests, the daemons, compile checks, then again under ASan + UBSan and
# valgrind. The last line adds up every runner's "N passed, M failed" line.
test: | $(BUILD)
	@bash tests/deps.sh
	@set -o pipefail; $(MAKE) --no-print-directory test-all 2>&1 | tee $(BUILD)/test.log
	@awk '/^([A-Za-z0-9_+\/. -]+: )?[0-9]+ passed, [0-9]+ failed$$/ { for (i = 1; i <= NF; i++) { if ($$(i+1) == "passed,") p += $$i; if ($$(i+1) == "failed") f += $$i } } \
	     END { printf "make test: %d passed, %d failed\n", p, f; exit f > 0 }' $(BUILD)/test.log

test-all: unit tls36 daemons compile-checks examples test-cli test-cmake test-spool test-lwip embedded perf-checks portability sanitize sanitize-m32 valgrind static symbols fuzz-replay fuzz-short soak

# ==== slow checks =============================================================================
# the implementation in a translation unit of its own, compiled with each set of flags
$(BUILD)/cc_impl.c: | $(BUILD)
	@printf '#define BITCART_EVENTS_IMPLEMENTATION\n#include "bitcart_events.h"\nint main(void){return 0;}\n' > $@

# gcc and clang strict C99, g++ as C++11, two translation units, BCE_STATIC, no stdio.
compile-checks: $(BUILD)/cc_impl.c | $(BUILD)
	@echo "== compile checks"
	$(CC) $(WARN) -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_impl_gcc.o
	$(CLANG) $(WARN) -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_impl_clang.o
	$(CC) $(WARN) -DBCE_USE_MBEDTLS -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_gcc.o
	$(CLANG) $(WARN) -DBCE_USE_MBEDTLS -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_clang.o
	$(CXX) $(CXXWARN) -DBCE_USE_MBEDTLS -x c++ -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_tls_cxx.o
	$(CC) $(WARN) -DBCE_NO_STDIO -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_nostdio.o
	@# lwIP's sockets (Debian liblwip-dev: LWIP_COMPAT_SOCKETS 0, no DNS); tests/embedded: compat 1, DNS, select
	$(CC) $(WARN) -DBCE_USE_LWIP -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwip_gcc.o
	$(CLANG) $(WARN) -DBCE_USE_LWIP -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwip_clang.o
	$(CXX) $(CXXWARN) -DBCE_USE_LWIP -x c++ -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwip_cxx.o
	! nm $(BUILD)/cc_lwip_gcc.o | grep -Eq ' U (socket|connect|send|recv|close|poll|fcntl|pipe|read|write|open|getpid|getaddrinfo)$$'
	@# TLS over lwIP (mbedTLS 2.28): the TLS layer's socket calls go through lwIP too, no CA files searched
	$(CC) $(WARN) -DBCE_USE_LWIP -DBCE_USE_MBEDTLS -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwiptls_gcc.o
	$(CLANG) $(WARN) -DBCE_USE_LWIP -DBCE_USE_MBEDTLS -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwiptls_clang.o
	$(CXX) $(CXXWARN) -DBCE_USE_LWIP -DBCE_USE_MBEDTLS -x c++ -I. -isystem /usr/include/lwip -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_lwiptls_cxx.o
	! nm $(BUILD)/cc_lwiptls_gcc.o | grep -Eq ' U (socket|connect|send|recv|close|poll|fcntl|pipe|read|write|open|getpid|getaddrinfo|getpeername|inet_pton|access|getenv)$$'
	! nm $(BUILD)/cc_nostdio.o | grep -Eq ' U (fprintf|printf|fputs|stderr|puts|fwrite)$$'
	$(CXX) $(CXXWARN) -I. tests/test_cpp.cpp -o $(BUILD)/test_cpp
	$(BUILD)/test_cpp
	$(CC) $(WARN) -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu
	$(BUILD)/test_tu
	$(CC) $(WARN) -DBCE_STATIC -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu_static
	$(BUILD)/test_tu_static
	$(CLANG) $(WARN) -DBCE_STATIC -I. tests/tu_a.c tests/tu_b.c -o $(BUILD)/test_tu_static_clang
	$(BUILD)/test_tu_static_clang
	@# the README's example (its first C block) compiles as it stands, with gcc and clang
	awk '/^```c$$/ { f = 1; next } /^```$$/ { if (f) exit } f' README.md > $(BUILD)/readme_example.c
	$(CC) $(WARN) -I. $(BUILD)/readme_example.c -o $(BUILD)/readme_example
	$(CLANG) $(WARN) -I. -fsyntax-only $(BUILD)/readme_example.c

# every C test under ASan + UBSan
sanitize: $(SAN_BIN) $(NODE_DEPS)
	@for t in $(SAN_BIN); do echo "== $$t (ASan+UBSan)"; $$t || exit 1; done

# 32-bit: the unit tests again, built with clang -m32 and ASan + UBSan, where size_t is 32 bits
# and sums of limits can wrap (Debian: libc6-dev-i386 and lib32gcc-12-dev; the i386 sanitizer
# runtimes come with libclang-rt-14-dev). test_tls is left out and test_config runs without
# its TLS case (TEST_NO_TLS): there is no 32-bit mbedTLS here.
M32_BIN := $(addprefix $(BUILD)/m32_,$(filter-out test_tls,$(UNIT)))

$(BUILD)/m32_test_%: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CLANG) $(WARN) -m32 -O1 -g $(SAN) -DTEST_NO_TLS -I. $< -o $@ -lpthread

sanitize-m32: $(M32_BIN) $(NODE_DEPS)
	@for t in $(M32_BIN); do echo "== $$t (clang -m32, ASan+UBSan)"; $$t || exit 1; done

valgrind: $(UNIT_BIN) $(NODE_DEPS)
	@for t in $(UNIT_BIN); do echo "== $$t (valgrind)"; $(VALGRIND) $$t || exit 1; done

# sanitizers + valgrind + static analysis + symbols
check: sanitize valgrind static symbols

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

# Portability (tests/portability.sh; PORTABILITY in the header's manual): test_json,
# test_dispatch and tests/test_portable.c (JSON-RPC, polling, websocket, manager, bce_stop from
# a thread, against the C fake daemon) built with gcc, clang and tcc on glibc, static musl,
# 32-bit x86, big-endian s390x and Windows; test_frames and test_ws too on 32-bit and on s390x.
# 32-bit: gcc-multilib (gcc -m32) conflicts with gcc-s390x-linux-gnu on Debian 12, so the
# i686-linux-gnu cross compiler builds static binaries, run natively when the kernel allows,
# else under qemu-i386. s390x runs under qemu-s390x. Windows: mingw-w64, run under wine with
# its prefix in $(BUILD)/port/wine; with TLS too (tests/test_win_tls.c, mbedTLS 3.6 built with
# mingw-w64, against aiohttp TLS daemons). About 90 s (a new wine prefix adds about 6 s).
portability: $(BUILD)/fake_daemon $(BUILD)/mbedtls-3.6-mingw/lib/libmbedtls.a
	BUILD_DIR=$(BUILD) bash tests/portability.sh

# Windows TLS (tests/test_win_tls.c under wine): mbedTLS 3.6 built with mingw-w64
$(BUILD)/mbedtls-3.6-mingw/lib/libmbedtls.a: $(MBEDTLS36)/lib/libmbedtls.a | $(BUILD)
	rm -rf $(BUILD)/mbedtls-3.6-mingw
	bash tests/mbedtls36.sh $(BUILD) mingw

# performance checks: the portable scanners, the size knobs, the minimal static listener.
# test_json again with BCE_NO_SIMD (the word-at-a-time scanners SSE2 builds skip), plain and
# under ASan + UBSan; the size knobs compile cleanly (gcc, clang, g++) and the limits and
# websocket tests pass with the smallest receive buffers (ASan + UBSan); the minimal listener
# (BCE_NO_DNS, static musl when musl-gcc is installed, else cc) runs against the fake daemon.
MUSL_CC ?= musl-gcc
# -z norelro: musl's static startup never applies PT_GNU_RELRO (only its dynamic linker does:
# /proc/self/maps of a static musl program shows that page rw-), so for this binary the segment
# is only the padding that aligns its end to a page (1.3 KiB here).
MIN_FLAGS := -std=c99 -static -Os -s -ffunction-sections -fdata-sections -Wl,--gc-sections \
             -fno-asynchronous-unwind-tables -fno-unwind-tables -Wl,-z,noseparate-code -Wl,-z,norelro

$(BUILD)/test_json_nosimd: tests/test_json.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) $(CFLAGS) -DBCE_NO_SIMD -I. $< -o $@ $(LIBS)

$(BUILD)/san_test_json_nosimd: tests/test_json.c $(TEST_DEPS) | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) -DBCE_NO_SIMD -I. $< -o $@ $(LIBS)

# the smallest receive buffers the knobs allow (the embedded profile's are 1024): the limits
# and the websocket tests again, every buffer grown on demand many times (ASan + UBSan)
SMALL_KNOBS := -DBCE_WS_RECV_BYTES=256 -DBCE_RPC_RECV_STEP=64
$(BUILD)/san_test_%_small: tests/test_%.c $(TEST_DEPS) | $(BUILD)
	$(CLANG) $(WARN) -O1 -g $(SAN) $(SMALL_KNOBS) -I. $< -o $@ -lpthread

$(BUILD)/min_listener: bench/min_listener.c $(HDR) | $(BUILD)
	if command -v $(MUSL_CC) > /dev/null; then $(MUSL_CC) $(MIN_FLAGS) -Wall -Wextra -I. $< -o $@; \
	else $(CC) $(WARN) -Os -I. $< -o $@; fi

perf-checks: $(BUILD)/test_json_nosimd $(BUILD)/san_test_json_nosimd $(BUILD)/min_listener $(BUILD)/fake_daemon \
             $(BUILD)/cc_impl.c $(BUILD)/san_test_limits_small $(BUILD)/san_test_ws_small
	$(BUILD)/test_json_nosimd
	$(BUILD)/san_test_json_nosimd
	$(BUILD)/san_test_limits_small
	@# the two permanent-error tests and the unpaced retry wait out 24 s of timers and read no
	@# more than the plain and ASan runs already do with every buffer size
	TEST_SKIP=permanent_wallet_error_c,permanent_wallet_error_py,retry_not_paced $(BUILD)/san_test_ws_small
	$(CC) $(WARN) -DBCE_NO_SIMD -DBCE_NO_DNS -DBCE_WS_RECV_BYTES=4096 -DBCE_RPC_RECV_STEP=4096 -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_knobs.o
	$(CLANG) $(WARN) -DBCE_NO_DNS -DBCE_USE_MBEDTLS -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_knobs_clang.o
	$(CXX) $(CXXWARN) -DBCE_NO_DNS -x c++ -I. -c $(BUILD)/cc_impl.c -o $(BUILD)/cc_knobs_cxx.o
	! nm $(BUILD)/cc_knobs.o | grep -Eq ' U (getaddrinfo|freeaddrinfo|gai_strerror)$$'
	BUILD_DIR=$(BUILD) bash tests/test_min_listener.sh $(BUILD)/min_listener
	@n=$$(stat -c %s $(BUILD)/min_listener); echo "min_listener: $$n bytes"; \
	 if command -v $(MUSL_CC) > /dev/null; then \
	   if [ $$n -lt 65536 ]; then echo "min_listener size: 1 passed, 0 failed"; \
	   else echo "min_listener: over the 64 KiB the README promises"; \
	        echo "min_listener size: 0 passed, 1 failed"; exit 1; fi; fi

# A coin and a manager for BCE_SOAK_SECONDS (60) against daemons that drop and restart: exact
# delivery, and RSS and heap flat once warm.
$(BUILD)/soak: tests/soak.c $(TEST_DEPS) | $(BUILD)
	$(CC) $(WARN) -O2 -g -I. $< -o $@ $(LIBS)

soak: $(BUILD)/soak
	$(BUILD)/soak

# ==== bench ===================================================================================
$(BUILD)/bench_dispatch: bench/dispatch.c $(HDR) | $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -I. $< -o $@ -lcjson

# the same program with the implementation compiled as C++ (issue 17: C++ as fast as C)
$(BUILD)/bench_dispatch_cpp: bench/dispatch.c $(HDR) | $(BUILD)
	$(CXX) -std=c++11 -O2 -g -Wall -Wextra -I. -x c++ $< -o $@ -lcjson

# simdjson: a bench-only reference (Debian libsimdjson-dev); make bench goes on without it (a
# note), and builds it visibly when its header is there
$(BUILD)/bench_simdjson: bench/simdjson_ref.cpp | $(BUILD)
	$(CXX) -std=c++17 -O2 -Wall -Wextra $< -o $@ -lsimdjson

$(BUILD)/bench_polling: bench/polling.c $(HDR) tests/daemon.h $(BUILD)/fake_daemon | $(BUILD)
	$(CC) $(WARN) -O2 -g -I. $< -o $@

$(BUILD)/bench_tls_memory: bench/tls_memory.c $(HDR) tests/daemon.h | $(BUILD)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -I. $< -o $@ -lmbedtls -lmbedx509 -lmbedcrypto

$(BUILD)/bench_ws: bench/ws.c bench/bench_util.h $(HDR) | $(BUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -I. $< -o $@

# what a wallet costs (issue 15): 1,000 / 10,000 / 100,000 wallets of a websocket manager
$(BUILD)/bench_scale: bench/scale.c bench/bench_util.h $(HDR) tests/daemon.h $(BUILD)/fake_daemon | $(BUILD)
	$(CC) $(WARN) -O2 -g -I. $< -o $@

$(BUILD)/bench_embedded: bench/embedded.c bench/bench_util.h $(HDR) tests/daemon.h | $(BUILD)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -I. $< -o $@ -lmbedtls -lmbedx509 -lmbedcrypto

$(BUILD)/bench_embedded_small: bench/embedded.c bench/bench_util.h $(HDR) tests/daemon.h | $(BUILD)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -DEMBEDDED_SMALL -I. $< -o $@ -lmbedtls -lmbedx509 -lmbedcrypto

# the embedded profile built -m32 without TLS (-DEMBEDDED_NO_TLS; plain only): the heap on
# ILP32, the Cortex-M4's type sizes (clang -m32, as make sanitize-m32)
$(BUILD)/bench_embedded_small32: bench/embedded.c bench/bench_util.h $(HDR) tests/daemon.h | $(BUILD)
	$(CLANG) -m32 -std=gnu99 -O2 -g -Wall -Wextra -DEMBEDDED_SMALL -DEMBEDDED_NO_TLS -I. $< -o $@

# the embedded profile on the embedded TLS profile's mbedTLS 3.6 (bench/mbedtls_small_config.h)
$(BUILD)/bench_embedded_tls36s: bench/embedded.c bench/bench_util.h $(HDR) tests/daemon.h $(MBEDTLS36S)/lib/libmbedtls.a | $(BUILD)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -DEMBEDDED_SMALL -I$(MBEDTLS36S)/include -I. $< -o $@ $(TLS36S_LIBS)

# One table of issue 7's goals (bench/run.sh; logs in $(BUILD)/bench/). Not part of `make test`.
bench: $(BUILD)/bench_dispatch $(BUILD)/bench_dispatch_cpp $(BUILD)/bench_polling $(BUILD)/bench_tls_memory $(BUILD)/bench_ws \
       $(BUILD)/bench_embedded $(BUILD)/bench_embedded_small $(BUILD)/bench_embedded_small32 $(BUILD)/bench_embedded_tls36s $(BUILD)/fake_daemon $(BUILD)/min_listener \
       $(BUILD)/bitcart-listen $(BUILD)/bench_scale
	@$(MAKE) --no-print-directory embedded > /dev/null || echo "note: no Cortex-M4 rows (make deps installs gcc-arm-none-eabi, picolibc-arm-none-eabi, liblwip-dev)"
	@bash tests/make_certs.sh $(BUILD)/certs > /dev/null
	@if echo '#include <simdjson.h>' | $(CXX) -std=c++17 -E -x c++ - > /dev/null 2>&1; then \
	    $(MAKE) --no-print-directory $(BUILD)/bench_simdjson; \
	else echo "note: no simdjson reference row (apt-get install libsimdjson-dev)"; fi
	@bash bench/run.sh $(BUILD)

# ==== install =================================================================================
BCE_VERSION = $(shell awk '/define BCE_VERSION_STRING/ { gsub(/"/, "", $$3); print $$3 }' $(HDR))
# pc_file NAME TLS-CFLAGS TLS-LIBS DESCRIPTION-SUFFIX: the pkg-config file for PREFIX
pc_file = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	-e 's|@VERSION@|$(BCE_VERSION)|' -e 's|@NAME@|$(1)|' -e 's|@TLS_CFLAGS@|$(2)|' -e 's|@TLS_LIBS@|$(3)|' \
	-e 's|@TLS_NOTE@|$(4)|' bitcart_events.pc.in

# PREFIX (default /usr/local) and DESTDIR are honoured; the .pc files carry PREFIX.
install: $(BUILD)/bitcart-listen
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(HDR) $(DESTDIR)$(INCLUDEDIR)/bitcart_events.h
	install -m 755 $(BUILD)/bitcart-listen $(DESTDIR)$(BINDIR)/bitcart-listen
	install -m 644 examples/bitcart-listen.1 $(DESTDIR)$(MANDIR)/man1/bitcart-listen.1
	$(call pc_file,bitcart_events,,,) > $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events.pc
	$(call pc_file,bitcart_events_tls, -DBCE_USE_MBEDTLS, $(TLS_LIBS),; TLS (https and wss) through mbedTLS) \
	    > $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events_tls.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events.pc $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events_tls.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/bitcart_events.h $(DESTDIR)$(BINDIR)/bitcart-listen \
	    $(DESTDIR)$(MANDIR)/man1/bitcart-listen.1 $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events.pc \
	    $(DESTDIR)$(PKGCONFIGDIR)/bitcart_events_tls.pc

# The CMake package (CMakeLists.txt, cmake/): a consumer project built with add_subdirectory,
# then with find_package after cmake --install into a temporary prefix, with and without
# BITCART_EVENTS_WITH_MBEDTLS, and cross-compiled with mingw-w64; in a temporary directory that
# is removed (tests/test_cmake.sh, about 15 s)
test-cmake:
	bash tests/test_cmake.sh
