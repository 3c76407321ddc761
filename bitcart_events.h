/* bitcart_events.h - listen to BitcartCC payment daemons from C and C++.
   No warranty implied; use at your own risk. MIT licence at the end of this file.

   bitcart_events.h lets a C or C++ program listen to BitcartCC payment daemons: new
   transactions, payment status changes, new blocks and verified transactions, for one wallet
   or many wallets across many currencies. It is the C counterpart of the Python Bitcart SDK's
   events system. One file; it needs only libc and the OS's sockets (POSIX or Winsock), plus mbedTLS
   when TLS is switched on.

   INSTANTIATE
   -----------
   In exactly one C or C++ file:

       #define BITCART_EVENTS_IMPLEMENTATION
       #include "bitcart_events.h"

   Everywhere else, include the header without the define. With BCE_STATIC defined as well,
   every function is static: a private copy per translation unit.
   CMake: the repository's CMakeLists.txt defines bitcart_events::bitcart_events, which puts
   this header on the include path (add_subdirectory, or find_package after cmake --install;
   an ESP-IDF component under ESP_PLATFORM); the define above is still yours (README, "CMake").

   EXAMPLE: MANUAL DELIVERY
   ------------------------
   Updates that reached you some other way (your own transport, a queue, a test) are handed
   over as the JSON array a daemon's get_updates call returns:

       static void on_payment(const bce_event_t *ev, void *user_data) {
           long long status;
           if (bce_event_int(ev, "status", &status) && status == 3)
               printf("request %s paid: %s\n", bce_event_str(ev, "address"),
                      bce_event_str(ev, "sent_amount"));
       }

       bce_coin_desc_t desc = {0};
       desc.currency = "BTC";
       desc.xpub = "vpub5Y...";
       bce_coin_t *coin = bce_coin_create(&desc);
       bce_on(coin, "new_payment", on_payment, NULL);
       int calls = bce_process_updates(coin, json, json_len);  // handler calls, or < 0 on bad JSON
       bce_coin_destroy(coin);

   Many wallets, many currencies (the SDK's APIManager):

       bce_manager_t *m = bce_manager_create(NULL);
       bce_manager_add_wallet(m, "BTC", "vpub5Y...");
       bce_manager_add_wallet(m, "LTC", "Ltub2...");
       bce_manager_on(m, "new_payment, new_transaction", on_event, NULL);
       bce_manager_process_updates(m, "BTC", "vpub5Y...", json, json_len);
       bce_manager_destroy(m);                                 // frees its coins too

   EXAMPLE: WEBSOCKET (BLOCKING)
   -----------------------------
       static void on_connect(bce_coin_t *coin, const char *currency, void *ud) {
           fprintf(stderr, "listening to %s\n", currency);
       }

       bce_coin_desc_t desc = {0};
       desc.currency = "BTC";
       desc.xpub = "vpub5Y...";
       bce_coin_t *coin = bce_coin_create(&desc);
       bce_on(coin, "new_payment, new_transaction", on_event, NULL);
       bce_ws_opts_t opts = {0};                      // zero: reconnect forever, ping every 15 s
       opts.on_connect = on_connect;
       int r = bce_start_websocket(coin, &opts);      // until bce_stop: BCE_OK
       bce_coin_destroy(coin);

   The manager does the same for many wallets and currencies with bce_manager_start_websocket
   (one websocket per currency, all in the calling thread).

   EXAMPLE: POLLING (BLOCKING)
   ---------------------------
       bce_coin_desc_t desc = {0};
       desc.currency = "BTC";
       desc.url = "http://127.0.0.1:5000";
       desc.xpub = "vpub5Y...";
       bce_coin_t *coin = bce_coin_create(&desc);
       bce_on(coin, "new_payment", on_payment, NULL);
       int r = bce_poll_updates(coin, 1000);   // get_updates every second until bce_stop
       // r: BCE_OK after bce_stop, BCE_ERR_AUTH on a wrong password, BCE_ERR_WALLET when
       // the daemon could not load the wallet 3 times in a row (see "Errors from the daemon")
       bce_coin_destroy(coin);

   One JSON-RPC call: bce_rpc(coin, "get_request", "[\"d2f0a1b3c4\"]", buf, sizeof buf, &len).

   EXAMPLE: YOUR OWN poll(2) LOOP
   ------------------------------
       bce_coin_start_polling(coin, 1000);
       for (;;) {
           bce_fd_t fds[8];
           struct pollfd pfd[8];
           int n = bce_coin_fds(coin, fds, 8);            // the library's descriptors
           for (int i = 0; i < n; i++) {
               pfd[i].fd = fds[i].fd;
               pfd[i].events = (fds[i].events & BCE_WANT_READ ? POLLIN : 0)
                             | (fds[i].events & BCE_WANT_WRITE ? POLLOUT : 0);
           }
           // ... add your own descriptors after them ...
           poll(pfd, n, bce_coin_timeout_ms(coin));
           if (bce_coin_step(coin, 0) <= 0) break;        // 0: stopped; < 0: fatal (auth)
       }

   The same loop runs the websocket after bce_coin_begin_websocket(coin, &opts). Use
   level-triggered readiness (poll, select, epoll without EPOLLET): a step may leave bytes in a
   socket so that one busy connection does not starve timers.
   bce_coin_step(coin, 0) never waits; bce_coin_step(coin, -1) waits for the coin's own
   descriptors and timers (that is all bce_poll_updates does). The manager has the same four
   calls (bce_manager_start_polling, _fds, _timeout_ms, _step). Ask for the descriptors before
   every wait: they change as connections open and close.

   URLS
   ----
   http://host[:port][/path] and https://... ; IPv6 literals in brackets (http://[::1]:5000).
   Credentials go in user/password, never in the URL. A path is a prefix for every route:
   with url "http://proxy/bitcart/btc", JSON-RPC goes to POST /bitcart/btc/, the websocket to
   /bitcart/btc/ws and the spec to /bitcart/btc/spec (a trailing slash in the URL is ignored).
   The host name is resolved with getaddrinfo and every address is tried in turn. Name
   resolution itself cannot be interrupted: connect_timeout_ms bounds the TCP connect, not a
   slow DNS server (use an IP address or a local resolver where that matters). Built with
   BCE_NO_DNS, the host must be an IPv4 or IPv6 address.

   COMPILE-TIME SWITCHES
   ---------------------
     BITCART_EVENTS_IMPLEMENTATION  emit the implementation in this translation unit
     BCE_STATIC                     make every function static
     BCE_NO_STDIO                   no <stdio.h>: the default logger prints nothing
                                    (install a logger to see messages)
     BCE_MALLOC(size), BCE_FREE(p)  the fallback allocator (default malloc / free)
     BCE_USE_MBEDTLS                https:// and wss:// through mbedTLS (see TLS below)
     BCE_NO_SIMD                    portable JSON scanning only (default: SSE2 where the
                                    compiler targets it and says so, e.g. gcc, clang and
                                    MSVC on x86-64; tcc takes the portable path)
     BCE_NO_DNS                     IP addresses only in URLs: no getaddrinfo, so no resolver
                                    is linked in (24 KB of a static musl binary: bench/
                                    min_listener.c is 58,512 bytes with it, 83,088 without);
                                    a host name fails with BCE_ERR_CONNECT
     BCE_WS_RECV_BYTES              32768: a websocket's first receive buffer; it grows, by
                                    doubling, up to max_message_bytes (see PERFORMANCE AND
                                    EMBEDDED USE); at least 256. The handshake's answer is
                                    read with 1024 bytes of room, half the buffer below 2048
     BCE_RPC_RECV_STEP              16384: JSON-RPC receive buffer growth step; the buffer
                                    starts at one step and grows when less than a quarter
                                    step is free; at least 64
     BCE_USE_LWIP                   sockets through lwIP's BSD-style API (lwip/sockets.h on
                                    the include path, with the program's lwipopts.h): only
                                    lwip_* names are called, so LWIP_COMPAT_SOCKETS 0 or 1;
                                    O_NONBLOCK through lwip_fcntl; waits through lwip_poll
                                    (LWIP_SOCKET_POLL), else lwip_select; no pipe and no
                                    signals (see BCE_LWIP_WAKE_MS); without LWIP_DNS it
                                    implies BCE_NO_DNS (lwip_getaddrinfo otherwise). With
                                    BCE_USE_MBEDTLS, TLS goes through lwIP too (see TLS). See
                                    PORTABILITY
     BCE_LWIP_WAKE_MS               100: under BCE_USE_LWIP there is no wake-up descriptor, so
                                    every wait (the library's, and *_timeout_ms for your
                                    loop) lasts at most this; bce_stop is seen within it
     BCE_NOW_MS()                   the monotonic clock in milliseconds, an expression of an
                                    integer type (e.g. a function of the firmware's); default
                                    clock_gettime(CLOCK_MONOTONIC), GetTickCount64 on Windows
     BCE_RANDOM(buf, n)             fills n bytes (unsigned char *buf) from an entropy source,
                                    0 on success: seeds websocket keys, masks and reconnect
                                    jitter (mixed with the clock either way). Default
                                    /dev/urandom, RtlGenRandom on Windows, LWIP_RAND() under
                                    BCE_USE_LWIP (a build without either stops with #error).
                                    With BCE_USE_MBEDTLS, BCE_RANDOM is also a strong source of
                                    mbedTLS's entropy pool (LWIP_RAND never is): it must then
                                    be a real entropy source, e.g. a hardware RNG (see TLS)

   PORTABILITY
   -----------
   C99 or C++11, libc and the OS's sockets. `make portability` runs the tests on each of these
   (all from Debian 12 packages; make compile-checks adds g++ as C++11):
     compilers    gcc, clang and tcc, free of warnings under -std=c99 -Wall -Wextra -Wpedantic
                  -Wshadow -Wconversion (gcc and clang)
     C libraries  glibc, and musl linked statically (musl-gcc -static)
     word size    64-bit, and 32-bit x86 (i686); the unit tests also run built with
                  clang -m32 and ASan + UBSan (make sanitize-m32, in make test)
     byte order   little-endian, and big-endian (s390x under qemu-user). Nothing depends on the
                  byte order: wire formats (websocket frames and masks, SHA-1, base64) are
                  read and written byte by byte, and the JSON scanner's 8-byte words use their
                  bit order only to skip ahead (gcc/clang, either byte order; other compilers
                  go on byte by byte from each flagged word)
     Windows      mingw-w64 (x86_64 run under wine, i686 compiled), winsock2: see below
     lwIP         BCE_USE_LWIP, run over Debian's liblwip-dev (lwIP 2.1.3, the unix port:
                  LWIP_COMPAT_SOCKETS 0, lwip_poll, no DNS, so IP addresses only) with a TAP
                  device in a network namespace of the test's own (make test-lwip, root):
                  polling, the websocket across a daemon restart, a manager, bce_stop from a
                  thread; and TLS (BCE_USE_MBEDTLS: mbedTLS 2.28, 3.6, and 3.6 in the embedded
                  TLS profile) against the aiohttp daemon: https polling, wss with catch-up,
                  the CA from memory (tls.ca_pem), mbedTLS seeded through BCE_RANDOM; a wrong
                  host, an untrusted CA, no CA and a failing entropy hook refused. The test
                  drives the TAP device with a small netif of its own: Debian's tapif
                  overflows a heap block on receive (valgrind)
     Cortex-M4    arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os with picolibc, against lwIP's
                  headers and tests/embedded/lwipopts.h (LWIP_COMPAT_SOCKETS 1, lwip_select,
                  LWIP_DNS): the library and a firmware-shaped listener (one websocket coin,
                  BCE_NO_STDIO, BCE_NOW_MS and BCE_RANDOM from the firmware) compile and link
                  (make embedded; lwIP's socket functions stubbed, so never run). The library
                  object: 40,472 B of text, 4 B of data, no bss; what the listener links
                  of it (--gc-sections): 35,146 B of flash (make bench). With TLS: mbedTLS
                  3.6.6 cross-compiled the same way (libraries only, tests/embedded/
                  mbedtls_arm_config.h on bench/mbedtls_small_config.h) and the same listener
                  on wss:// with its CA in flash (tests/embedded/firmware_tls.c) link too:
                  219,528 B of text, 88 B of data, 3,792 B of bss, against 39,784 B of text
                  and 2,164 B of static RAM without TLS: TLS costs 179,744 B of flash (mbedTLS
                  175,753 B: ssl 39,119, x509 7,437, crypto 129,197; the library's TLS layer
                  and the 644-byte CA 3,238 B) and 1,716 B of static RAM (make bench)
   On lwIP: link lwIP (and its RTOS port); wait on the descriptors with lwip_poll or
   lwip_select, not the C library's poll. There is no wake-up descriptor (no pipe; a loopback
   socket pair would need a loopback netif), so waits last at most BCE_LWIP_WAKE_MS (100) and
   bce_stop is seen within that. No signals are involved (send flags 0). Without LWIP_DNS the
   build is BCE_NO_DNS. TLS over lwIP (BCE_USE_MBEDTLS): mbedTLS reads and writes through the
   library's own socket callbacks, which call lwip_send and lwip_recv like the plain
   connections (mbedTLS's net_sockets is never used, so MBEDTLS_NET_C may be off); the CAs
   come from tls.ca_pem (or tls.ca_file where mbedTLS has MBEDTLS_FS_IO; no system bundle is
   searched); entropy from BCE_RANDOM and whatever mbedTLS has itself (see TLS, "On a
   microcontroller"). Bare metal (no clock_gettime, no /dev/urandom): define BCE_NOW_MS() and
   BCE_RANDOM(buf, n) (COMPILE-TIME SWITCHES).
   Other POSIX systems (macOS, the BSDs) should work (SO_NOSIGPIPE where MSG_NOSIGNAL is
   missing) but are not checked here; neither is MSVC.
   Windows: Vista or later (_WIN32_WINNT 0x0600); link ws2_32 (-lws2_32; MSVC through
   #pragma comment). Winsock is started by the library, lazily and reference-counted: each
   socket holds a WSAStartup reference that closing it releases, so the program need not call
   WSAStartup, and its own WSAStartup/WSACleanup pairs do not disturb the library's.
   bce_fd_t.fd carries a SOCKET as an int (Windows keeps socket handle values 32-bit
   significant): wait on (SOCKET)(intptr_t)fds[i].fd with WSAPoll or select. Before Windows 10
   2004, WSAPoll does not report a failed connect (the library's own waits use select, which
   does; in your loop, bce_coin_timeout_ms still ends such a connect after
   connect_timeout_ms). bce_stop wakes a waiting step through a connected pair of loopback
   sockets instead of a pipe (safe from another thread or a console control handler);
   RtlGenRandom seeds the masking keys. TLS (BCE_USE_MBEDTLS): link mbedTLS built for Windows
   and -lcrypt32 -lbcrypt besides -lws2_32 (MSVC: #pragma comment); without tls.ca_file and
   SSL_CERT_FILE the trusted CAs are the system's ROOT certificate store, and mbedTLS draws its
   entropy from BCryptGenRandom. Run here: mbedTLS 3.6 built with mingw-w64, the x86_64 build
   under wine against aiohttp TLS daemons (tests/test_win_tls.c, make portability).

   DESC FIELDS AND DEFAULTS (zero means default everywhere)
   ---------------------------------------------------------
   Each value below is one constant in the implementation, _BCE_DEFAULT_ + the field's name
   (connect_timeout_ms: _BCE_DEFAULT_CONNECT_TIMEOUT_MS; max_json_tokens: _BCE_DEFAULT_MAX_TOKENS,
   max_json_depth: _BCE_DEFAULT_MAX_DEPTH), filled in by one function per desc.
   bce_coin_desc_t
     currency            "BTC"; case-insensitive: BTC LTC ETH BCH XRG BNB MATIC TRX GRS XMR
     url                 "http://localhost:<port>": BTC 5000, LTC 5001, ETH 5002, BCH 5004,
                         XRG 5005, BNB 5006, MATIC 5008, TRX 5009, GRS 5010, XMR 5011
     user, password      "electrum", "electrumz"; a user containing ':' is refused; a
                         password containing ':' is warned about (the daemon cannot parse it:
                         HTTP 500, and that error then says so)
     xpub                NULL (no wallet); contract (token wallets), address (XMR): NULL
     connect_timeout_ms  10000
     rpc_timeout_ms      300000 (a daemon's first call for a wallet may wait for its sync)
     tls.ca_file         NULL: the system bundle; tls.skip_verify 0 (1 is logged as a warning)
     tls.ca_pem          NULL: no CAs from memory (see TLS: the trusted CAs)
     logger              warnings and errors to stderr, one line each
     allocator           BCE_MALLOC / BCE_FREE
     limits.max_json_tokens  65536 tokens in one update
     limits.max_json_depth   64 (at most BCE_JSON_MAX_DEPTH_LIMIT, 1024)
     limits.max_header_bytes    16384: an HTTP response's status line and headers
     limits.max_response_bytes  16 MiB: an HTTP response's body
   bce_ws_opts_t (bce_start_websocket, bce_manager_start_websocket; NULL: all defaults)
     on_connect, on_disconnect, user_data   NULL: none
     force_connect       0: a failed first connection returns its error; 1: keep trying
     disable_reconnect   0: reconnect after every close; 1: a close returns BCE_ERR_CLOSED
     reconnect_min_ms    250; reconnect_max_ms 30000
     ping_interval_ms    15000 (< 0: no pings); pong_timeout_ms 10000
     disable_catch_up    0: get_updates after every connect and every drain_interval_ms
     drain_interval_ms   30000 (< 0: only after connecting)
     drain_rate          20 (BCE_DRAIN_RATE_DEFAULT): drain calls per second per currency
                         (< 0: no limit); calls are whole milliseconds apart, so above 1000 it
                         is 1000; the round after a connect and a failed round's retry are not
                         paced
     max_message_bytes   1 MiB; dedup_entries 256
     disable_catch_up_hold  0: after a connect, websocket updates wait for the catch-up answer
                         (see Order below); 1: dispatched as they arrive
     disable_wallet_load 0: with disable_catch_up, getbalance after every connect (per wallet)
                         so that the daemon loads the wallet; 1: no JSON-RPC call at all
   bce_manager_desc_t
     logger, allocator   as above; coins of the manager use them unless configured otherwise
     limits.max_wallets  1000000 over all currencies
     limits.max_json_tokens, limits.max_json_depth   65536 and 64, for what the manager reads
                         (each currency's JSON-RPC and websocket messages)
   bce_json_desc_t
     max_tokens 65536, max_depth 64, allocator as above

   CONCEPTS
   --------
   Events. Four events exist: new_block (global: bce_event_wallet is NULL), new_transaction,
   new_payment and verified_tx (Electrum-family coins only: BTC LTC BCH XRG GRS). An update whose
   event is missing or not accepted for the currency is skipped and logged as
   "Invalid event from server: NAME". One handler per event name; registering again replaces it.
   Arguments are the update's keys other than "event", read by exact name with bce_event_str
   (decoded, NUL-terminated), bce_event_int (exact 64-bit integers, overflow refused) and
   bce_event_json (raw JSON text of anything). Amounts are decimal strings: keep them as text
   or use a decimal library, never binary floating point.

   Lifetimes. Everything an event hands out lives until the handler returns; copy what you keep.
   Strings in desc structs are copied by the create and configure functions: free them as soon
   as the call returns.

   Private members. Members of a public struct whose names end in '_' (bce_json_t's parses_,
   bce_json_token_t's reserved_ and memo_) are the library's state: never read or write them.
   They are there only so that the structs can be declared by value and indexed as arrays.

   Threading. No global state: objects on different threads never interfere. One object is
   used from one thread at a time. Handlers run on the caller's thread, inside the delivering
   call; a handler may read the event and register handlers, and must not destroy its coin or
   manager, nor feed updates to the same object (BCE_ERR_STATE).

   Validation first. A document is validated completely before any handler runs: malformed JSON
   (strict RFC 8259: no trailing commas, no leading zeros, valid UTF-8 and escapes only, paired
   surrogates only, nothing after the value) returns a negative result and delivers nothing.
   Delivery is not incremental: pass whole documents.

   Memory. Buffers grow to the largest input seen, within the configured limits, and are reused:
   once warm, delivering events allocates nothing. Allocation failures are reported, never
   crashed on.

   Connections. Each coin keeps one HTTP/1.1 keep-alive connection for its JSON-RPC calls
   (polling and bce_rpc share it); when the daemon has closed it in between, the next call
   reconnects transparently, once. A manager polls with one connection per currency, its
   wallets in turn. No SIGPIPE is ever raised (MSG_NOSIGNAL / SO_NOSIGPIPE), and signals that
   interrupt a wait (EINTR) are survived. The daemon answers a wrong password with HTTP 200
   and error -32600: that is BCE_ERR_AUTH, and polling stops on it instead of retrying; so
   does -32601, and a wallet the daemon could not load 3 times in a row (below). Other failed
   calls (connection refused, timeouts, HTTP errors, other JSON-RPC errors) are logged and
   retried after the interval. A daemon's get_updates queue is destructive: one consumer per
   wallet.

   Errors from the daemon. A JSON-RPC error answer is kept as data: bce_coin_last_rpc_error
   gives its code and the daemon's whole message (up to 1 KiB, control characters as '?';
   bce_coin_last_error's text quotes only 80 bytes), and bce_rpc_error_name its name and
   docstring from the daemon's GET /spec (fetched once, on demand, by that call only), as the
   Python SDK names its exception classes. bce_rpc returns BCE_ERR_AUTH for -32600 and
   BCE_ERR_RPC for every other code (the code tells them apart). A listener (every polling and
   websocket run, coin or manager) treats the codes every coin daemon shares like this:
     -32600  Unauthorized (not in the spec)        ends the run at once: BCE_ERR_AUTH
     -32601  ProcedureNotFoundError: no such method    ends the run at once: BCE_ERR_RPC
             (get_updates and getbalance exist on every Bitcart daemon: this is not one)
     -32005  LoadingWalletError: "Seed or key not recognized" (ETH family: "Invalid key
             provided") for a key the daemon cannot load, but also the daemon's answer to ANY
             failure while loading a wallet (a network error of an ETH token lookup, a disk
             error): it may pass                   retried; BCE_ERR_WALLET after 3 in a row
     -32000  WalletNotLoadedError: a method that needs a wallet got none, or (ETH family)
             "Error loading wallet: invalid address"   as -32005
     others  (-32603 and the per-coin codes)       logged and retried
   -32600 and -32601 depend on the request alone (the password, the method), so retrying
   cannot help. -32005 and -32000 usually mean a bad key, but since the daemon sends -32005
   for passing failures too, a run ends with BCE_ERR_WALLET only when they came back for the
   same wallet on BCE_WALLET_ERROR_TRIES (3) attempts in a row; any success resets the count.
   Each failed attempt is logged as a warning naming the wallet (the key's first 8 characters
   when it is longer than 12: it may be a seed), the last as an error. The attempts come
   BCE_CATCHUP_RETRY_MS (2 s) apart over the websocket (so a bad key ends it after about 4 s)
   and at the polling interval when polling. A manager's run ends on the first wallet that
   reaches the count, and that wallet's coin (bce_manager_wallet) keeps the error in
   bce_coin_last_rpc_error and bce_coin_last_error. The daemon hides a load failure from
   methods that need no wallet: only calls that need one (get_updates, getbalance,
   get_request, ...) report it.

   The manager. Handlers registered on the manager take precedence over a wallet coin's own
   handler for the same event (one handler runs per update). Updates are routed by currency and
   wallet key; a wallet the manager does not hold, and global events, get a stand-in coin of
   that currency whose xpub is the event's wallet key (or NULL). An unknown currency is logged
   as "Received event for unsupported currency: NAME".
   bce_manager_configure on a currency again: refused with BCE_ERR_STATE while the manager runs
   (polling or websockets, until the step that returns 0 after bce_manager_stop) and inside
   handlers; otherwise the new settings replace the old ones, and the currency's polling and
   websocket connections are rebuilt from them at the next start (a new URL, password, CA file
   or skip_verify takes effect then). Wallets added earlier keep their own settings for
   bce_rpc and the like.

   TLS
   ---
   Define BCE_USE_MBEDTLS before including the implementation and link
   -lmbedtls -lmbedx509 -lmbedcrypto; https:// URLs then use TLS for JSON-RPC and wss:// for
   the websocket (the websocket follows the URL's scheme). Without the switch such URLs fail
   with BCE_ERR_TLS: "this build has none".
   Verification is on by default: the chain must lead to a trusted CA and the certificate must
   name the host: a DNS name (checked by mbedTLS, which also sends it as SNI) or, for an IP
   address in the URL (https://127.0.0.1, https://[::1]), an iPAddress entry of subjectAltName
   holding the same address (compared as 4 or 16 bytes, so any spelling of it matches). A
   subject CN or a dNSName entry that spells the address is not accepted for it (RFC 9525), and
   no SNI is sent for addresses (RFC 6066). Addresses are checked by this library, the same way
   on every mbedTLS version, on mbedTLS's own parse of the certificate: in the verify callback,
   and again on the certificate the handshake kept (mbedTLS 3.6.0 skips a connection's verify
   callback in TLS 1.3). That needs MBEDTLS_SSL_KEEP_PEER_CERTIFICATE, on in mbedTLS's default
   configuration; without it an IP-literal host fails with BCE_ERR_TLS and says why.
   Trusted CAs: tls.ca_pem (PEM text in memory, NUL-terminated, one or more certificates:
   copied like every string of a desc, so a CA in flash costs its length in heap once per coin,
   per currency for a manager) and tls.ca_file, both when both are set; with neither, the file
   named by $SSL_CERT_FILE, else (Windows) the
   system's ROOT certificate store, or (elsewhere) the first readable of
   /etc/ssl/certs/ca-certificates.crt (Debian, Ubuntu, Alpine with ca-certificates),
   /etc/pki/tls/certs/ca-bundle.crt and /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem
   (Fedora, RHEL), /etc/ssl/cert.pem (Alpine, macOS with a bundle there, BSDs) and
   /etc/ssl/ca-bundle.pem (openSUSE); none: BCE_ERR_TLS "no CA bundle found". Under
   BCE_USE_LWIP, or with an mbedTLS built without MBEDTLS_FS_IO, nothing is searched: without
   tls.ca_pem (or tls.ca_file, which needs MBEDTLS_FS_IO) the connection fails with "no CA
   given".
   tls.skip_verify = 1 accepts any certificate and says so in a warning at create time.
   Failures name the reason in bce_coin_last_error: untrusted issuer, host name mismatch,
   expired, not valid yet, no CA bundle found, cannot read tls.ca_file, tls.ca_pem holds no
   certificate, cannot seed the random generator, handshake failed.
   Entropy: mbedTLS's CTR_DRBG (one per coin, per currency for a manager) is seeded from
   mbedTLS's entropy pool: its platform source (getrandom or /dev/urandom, BCryptGenRandom on
   Windows) and MBEDTLS_ENTROPY_HARDWARE_ALT where the program's mbedTLS has them, and, when
   BCE_RANDOM(buf, n) is defined, that hook as one more strong source. Under BCE_USE_LWIP the
   library never takes LWIP_RAND() for TLS (often rand()); with no source at all the first TLS
   connection fails with "cannot seed the random generator (... define BCE_RANDOM(buf, n))".
   The TLS handshake counts in connect_timeout_ms, runs inside the same non-blocking steps,
   and a closing connection sends close_notify.
   Versions: built and tested here against mbedTLS 2.28 (Debian 12's package; TLS 1.2) and
   3.6 LTS (3.6.6, Debian 13's source package, which `make test` fetches and builds once; TLS
   1.3, the default of 3.6's configuration, and TLS 1.2 against peers without 1.3). The 3.x
   differences are behind MBEDTLS_VERSION_NUMBER guards: psa_crypto_init before first use, and
   the TLS 1.3 new-session-ticket answer from mbedtls_ssl_read (read again). mbedTLS 3.6.6
   offers RSA-PSS signatures (for TLS 1.3) and then refuses them in a TLS 1.2 handshake, which
   is what an OpenSSL server that speaks only TLS 1.2 sends with an RSA certificate (the
   handshake fails with mbedTLS error -26112, "illegal parameter"); from 3.6.6 on, such a
   handshake is retried once, on a new TCP connection to the same address within the same
   connect_timeout_ms, at TLS 1.2 at most (where mbedTLS offers no RSA-PSS), verified as ever.
   An attacker on the path could force that TLS 1.2 retry from a server that also speaks TLS
   1.3 (the first ServerHello is not authenticated yet when it fails); TLS 1.2 with mbedTLS's
   default suites and verification is still what 2.28 always uses. On 3.x, PSA crypto is
   process-wide state that this library initialises but never frees (other code in the process
   may use it): a program that wants a clean leak report calls mbedtls_psa_crypto_free() at exit,
   after its last coin and manager are destroyed.
   Memory, measured with mbedTLS 2.28 defaults by bench/tls_memory.c (make bench): a TLS configuration with its CA chain is about 70 KiB per coin (per currency for
   a manager), and each TLS connection about 60 KiB, mostly the two 16 KiB record buffers.
   (2.28's entropy context alone is 37 KiB; 3.6's is 0.8 KiB.) Embedded builds shrink the
   record buffers with mbedTLS's own MBEDTLS_SSL_IN_CONTENT_LEN and MBEDTLS_SSL_OUT_CONTENT_LEN:
   when either is below 16384 this library asks the server for records that fit the smaller
   one (the max_fragment_length extension, 512 to 4096 bytes; OpenSSL servers honour it), so
   that nothing larger arrives. mbedTLS sends it in TLS 1.2 only, so such a build leaves
   MBEDTLS_SSL_PROTO_TLS1_3 out. The embedded TLS profile, bench/mbedtls_small_config.h
   (MBEDTLS_SSL_IN_CONTENT_LEN 4096, since the server's whole certificate chain must fit in the
   input buffer; MBEDTLS_SSL_OUT_CONTENT_LEN 1024, so 1 KiB records; and
   MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH, which shrinks both buffers to 1 KiB after the
   handshake): one wss:// coin in the embedded profile (see PERFORMANCE AND EMBEDDED USE), websocket and its https
   catch-up call with one CA certificate, peaks at 36,664 bytes of heap on mbedTLS 3.6.6,
   library and mbedTLS together, x86-64 (make bench; mbedTLS's own share 27,687 bytes).
   On a microcontroller (run here: TLS over lwIP in make test-lwip; built and linked for a
   Cortex-M4 in make embedded, see PORTABILITY): BCE_USE_LWIP and BCE_USE_MBEDTLS, the CA in
   memory (tls.ca_pem), BCE_NOW_MS and BCE_RANDOM from the firmware, and an mbedTLS 3.6 built
   with the embedded TLS profile above plus what bare metal lacks, as in tests/embedded/
   mbedtls_arm_config.h: MBEDTLS_FS_IO, MBEDTLS_NET_C, MBEDTLS_TIMING_C, MBEDTLS_PSA_ITS_FILE_C
   and MBEDTLS_PSA_CRYPTO_STORAGE_C off; MBEDTLS_NO_PLATFORM_ENTROPY with
   MBEDTLS_ENTROPY_HARDWARE_ALT (the firmware's mbedtls_hardware_poll: it also seeds PSA
   crypto, which psa_crypto_init needs on 3.x and which BCE_RANDOM does not reach);
   MBEDTLS_PLATFORM_MS_TIME_ALT (mbedtls_ms_time from the tick counter) and time() from a
   real-time clock, since certificates' dates are checked; MBEDTLS_SELF_TEST and
   MBEDTLS_DEBUG_C off (they print); the AES tables in flash (MBEDTLS_AES_ROM_TABLES,
   MBEDTLS_AES_FEWER_TABLES; else 8 KiB of RAM). ESP-IDF's mbedtls component is configured
   that way already (hardware entropy; no file system needed with tls.ca_pem). Flash: TLS adds
   about 176 KiB on a Cortex-M4 with mbedTLS's default algorithms (make bench); leaving out the
   ciphers, curves and hashes the daemon's TLS does not use shrinks that.

   RECONNECTS, CATCH-UP AND WHAT IS DELIVERED
   ------------------------------------------
   The daemon's websocket has no replay: events fired while the socket is down are gone from
   it. The daemon also keeps, per loaded wallet, a get_updates queue of the last POLLING_CAP
   (default 100) updates. So, after every successful connect, the library calls get_updates
   for the wallet (a manager: for every wallet of that currency, in turn) over its JSON-RPC
   connection, while the websocket keeps flowing. That call also loads the wallet again into a
   daemon that restarted (a daemon only sends events for wallets some call has named, and
   forgets them all when it restarts). While connected it drains the queue again every
   drain_interval_ms (30 s), so that an event the websocket somehow missed still arrives.
   These periodic drains are paced: at most drain_rate (20) calls a second per currency, one
   wallet after the other, so a daemon serving N wallets sees at most 20 calls a second
   however large N is; the price is time: an event the websocket missed arrives within about
   drain_interval_ms + N / drain_rate seconds (10,000 wallets: 30 s + 500 s). The catch-up
   round after a (re)connect is not paced: it calls every wallet as fast as the daemon
   answers, because that is when events were surely missed.
   With disable_catch_up, the library instead calls getbalance for the wallet (a manager: for
   each wallet) after every connect: it names the wallet, so the daemon loads it, without
   emptying its queue; every coin daemon has it and answers -32005 for a key it cannot load.
   A failed getbalance is retried after BCE_CATCHUP_RETRY_MS (a manager: its round).
   disable_wallet_load turns it off (for servers that speak only the websocket: then a daemon
   may send nothing).
   An update that comes both ways is dispatched once: the library remembers the last
   dedup_entries (256) updates per wallet held that the websocket delivered (pooled per
   currency: a busy wallet may use a quiet one's share) and matches the queue against them; a queued update it delivered first swallows its websocket twin for 10 s.
   Global events (new_block) sit in every loaded wallet's queue and go once to the websocket.
   The rule: a new_block found by catch-up is not delivered when the same update was
   delivered lately (the last BCE_DEDUP_GLOBAL of the currency) by either path; a new_block
   on the websocket is delivered unless catch-up delivered that update first (then it is its
   twin, skipped once, within BCE_DEDUP_TWIN_MS). So the daemon's own repeats on the websocket
   are delivered as sent, such as the current height a restarted daemon announces again (it
   forgets its last height). Other real repeats from the daemon (the same update sent twice
   on one path) are delivered twice too, as sent.
   What can still be lost: more than POLLING_CAP updates of one wallet while the socket is
   down (the daemon drops the oldest), everything a daemon held in memory when it died, a
   get_updates answer cut off in flight (the daemon emptied the queue when it answered; no
   client can ask for it again), and an event the daemon fails to send on a websocket that is
   being cut (it sends to the websockets before it queues, and an event whose send fails is
   neither delivered nor queued). A coin with a wallet ignores websocket events of other
   wallets (a daemon sends everything until it has read the coin's filter).
   Order: after every (re)connect the library holds the websocket's updates until the catch-up
   answer has been dispatched (a manager: until its round over every wallet of the currency
   has), then dispatches the held ones that the answer did not contain, in arrival order. So
   updates come oldest first per wallet across reconnects: what the daemon queued while the
   socket was down, then what the new socket brought. Updates from the websocket keep their
   order. Costs: while the catch-up call runs (bounded by rpc_timeout_ms; a daemon's first call
   for a wallet may wait for its sync) websocket updates are delayed, and kept in memory up to
   BCE_CATCHUP_HOLD_BYTES (4 MiB) per coin or currency; past that, the held ones and the rest
   are dispatched at once (logged), before the answer. A failed catch-up call releases them at
   once (a manager: the first failed call of the round, so a hanging daemon delays them by
   one rpc_timeout_ms, not one per wallet), and is retried after BCE_CATCHUP_RETRY_MS (a
   manager: the whole round). bce_stop drops held updates (the daemon's queue still holds
   them unless the abandoned call had emptied it). Periodic drains (drain_interval_ms) do not
   hold: an update they find was missed by the websocket and comes after newer ones.
   disable_catch_up_hold = 1 dispatches websocket updates as they arrive (the earlier
   behaviour): a catch-up update may then come after newer websocket ones.
   Reconnects: after any close or failed attempt, the next attempt comes after a delay that
   starts at reconnect_min_ms and doubles per failure up to reconnect_max_ms, each drawn
   between half the delay and the delay (jitter); a connection that stayed up 5 s resets it.
   A close code of the daemon, a dropped TCP connection (1006), a protocol violation by the
   daemon (1002, 1007, 1009: the library closes with that code) and a dead peer all lead to a
   reconnect. (1007, text that is not valid UTF-8: the JSON scan of a message checks its UTF-8,
   so a message is checked once; text that is not JSON is checked apart, and skipped when it is
   valid UTF-8.) A dead or frozen daemon is noticed by pings: after ping_interval_ms without any
   traffic the client pings, and if nothing arrives within pong_timeout_ms the connection is
   dropped (1006) and reconnected. A wrong password ends the run with BCE_ERR_AUTH at once,
   a wallet the daemon cannot load, 3 times in a row, with BCE_ERR_WALLET ("Errors from the
   daemon" above).
   Polling (bce_poll_updates) has none of this: it hands over what each get_updates returns
   (a manager's polling dispatches a new_block once per wallet, like the SDK).

   PERFORMANCE AND EMBEDDED USE
   ----------------------------
   A document of at most 16 bytes per allowed token (max_json_tokens) that fits in the token
   limit is validated and tokenized in one pass and dispatched from its tokens; a larger one
   is validated first, then tokenized one update at a time. A websocket message is one pass,
   which also checks its UTF-8 (RFC 6455 asks for that; text that is not JSON is checked apart).
   A get_updates answer is validated and tokenized once, as the JSON-RPC answer, and
   dispatched from those tokens (parsed again only when something else was parsed in between,
   such as a websocket message on the same coin or another call of the same manager); an
   answer longer than 16 bytes per allowed token is validated, its members found, and its
   updates tokenized one at a time (see LIMITS). Either way nothing is delivered before the whole
   document is known to be valid. The token array (24 bytes a token) grows to the largest such
   document and is kept. Measured with bench/ (make bench, bench/RESULTS.md).
   RAM for one listening coin (websocket + a catch-up call answering 20 updates, the same 20
   events over the websocket while the call is in flight; bench/embedded.c, glibc): the
   library's heap high-water mark is 64 KiB with the defaults (x86-64) and, with the embedded
   profile below, 10,188 bytes on i386 (ILP32: the Cortex-M4's type sizes) and 11,160 bytes on
   x86-64; peak RSS is about 0.5 MiB above the same program doing nothing.
   With TLS (mbedTLS 2.28 defaults, one websocket connection and the JSON-RPC connection) the
   process heap peaks near 200 KiB (142 KiB with the profile), most of it mbedTLS's 16 KiB
   record buffers and the CA chain, and peak RSS is about 1 MiB above the bare program; shrink
   it with MBEDTLS_SSL_IN_CONTENT_LEN / MBEDTLS_SSL_OUT_CONTENT_LEN (see TLS) and a CA file
   holding only the daemon's CA (tls.ca_file): the embedded TLS profile on mbedTLS 3.6 peaks at
   36,664 bytes, library and mbedTLS together.
   The embedded profile: compile with
       -DBCE_WS_RECV_BYTES=1024 -DBCE_RPC_RECV_STEP=1024 -DBCE_URL_HOST_MAX=63 -DBCE_URL_PATH_MAX=63
   (add -DBCE_NO_DNS -DBCE_NO_STDIO for the smallest binary) and set
       desc.limits.max_json_tokens = 32;      desc.limits.max_header_bytes = 4096;
       desc.limits.max_response_bytes = 65536; opts.max_message_bytes = 16384;
       opts.dedup_entries = 16;
   (an update, or a websocket message carrying one, is 10-20 tokens and a few hundred bytes;
   get_updates returns at most 100, tokenized one update at a time under this limit; the
   buffers grow on demand within the limits). bce_rpc_error_name tokenizes the daemon's /spec
   whole (about 100 tokens): raise max_json_tokens to 128 if you call it. Where the bytes go
   (i386, broken down at 10,172 bytes, before tls.ca_pem; x86-64 in brackets): the coin 428
   (560) and its strings 102; its runtime (run, link with both connections' state, dispatcher)
   1,480 (2,112); the Authorization header 64; the websocket's subscribe message 34, send buffer
   512 and receive buffer 1,024; the websocket messages held while the catch-up call is in
   flight 2,048; the JSON-RPC request 1,024 and receive buffer 2,048; 16 tokens 384; the
   deduplication records 320 + 640 (384 + 768); the event arena 64.
   bench/min_listener.c, one coin printing tx ids, is 64,856 bytes as a static, stripped musl
   binary with -Os, BCE_NO_DNS and BCE_NO_STDIO (no TLS).

   SECURITY
   --------
   Network input is treated as hostile: every parser bounds-checks, every size has a limit and
   every loop over network input a bound in time (see LIMITS and TIME).
   Log messages never contain passwords; text from the network is cut to 80 bytes and made
   printable before it is logged (bce_coin_last_rpc_error hands out up to 1 KiB of the
   daemon's message, with control characters replaced). TLS certificate verification is on
   by default. The copies of the password, the Authorization header and every request buffer
   holding it are wiped before their memory is freed (mbedTLS wipes its own record buffers).

   LIMITS
   ------
   Every buffer, list and wait has a bound. Run-time bounds are the desc and opts fields above
   (limits.*, max_message_bytes, dedup_entries, the *_ms fields). What happens at each:
     limits.max_json_tokens   one update for bce_process_updates (that update is skipped and
                              logged); a whole websocket message (all its updates are skipped,
                              logged "websocket message skipped: over a limit"); a JSON-RPC
                              answer: tokenized whole when it fits, else validated and only
                              its top-level members found, its "error" object held to the
                              limit (the call fails with BCE_ERR_LIMIT) and its result
                              handed over as text: a get_updates result is then tokenized one
                              update at a time, each update held to the limit as in
                              bce_process_updates (so the token array of a small limit serves
                              answers of many updates); the /spec answer of
                              bce_rpc_error_name whole (BCE_ERR_LIMIT)
     limits.max_json_depth    as max_json_tokens
     limits.max_header_bytes  the status lines and headers of one HTTP answer, its interim 1xx
                              answers, chunk extensions and trailers counted together, and
                              of the websocket upgrade answer: BCE_ERR_LIMIT
     limits.max_response_bytes  the body of a JSON-RPC answer (Content-Length, chunked or read
                              until close), and the receive buffer with it: BCE_ERR_LIMIT
     max_message_bytes        one websocket message, fragments joined: closed with 1009; the
                              send queue (pongs, closes) holds max_message_bytes + 64 KiB, and a
                              peer that never reads our answers is closed with 1008
     dedup_entries            at most BCE_DEDUP_ENTRIES_MAX (65536), else BCE_ERR_INVALID_ARG;
                              the bound (per wallet held) is taken at every begin and when
                              a wallet is added
     limits.max_wallets       bce_manager_add_wallet returns NULL once reached
   A get_updates answer refused by one of these limits is lost: the daemon emptied the queue
   when it answered. Keep the limits above what your daemon sends (POLLING_CAP updates).
   Sums: a JSON-RPC receive buffer is bounded by max_header_bytes + max_response_bytes + 64 +
   2 * BCE_RPC_RECV_STEP, a websocket's by max_message_bytes + max_header_bytes + 65552. Where
   such a sum does not fit a size_t (32-bit builds: e.g. UINT32_MAX meant as "no limit"), the
   value is refused: bce_coin_create returns NULL and bce_manager_configure BCE_ERR_INVALID_ARG,
   each logging "... too large for this build (size_t)"; the websocket begin and start calls
   return BCE_ERR_INVALID_ARG with the reason in bce_coin_last_error (a manager logs it). A
   frame length is never added to anything that can wrap.
   Compile-time bounds, each overridable with -D before the implementation:
     BCE_LOG_LINE_MAX         256   one log line and last_error, with the NUL; a longer one
                                    ends in "..."
     BCE_LOG_NET_TEXT_MAX     80    text from the network quoted in a log line ("..." after)
     BCE_URL_HOST_MAX         255   a URL's host; BCE_URL_PATH_MAX 511: its path (longer URLs
                                    are refused by create and configure)
     BCE_HTTP_LINE_MAX        1024  a chunk-size line or a trailer line: BCE_ERR_HTTP
     BCE_HTTP_INTERIM_MAX     32    interim 1xx answers before the final one: BCE_ERR_LIMIT
     BCE_IO_SLICE_BYTES       65536 bytes one connection reads per step (see TIME below)
     BCE_WS_REFUSED_BODY_MAX  65536 the body of a refused websocket upgrade: BCE_ERR_LIMIT
     BCE_WS_READ_ROUNDS       16    websocket reads per step before timers get a turn
     BCE_WS_CLOSE_WAIT_MS     1000  wait for the peer's close frame after ours
     BCE_WS_STABLE_MS         5000  a connection up this long resets the reconnect delay
     BCE_CATCHUP_RETRY_MS     2000  a failed catch-up or wallet-loading call is retried after
                                    this (a manager's: the currency's whole round)
     BCE_WALLET_ERROR_TRIES   3     -32005/-32000 answers in a row for one wallet that end a
                                    listening run with BCE_ERR_WALLET
     BCE_DEDUP_TWINS          256   per wallet held (pooled per currency): queue-delivered
                                    updates awaiting their websocket
                                    twin (the oldest is forgotten when full; its twin, if it
                                    still comes, is delivered again)
     BCE_DEDUP_TWIN_MS        10000 how long such an update waits
     BCE_CATCHUP_HOLD_BYTES   4 MiB websocket messages held per coin (per currency for a
                                    manager) while the catch-up runs: see Order
     BCE_DEDUP_GLOBAL         64    global events (new_block) remembered per currency, and as
                                    many awaiting their websocket twin
     BCE_RPC_MESSAGE_MAX      1024  bce_coin_last_rpc_error's message, with its NUL (the
                                    buffer is allocated at the first error answer)
     /spec table              16 KiB at most, kept per coin by bce_rpc_error_name (what it
                                    holds, no more): names up to 63 bytes, docstrings up to
                                    255, printable ASCII; exceptions past 16 KiB are left out
     BCE_JSON_MAX_DEPTH_LIMIT 1024  the largest max_json_depth (fixed: it sizes a stack array)
   Fixed by the protocol: control frames 125 bytes, close reasons 123 bytes, JSON input below
   4 GiB, currency names as listed above. A manager's wallet costs its coin (about 560 bytes
   on 64-bit) and one block holding its strings (the key twice, as given and as JSON, the
   settings' URL, user and password): about 0.9 KiB with a 111-character xpub; its runtime
   (JSON-RPC client, websocket, buffers) is the currency's, shared, unless a bce_rpc call on
   the wallet's coin makes one of its own. The deduplication records grow with what happened,
   not with the wallets: 24 bytes per update the websocket delivered until its wallet's next
   drain (at most dedup_entries per wallet held), 24 per catch-up update awaiting its twin
   (at most BCE_DEDUP_TWINS per wallet held, for BCE_DEDUP_TWIN_MS); an idle wallet costs
   nothing there. bench/scale.c measures it (make bench).

   TIME
   ----
   Time is bounded like size: whatever a daemon or TLS peer sends, and however fast or slowly
   it sends it (floods of interim 1xx answers, one byte every few ms, endless headers, chunk
   extensions or trailers, millions of 1-byte chunks, endless TLS warning alerts before or
   after the handshake), these hold (tests/test_hostile.c checks each against a hostile peer:
   tests/http_peer.py, tests/tls_flood.py, tests/tls_alert_server.c):
     bce_rpc                  returns within rpc_timeout_ms (+ about 100 ms): BCE_ERR_TIMEOUT;
                              the connect counts in it (a connect_timeout_ms longer than
                              rpc_timeout_ms does not extend the call)
     a late step              a step that comes after a call's deadline (the caller was busy
                              for longer than rpc_timeout_ms, or connect_timeout_ms during the
                              websocket upgrade) still reads what has arrived, one slice of
                              BCE_IO_SLICE_BYTES without waiting: an answer complete within
                              it is accepted (the daemon answered in time; a get_updates answer
                              thrown away would be lost), else the call fails with
                              BCE_ERR_TIMEOUT
     a connect                TCP, TLS and the websocket upgrade answer within
                              connect_timeout_ms (+ about 100 ms): BCE_ERR_TIMEOUT, else the
                              limit it broke
     one *_step(..., 0)       reads at most BCE_IO_SLICE_BYTES per connection, so it returns
                              within a few milliseconds (plus the parse of one complete
                              message or answer, which its size limit bounds); when a slice
                              ends before the socket is drained, *_timeout_ms is 0 so that
                              the rest is read at once (TLS may hold bytes poll(2) cannot see).
                              Over TLS the slice counts raw input, each read as at least
                              1 KiB: mbedTLS skips warning alerts and empty records without
                              returning, so its input callback stops at the slice, the
                              deadline or the stop flag. A step that handles a TLS handshake
                              message also pays its public-key operations (milliseconds)
     bce_stop                 takes effect within 100 ms: every read loop checks the stop flag,
                              and a blocking call's wait wakes at once; bce_rpc then returns
                              BCE_ERR_CLOSED ("stopped")
     a manager                one currency's daemon cannot delay the others' delivery by more
                              than one slice per step
   Parsing is linear in what arrives however it is split: interim answers and chunk framing are
   skipped by offset, not moved per piece. What a hostile peer can still do: make each call run
   to its timeout (a daemon can always answer slowly), make calls fail with BCE_ERR_LIMIT,
   BCE_ERR_HTTP or BCE_ERR_TIMEOUT (logged and retried as for any failed call), and use memory
   up to the configured limits. Name resolution (getaddrinfo) is outside these bounds (see
   URLS).
*/
#ifndef BITCART_EVENTS_H
#define BITCART_EVENTS_H

/* The implementation uses POSIX sockets, poll and clock_gettime, which strict C (-std=c99)
   hides unless a feature macro asks for them. Include this header first in the file that
   defines BITCART_EVENTS_IMPLEMENTATION, or build with -D_POSIX_C_SOURCE=200809L. */
#if defined(BITCART_EVENTS_IMPLEMENTATION) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) \
    && !defined(_DEFAULT_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif

#define BCE_VERSION_MAJOR 0
#define BCE_VERSION_MINOR 1
#define BCE_VERSION_PATCH 0
#define BCE_VERSION_STRING "0.1.0"

#include <stddef.h>
#include <stdint.h>

#ifdef BCE_STATIC
#define BCE_API static
#else
#define BCE_API extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ------------------------------------------------------------------------- */

typedef enum bce_result_t {
    BCE_OK              =   0,
    BCE_ERR_INVALID_ARG =  -1,  /* caller passed something unusable */
    BCE_ERR_NOMEM       =  -2,
    BCE_ERR_CONNECT     =  -3,  /* DNS, TCP connect, connection reset or refused */
    BCE_ERR_TIMEOUT     =  -4,
    BCE_ERR_TLS         =  -5,  /* handshake/verification failed, or built without TLS */
    BCE_ERR_HTTP        =  -6,  /* malformed or unexpected HTTP response */
    BCE_ERR_AUTH        =  -7,  /* daemon said Unauthorized (-32600) */
    BCE_ERR_RPC         =  -8,  /* any other JSON-RPC error; details in bce_coin_last_error */
    BCE_ERR_JSON        =  -9,  /* malformed JSON */
    BCE_ERR_WS          = -10,  /* websocket protocol violation by the peer */
    BCE_ERR_CLOSED      = -11,  /* connection closed and not reconnecting */
    BCE_ERR_LIMIT       = -12,  /* a size limit was exceeded (message, tokens, buffer) */
    BCE_ERR_UNSUPPORTED = -13,  /* unknown currency, scheme, ... */
    BCE_ERR_STATE       = -14,  /* call not allowed now (e.g. blocking call inside a handler) */
    BCE_ERR_WALLET      = -15   /* a listening run: the daemon could not load the wallet (JSON-RPC
                                   -32005 or -32000, BCE_WALLET_ERROR_TRIES times in a row) */
} bce_result_t;

/* A short English name for a result ("BCE_ERR_AUTH: authentication failed"). Never NULL;
   unknown values give "unknown result". The string is static. */
BCE_API const char *bce_result_str(int result);

/* ---- logging, memory ----------------------------------------------------------------- */

enum { BCE_LOG_ERROR = 1, BCE_LOG_WARN = 2, BCE_LOG_INFO = 3, BCE_LOG_DEBUG = 4 };

/* fn receives one line, without a trailing newline, valid only during the call. Messages
   never contain passwords; text that came from the network is cut to 80 bytes and anything
   outside printable ASCII is shown as '?'. */
typedef struct bce_logger_t {
    void (*fn)(int level, const char *message, void *user_data);   /* NULL: the default logger */
    void *user_data;
    int level;                  /* most verbose level passed to fn; default BCE_LOG_WARN */
} bce_logger_t;

/* A run-time allocator. Both functions or neither; NULL: BCE_MALLOC / BCE_FREE (malloc/free).
   free receives only pointers that alloc returned (never NULL). */
typedef struct bce_allocator_t {
    void *(*alloc)(size_t size, void *user_data);
    void (*free)(void *ptr, void *user_data);
    void *user_data;
} bce_allocator_t;

/* ---- JSON tokenizer (usable on its own) ------------------------------------------------ */

typedef enum bce_json_type_t {
    BCE_JSON_NONE = 0, BCE_JSON_OBJECT, BCE_JSON_ARRAY, BCE_JSON_STRING, BCE_JSON_NUMBER,
    BCE_JSON_TRUE, BCE_JSON_FALSE, BCE_JSON_NULL
} bce_json_type_t;

/* One token. Offsets index the parsed text. An object's members are key/value token pairs:
   the key at k, its value at k + 1, the next key at tokens[k + 1].next. */
typedef struct bce_json_token_t {
    uint32_t start;     /* first byte; strings: the byte after the opening quote */
    uint32_t end;       /* one past the last byte; strings: the closing quote */
    uint32_t next;      /* index of the first token after this value and all it contains */
    uint32_t size;      /* objects: members; arrays: elements; otherwise 0 */
    uint8_t  type;      /* a bce_json_type_t */
    uint8_t  escaped;   /* strings: 1 when the text holds backslash escapes */
    /* private: the library's own state, do not touch (here only so that the token's size is
       known; members ending in '_' are private in every public struct) */
    uint16_t reserved_;
    uint32_t memo_;     /* bce_event_str: where this string was decoded (arena offset + 1) */
} bce_json_token_t;

#define BCE_JSON_MAX_DEPTH_LIMIT 1024   /* the largest max_depth accepted */

typedef struct bce_json_desc_t {
    uint32_t max_tokens;        /* tokens one parse may produce; default 65536 */
    int max_depth;              /* nesting; default 64, at most BCE_JSON_MAX_DEPTH_LIMIT */
    bce_allocator_t allocator;  /* default: BCE_MALLOC / BCE_FREE */
} bce_json_desc_t;

/* A reusable tokenizer: the token array grows on demand up to max_tokens and is kept for the
   next parse, so a warm parser does not allocate. Initialise with bce_json_init. */
typedef struct bce_json_t {
    bce_json_token_t *tokens;   /* the tokens of the last successful parse */
    uint32_t count;             /* how many */
    uint32_t capacity;          /* tokens allocated */
    bce_json_desc_t desc;       /* as given to bce_json_init, defaults filled in */
    size_t error_offset;        /* byte offset of the last failure */
    const char *error;          /* static text of the last failure, "" if none */
    /* private: the library's own state, do not touch (here only so that a bce_json_t can be
       declared by value) */
    uint32_t parses_;           /* bumped whenever the tokens are rewritten */
} bce_json_t;

/* Sets up p (nothing is allocated yet). desc may be NULL. BCE_ERR_INVALID_ARG on bad limits. */
BCE_API int  bce_json_init(bce_json_t *p, const bce_json_desc_t *desc);
/* Frees the token array; p may be initialised again. */
BCE_API void bce_json_release(bce_json_t *p);
/* Strict RFC 8259 parse of the whole text (one value, whitespace around it allowed). Returns the
   token count (> 0), or BCE_ERR_JSON (malformed; see error/error_offset), BCE_ERR_LIMIT (depth,
   token or 4 GiB size limit) or BCE_ERR_NOMEM. Linear time; no recursion. */
BCE_API int  bce_json_parse(bce_json_t *p, const char *json, size_t len);
/* The same checks without producing tokens and without allocating. BCE_OK or an error;
   error_offset may be NULL. max_depth 0 means 64. */
BCE_API int  bce_json_validate(const char *json, size_t len, int max_depth, size_t *error_offset);
/* Index of the value of member `key` (exact, after unescaping) of the object at tokens[obj];
   0 when absent or when tokens[obj] is not an object. First match wins for duplicate keys. */
BCE_API uint32_t bce_json_find(const char *json, const bce_json_token_t *tokens, uint32_t obj,
                               const char *key);
/* Decodes a string token into out (NUL-terminated, escapes resolved to UTF-8). *out_len gets the
   decoded length without the NUL (even when out is too small). BCE_ERR_LIMIT if out_cap is too
   small, BCE_ERR_INVALID_ARG if the token is not a string. out may be NULL when out_cap is 0. */
BCE_API int  bce_json_string(const char *json, const bce_json_token_t *tok, char *out,
                             size_t out_cap, size_t *out_len);
/* 1 and *out set when the token is an integer number (no fraction, no exponent) that fits a
   64-bit signed integer exactly; 0 otherwise (including overflow). */
BCE_API int  bce_json_int(const char *json, const bce_json_token_t *tok, long long *out);

/* ---- coins --------------------------------------------------------------------------- */

typedef struct bce_coin_t bce_coin_t;
typedef struct bce_manager_t bce_manager_t;
typedef struct bce_event_t bce_event_t;

typedef struct bce_coin_desc_t {
    const char *currency;       /* "BTC" by default; case-insensitive; sets default URL + accepted events */
    const char *url;            /* default "http://localhost:<currency port>"; https:// needs TLS built in */
    const char *user;           /* default "electrum"; must not contain ':' */
    const char *password;       /* default "electrumz" */
    const char *xpub;           /* the wallet (xpub, seed, address, view key); NULL: no wallet */
    const char *contract;       /* token contract for ETH/BNB/MATIC/TRX wallets; optional */
    const char *address;        /* XMR primary address, with the view key in xpub; optional */
    int connect_timeout_ms;     /* DNS + TCP + TLS + handshake; default 10000 */
    int rpc_timeout_ms;         /* one JSON-RPC call; default 300000 (a first call may wait for wallet sync) */
    struct {
        const char *ca_file;    /* PEM bundle; default: the system's CA bundle */
        int skip_verify;        /* 1: accept any certificate (loudly logged); default 0 */
        const char *ca_pem;     /* trusted CAs in memory: PEM text (NUL-terminated); with
                                   ca_file, both are trusted; either one: no system bundle */
    } tls;
    bce_logger_t logger;        /* default: warnings and errors to stderr */
    bce_allocator_t allocator;  /* default: BCE_MALLOC / BCE_FREE */
    struct {
        uint32_t max_json_tokens;   /* tokens in one update or message; default 65536 */
        int max_json_depth;         /* JSON nesting; default 64 (at most BCE_JSON_MAX_DEPTH_LIMIT) */
        uint32_t max_header_bytes;  /* HTTP response header block; default 16384 */
        uint32_t max_response_bytes;/* HTTP response body; default 16 MiB */
    } limits;
} bce_coin_desc_t;

/* Creates a coin: one wallet (or none) on one daemon. Every string is copied. NULL on a bad desc
   (unknown currency, ':' in user, bad limits; the reason goes to the desc's logger) or no memory. */
BCE_API bce_coin_t *bce_coin_create(const bce_coin_desc_t *desc);
/* Frees the coin. NULL is fine. Coins that belong to a manager are freed by the manager. */
BCE_API void        bce_coin_destroy(bce_coin_t *coin);
BCE_API const char *bce_coin_currency(const bce_coin_t *coin);      /* upper-case, e.g. "BTC" */
BCE_API const char *bce_coin_xpub(const bce_coin_t *coin);          /* NULL when no wallet */
/* The wallet key: xpub, xpub + "_" + contract for token wallets, the view key for XMR; NULL
   when no wallet. This is the string that names the wallet in websocket messages. */
BCE_API const char *bce_coin_wallet_key(const bce_coin_t *coin);
BCE_API const char *bce_coin_url(const bce_coin_t *coin);
/* Human text of the last failure, "" if none. Valid until the next call on this coin. */
BCE_API const char *bce_coin_last_error(const bce_coin_t *coin);

/* ---- handlers ------------------------------------------------------------------------ */

typedef void (*bce_handler_fn)(const bce_event_t *event, void *user_data);

/* Registers fn for one event name or several separated by commas and/or spaces
   ("new_transaction, new_payment"). Names: new_block, new_transaction, new_payment,
   verified_tx. One handler per event: registering again replaces it; fn NULL removes it.
   BCE_OK, or BCE_ERR_INVALID_ARG (empty list or unknown name: then nothing changes).
   Handlers must return normally (no longjmp, no C++ exception through the library). */
BCE_API int bce_on(bce_coin_t *coin, const char *events, bce_handler_fn fn, void *user_data);
BCE_API int bce_add_event_handler(bce_coin_t *coin, const char *events, bce_handler_fn fn,
                                  void *user_data);

/* ---- inside a handler: the event ----------------------------------------------------- */
/* Every pointer below is valid only until the handler returns. */

BCE_API const char *bce_event_name(const bce_event_t *ev);      /* "new_payment" */
BCE_API bce_coin_t *bce_event_instance(const bce_event_t *ev);  /* the wallet's coin; never NULL */
BCE_API const char *bce_event_currency(const bce_event_t *ev);  /* "BTC" */
BCE_API const char *bce_event_wallet(const bce_event_t *ev);    /* wallet key, or NULL for global events */
/* 1 if the update has argument `arg` (any key other than "event"). */
BCE_API int         bce_event_has(const bce_event_t *ev, const char *arg);
/* The decoded, NUL-terminated string value; NULL if absent or not a string. A string holding
   \u0000 ends early here: use bce_event_json for the exact text. */
BCE_API const char *bce_event_str(const bce_event_t *ev, const char *arg);
/* 1 and *out when present and an integer that fits 64 bits (overflow gives 0). */
BCE_API int         bce_event_int(const bce_event_t *ev, const char *arg, long long *out);
/* Raw JSON text of an argument (arrays, null, numbers, quoted strings), not NUL-terminated;
   arg NULL: the whole update object. NULL if absent. len may be NULL. */
BCE_API const char *bce_event_json(const bce_event_t *ev, const char *arg, size_t *len);

/* ---- delivery ------------------------------------------------------------------------ */

/* Manual delivery: `json` is a complete JSON array of update objects, as get_updates returns
   it. The whole text is validated first: when it is malformed, a negative result comes back and
   no handler runs. Returns the number of handler calls made. Not incremental: hand over whole
   documents (the websocket and HTTP layers reassemble them). Items that are not objects, and
   events that are missing or not accepted for the coin's currency, are skipped and logged.
   BCE_ERR_STATE when called from inside a handler of the same coin. */
BCE_API int bce_process_updates(bce_coin_t *coin, const char *json, size_t len);

/* Polling: calls get_updates every interval_ms (0: 1000 ms) and dispatches what it returns.
   Blocks until bce_stop (then BCE_OK). Failed calls are logged and retried after the interval,
   except an authentication failure (BCE_ERR_AUTH) and -32601 (BCE_ERR_RPC), which end it,
   and -32005/-32000, which end it with BCE_ERR_WALLET when they came on
   BCE_WALLET_ERROR_TRIES polls in a row ("Errors from the daemon" above). Needs a wallet
   (BCE_ERR_INVALID_ARG). BCE_ERR_STATE inside a handler or while the coin runs something. */
BCE_API int bce_poll_updates(bce_coin_t *coin, int interval_ms);

#ifndef BCE_DRAIN_RATE_DEFAULT
#define BCE_DRAIN_RATE_DEFAULT 20   /* bce_ws_opts_t.drain_rate's default */
#endif

typedef struct bce_ws_opts_t {
    /* the SDK's reconnect_callback: after every successful (re)connect; currency is the coin's */
    void (*on_connect)(bce_coin_t *coin, const char *currency, void *user_data);
    void *user_data;
    int force_connect;       /* 0: a failed first connection returns an error; 1: keep retrying */
    int disable_reconnect;   /* 0 (default): reconnect after every close, like auto_reconnect=True */
    int reconnect_min_ms;    /* first retry delay; default 250; doubles per failure, with jitter */
    int reconnect_max_ms;    /* cap on the retry delay; default 30000 */
    int ping_interval_ms;    /* client ping after this long without traffic; default 15000; <0 disables */
    int pong_timeout_ms;     /* no traffic this long after a ping: the connection is dead; default 10000 */
    int disable_catch_up;    /* 0 (default): get_updates after every connect, see below */
    /* after every close or failed attempt; code is the close code (1006 when none was received) */
    void (*on_disconnect)(bce_coin_t *coin, int code, const char *reason, void *user_data);
    /* additions to the SDK's options */
    int drain_interval_ms;   /* get_updates also this often while connected; default 30000; <0: only at connect */
    uint32_t max_message_bytes; /* largest websocket message; default 1 MiB; bigger ones close with 1009 */
    uint32_t dedup_entries;  /* updates remembered per wallet held (pooled per currency) to match the two paths; default 256
                                (keep it above the daemon's POLLING_CAP, 100 by default) */
    int disable_catch_up_hold; /* 0 (default): after a connect, websocket updates wait until the
                                catch-up answer was dispatched (order kept); 1: dispatched at once */
    int disable_wallet_load; /* with disable_catch_up: 0 (default): one getbalance per wallet after
                                every connect, so that the daemon loads the wallet; 1: no
                                JSON-RPC call at all (a server that speaks only the websocket) */
    int drain_rate;          /* periodic drains: at most this many get_updates calls per second per
                                currency; default BCE_DRAIN_RATE_DEFAULT (20); <0: no limit. The
                                catch-up round after a connect is not paced */
} bce_ws_opts_t;

/* Websocket: connects to <url origin + path>/ws, sends {"xpub":"<wallet key>"} when the coin has
   a wallet, dispatches every update it receives, reconnects as configured. Blocks until
   bce_stop (returns BCE_OK), or returns an error: a failed first connection without
   force_connect, BCE_ERR_AUTH, -32601 from the catch-up or wallet-loading call (BCE_ERR_RPC),
   -32005/-32000 from it BCE_WALLET_ERROR_TRIES times in a row (BCE_ERR_WALLET, retried
   BCE_CATCHUP_RETRY_MS apart), or the close when reconnecting is disabled
   (BCE_ERR_CLOSED).
   Catch-up: after every successful connect (and every drain_interval_ms while connected) the
   library calls get_updates for the wallet over the JSON-RPC connection, without blocking the
   websocket. That reloads the wallet into a daemon that restarted and hands over what the
   daemon queued while the socket was down. An update that arrives both ways is dispatched once.
   With disable_catch_up, a getbalance after every connect loads the wallet instead (unless
   disable_wallet_load). opts may be NULL. */
BCE_API int bce_start_websocket(bce_coin_t *coin, const bce_ws_opts_t *opts);

/* Ends a running bce_poll_updates / bce_start_websocket / bce_rpc / step-driven activity
   within 100 ms, whatever the daemon sends: the waiting step wakes at once. Safe from a
   handler, from another thread and from a signal handler. */
BCE_API void bce_stop(bce_coin_t *coin);

/* ---- non-blocking core --------------------------------------------------------------- */
/* For your own poll/epoll/select loop. Start an activity (bce_coin_start_polling), then
   repeatedly: ask for the descriptors and the timeout, wait on them, call the step function.
   The blocking calls are exactly this loop. Descriptors change between steps: ask each time. */

enum { BCE_WANT_READ = 1, BCE_WANT_WRITE = 2 };
typedef struct bce_fd_t {
    int fd;                     /* Windows: a SOCKET, (SOCKET)(intptr_t)fd (see PORTABILITY) */
    int events;                 /* BCE_WANT_READ and/or BCE_WANT_WRITE */
} bce_fd_t;

/* Starts polling without blocking. BCE_ERR_STATE when something already runs. */
BCE_API int bce_coin_start_polling(bce_coin_t *coin, int interval_ms);
/* Starts the websocket (as bce_start_websocket) without blocking. */
BCE_API int bce_coin_begin_websocket(bce_coin_t *coin, const bce_ws_opts_t *opts);
/* Writes up to cap descriptors to watch; returns how many there are (call again with more room
   when that exceeds cap), 0 when nothing runs. */
BCE_API int bce_coin_fds(bce_coin_t *coin, bce_fd_t *fds, int cap);
/* Milliseconds until the coin needs a step even without I/O; -1: no timer. */
BCE_API int bce_coin_timeout_ms(bce_coin_t *coin);
/* Runs ready I/O, timers and handlers, waiting at most timeout_ms (-1: until something
   happens; 0: never waits). Returns 1 while the activity runs, 0 once it has ended (bce_stop,
   or nothing was started), or a negative result that ended it (BCE_ERR_AUTH). */
BCE_API int bce_coin_step(bce_coin_t *coin, int timeout_ms);

/* ---- JSON-RPC ------------------------------------------------------------------------ */

/* One call, blocking up to rpc_timeout_ms; bce_stop (from another thread or a signal handler)
   ends it within 100 ms with BCE_ERR_CLOSED. params_json: a JSON array of positional arguments,
   or NULL; the trailing {"xpub": ...} object is appended by the library. On success writes the
   "result" JSON text, NUL-terminated, into out and its length into *out_len. If out is too small
   returns BCE_ERR_LIMIT with the size needed (length + 1) in *out_len. A JSON-RPC error returns
   BCE_ERR_AUTH (-32600) or BCE_ERR_RPC (every other code, -32005 and -32000 too: BCE_ERR_WALLET
   is only a listening run's result); bce_coin_last_error then reads "JSON-RPC error CODE:
   MESSAGE", and bce_coin_last_rpc_error gives the code and the whole message. */
BCE_API int bce_rpc(bce_coin_t *coin, const char *method, const char *params_json,
                    char *out, size_t out_cap, size_t *out_len);

#define BCE_RPC_MESSAGE_MAX 1024    /* bce_coin_last_rpc_error's message, with its NUL */

/* The last JSON-RPC error answer this coin received (bce_rpc, polling, catch-up, the
   wallet-loading call; for a manager's wallet, its calls): returns its code, 0 when none came
   yet, and points *message (may be NULL) at the daemon's whole message, decoded, cut at a
   character boundary to at most BCE_RPC_MESSAGE_MAX - 1 bytes, control characters shown as
   '?' ("" when none). Kept until the next error answer; valid until then or bce_coin_destroy. */
BCE_API int bce_coin_last_rpc_error(const bce_coin_t *coin, const char **message);
/* The name the daemon's GET /spec gives a JSON-RPC error code (the Python SDK's exception
   class, e.g. "LoadingWalletError" for -32005) into name, and its docstring into docstring
   (may be NULL), both NUL-terminated. Blocking, like bce_rpc: the first call fetches /spec on
   the coin's JSON-RPC connection and keeps its exceptions table (names up to 63 bytes,
   docstrings up to 255, 16 KiB in all); later calls read the kept copy. BCE_OK,
   BCE_ERR_UNSUPPORTED (the spec does not name the code; -32600 is "UnauthorizedError" even
   then, as in the SDK), BCE_ERR_LIMIT (a buffer is too small), or the fetch's error. */
BCE_API int bce_rpc_error_name(bce_coin_t *coin, int code, char *name, size_t name_cap,
                               char *docstring, size_t doc_cap);

/* ---- manager ------------------------------------------------------------------------- */

typedef struct bce_manager_desc_t {
    bce_logger_t logger;        /* used by the manager and, unless configured otherwise, its coins */
    bce_allocator_t allocator;  /* default: BCE_MALLOC / BCE_FREE; also used by its coins */
    struct {
        uint32_t max_wallets;   /* wallets over all currencies; default 1000000 */
        uint32_t max_json_tokens;   /* tokens in one update or message the manager reads; default 65536 */
        int max_json_depth;         /* JSON nesting; default 64 (at most BCE_JSON_MAX_DEPTH_LIMIT) */
    } limits;
} bce_manager_desc_t;

BCE_API bce_manager_t *bce_manager_create(const bce_manager_desc_t *desc);   /* desc may be NULL */
BCE_API void           bce_manager_destroy(bce_manager_t *m);                /* destroys its coins too */
/* Per-currency settings (the SDK's custom_params): url, user, password, contract, address,
   timeouts, tls, logger, limits of `params` (NULL: defaults) apply to wallets of that currency
   added later, and to the manager's own connections for the currency (polling, websocket,
   catch-up) from the next start on: configuring again replaces the settings and rebuilds those
   connections. Every string is copied. Wallets already added keep the settings they were
   created with for their own calls (bce_rpc). BCE_OK, BCE_ERR_UNSUPPORTED (currency),
   BCE_ERR_INVALID_ARG, BCE_ERR_NOMEM, or BCE_ERR_STATE (logged) while the manager runs or
   inside a handler: stop it first. */
BCE_API int bce_manager_configure(bce_manager_t *m, const char *currency,
                                  const bce_coin_desc_t *params);
/* The coin for (currency, xpub), created with the currency's settings. NULL for an unsupported
   currency, no memory or max_wallets reached; the same wallet twice returns the existing coin.
   The manager owns the coin. */
BCE_API bce_coin_t *bce_manager_add_wallet(bce_manager_t *m, const char *currency, const char *xpub);
/* Adds each wallet; returns how many are held afterwards out of `count` (all of them: count),
   or a negative result when none could be added. */
BCE_API int         bce_manager_add_wallets(bce_manager_t *m, const char *currency,
                                            const char *const *xpubs, size_t count);
/* The held coin for (currency, xpub or wallet key), or NULL. */
BCE_API bce_coin_t *bce_manager_wallet(bce_manager_t *m, const char *currency, const char *xpub);
BCE_API int  bce_manager_on(bce_manager_t *m, const char *events, bce_handler_fn fn, void *user_data);
BCE_API int  bce_manager_add_event_handler(bce_manager_t *m, const char *events, bce_handler_fn fn,
                                           void *user_data);
/* Like bce_process_updates, routed by currency (NULL: "BTC") and wallet key (NULL: a global
   event). The instance is the held coin of that wallet, or a coin of that currency whose xpub
   is `wallet`. BCE_ERR_UNSUPPORTED (logged) for an unknown currency. */
BCE_API int  bce_manager_process_updates(bce_manager_t *m, const char *currency, const char *wallet,
                                         const char *json, size_t len);

/* Polling for every wallet, in turn per currency (one connection per currency), every
   interval_ms. Blocks until bce_manager_stop; BCE_ERR_AUTH ends it. */
BCE_API int  bce_manager_poll_updates(bce_manager_t *m, int interval_ms);
BCE_API void bce_manager_stop(bce_manager_t *m);
/* One websocket per currency that has wallets (or configure()d), all driven from this one
   thread; no xpub filter is sent; events are routed by currency and wallet. on_connect gets a
   coin of that currency (xpub NULL) and the currency. Catch-up runs per currency over every
   wallet of it. BCE_ERR_INVALID_ARG when there is no currency at all. Ends like
   bce_start_websocket; with several currencies, the first currency that ends the run (auth,
   first connection without force_connect, a close with reconnects disabled) ends it for all. */
BCE_API int  bce_manager_start_websocket(bce_manager_t *m, const bce_ws_opts_t *opts);
BCE_API int  bce_manager_start_websocket_for_currency(bce_manager_t *m, const char *currency,
                                                      const bce_ws_opts_t *opts);
/* The non-blocking core for a manager: the same contract as the bce_coin_* functions.
   bce_manager_begin_websocket: currency NULL for every currency, or just that one. */
BCE_API int  bce_manager_begin_websocket(bce_manager_t *m, const char *currency, const bce_ws_opts_t *opts);
BCE_API int  bce_manager_start_polling(bce_manager_t *m, int interval_ms);
BCE_API int  bce_manager_fds(bce_manager_t *m, bce_fd_t *fds, int cap);
BCE_API int  bce_manager_timeout_ms(bce_manager_t *m);
BCE_API int  bce_manager_step(bce_manager_t *m, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* BITCART_EVENTS_H */

/* ======================================================================================= */
/*                                    IMPLEMENTATION                                       */
/* ======================================================================================= */
/* The map: sections in this order, each holding its types and its code; grep "// >>name".
     util       defaults (_BCE_DEFAULT_*), limits (BCE_*), memory, strings, messages
     log        the logger
     json       the tokenizer and validator (bce_json_*), string decoding
     events     event names, currencies and the events each accepts
     defaults   the one place where a desc's zero fields get their defaults
     time url base64 http      the monotonic clock; URLs; Basic auth; HTTP/1.1 responses
     net tls    sockets (POSIX and winsock), non-blocking connect; mbedTLS
     endpoint   one daemon: URL, credentials, TLS, timeouts, limits (rpc and ws share it)
     rpc        one keep-alive JSON-RPC client over an endpoint (a state machine)
     loop       the wake-up pipe, waits and deadlines, descriptor lists
     sha1 rand ws               the websocket over an endpoint (handshake, frames, pings, close)
     dedup      exactly-once across the websocket and get_updates; the catch-up order hold
     coin       bce_coin_t: a wallet, its settings and handlers; made and freed
     dispatch   update objects to handlers; event accessors; websocket messages
     link       THE runtime: a run (activity, options, stop, wake) over links (one daemon and
                currency each: rpc, ws, hold, dedup, a round over its wallets); one step
     solo       a coin's own run and link, and the coin's public functions over them
     manager    a manager: settings per currency, held wallets, one link per currency */
#if defined(BITCART_EVENTS_IMPLEMENTATION) && !defined(BITCART_EVENTS_IMPLEMENTED)
#define BITCART_EVENTS_IMPLEMENTED

#include <string.h>
#include <limits.h>
#include <signal.h>
#include <errno.h>
#include <time.h>
#ifdef _WIN32
/* Windows: winsock2 (link ws2_32; advapi32 for RtlGenRandom, linked by default). Sockets are
   kept in the library's int descriptors: Windows keeps socket handle values 32-bit
   significant, so (SOCKET)(intptr_t)fd gives the handle back and -1 stands for
   INVALID_SOCKET. The library's poll(2) records (struct pollfd below, an int descriptor) are
   waited on with select(), which also reports a failed connect on every Windows version. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <ntsecapi.h>
#ifdef _MSC_VER
#pragma comment(lib, "ws2_32")
#pragma comment(lib, "advapi32")
#endif
#ifdef BCE_USE_MBEDTLS
#include <wincrypt.h>       /* the ROOT certificate store (link crypt32; mbedTLS needs bcrypt) */
#ifdef _MSC_VER
#pragma comment(lib, "crypt32")
#pragma comment(lib, "bcrypt")
#endif
#endif
#define _BCE_SOCK(fd) ((SOCKET)(intptr_t)(fd))
struct _bce_pollfd { int fd; short events; short revents; };
#define pollfd _bce_pollfd      /* only inside the implementation: #undef at its end */
#ifndef POLLIN                  /* winsock2 has them from Vista on; the library needs only these */
#define POLLIN 0x0300
#define POLLOUT 0x0010
#define POLLERR 0x0001
#define POLLHUP 0x0002
#endif
#elif defined(BCE_USE_LWIP)
/* lwIP's BSD-style sockets (lwip/sockets.h; the program's include path has lwIP's headers,
   its lwipopts.h and arch/cc.h). Every call goes to an lwip_* name, which exists with
   LWIP_COMPAT_SOCKETS 0 and 1 alike; no internal name is one of the compat macros (send,
   recv, close, connect, read, write, poll, fcntl...). No pipe, no signals, no /dev/urandom. */
#include <sys/types.h>
#include "lwip/opt.h"
#include "lwip/sockets.h"
#if LWIP_DNS
#include "lwip/netdb.h"
#elif !defined(BCE_NO_DNS)
#define BCE_NO_DNS              /* lwIP without LWIP_DNS: IP addresses only */
#endif
#if !LWIP_SOCKET_POLL && !LWIP_SOCKET_SELECT
#error "bitcart_events.h: BCE_USE_LWIP needs LWIP_SOCKET_POLL or LWIP_SOCKET_SELECT"
#endif
#define _BCE_SOCK(fd) (fd)
#else
#include <sys/types.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#define _BCE_SOCK(fd) (fd)
#endif
#ifdef BCE_USE_MBEDTLS
#include <mbedtls/version.h>
#include <mbedtls/ssl.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/net_sockets.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif
#endif
#if defined(MSG_NOSIGNAL) && !defined(BCE_USE_LWIP)    /* lwIP raises no signals */
#define _BCE_SEND_FLAGS MSG_NOSIGNAL
#else
#define _BCE_SEND_FLAGS 0
#endif
#if !defined(BCE_MALLOC) || !defined(BCE_FREE)
#include <stdlib.h>
#endif
#ifndef BCE_NO_STDIO
#include <stdio.h>
#endif

#ifndef BCE_MALLOC
#define BCE_MALLOC(size) malloc(size)
#endif
#ifndef BCE_FREE
#define BCE_FREE(ptr) free(ptr)
#endif
#ifndef BCE_WS_RECV_BYTES
#define BCE_WS_RECV_BYTES 32768     /* a websocket's first receive buffer (grows to max_message_bytes) */
#endif
#if BCE_WS_RECV_BYTES < 256
#error "BCE_WS_RECV_BYTES must be at least 256"
#endif
/* the handshake's answer is read with at least this much room (1024 unless the first buffer
   is smaller than 2 KiB: then half of it) */
#define _BCE_WS_HS_ROOM ((size_t)BCE_WS_RECV_BYTES >= 2048 ? (size_t)1024 : (size_t)BCE_WS_RECV_BYTES / 2)
#ifndef BCE_RPC_RECV_STEP
#define BCE_RPC_RECV_STEP 16384     /* JSON-RPC receive buffer growth step */
#endif
#if BCE_RPC_RECV_STEP < 64
#error "BCE_RPC_RECV_STEP must be at least 64"
#endif
/* the receive buffer grows when less than this is free (4096 with the default step) */
#define _BCE_RPC_MIN_ROOM ((size_t)BCE_RPC_RECV_STEP / 4)

#ifdef BCE_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define _BCE_DEF static __attribute__((unused))   /* a private copy need not use everything */
#else
#define _BCE_DEF static
#endif
#else
#define _BCE_DEF
#endif

#ifdef __cplusplus
extern "C" {
#endif

// >>util ===================================================================================

#define _BCE_UNUSED(x) ((void)(x))
/* Helpers called from several places whose inlined copies are bulky where 64-bit time
   arithmetic is emulated (a 32-bit MCU): kept out of line under -Os (about 700 bytes less
   Cortex-M4 flash); other builds let the compiler decide. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__OPTIMIZE_SIZE__)
#define _BCE_OUTLINE static __attribute__((noinline))
#else
#define _BCE_OUTLINE static
#endif
/* Every default, once (the manual's DESC FIELDS AND DEFAULTS names these); zero in a desc
   field means its default, filled by _bce_coin_desc_defaults, _bce_ws_defaults and
   _bce_manager_desc_defaults (and bce_json_init for a bce_json_desc_t). */
#define _BCE_DEFAULT_USER "electrum"
#define _BCE_DEFAULT_PASSWORD "electrumz"
#define _BCE_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define _BCE_DEFAULT_RPC_TIMEOUT_MS 300000
#define _BCE_DEFAULT_MAX_TOKENS 65536u
#define _BCE_DEFAULT_MAX_DEPTH 64
#define _BCE_DEFAULT_MAX_HEADER_BYTES 16384u
#define _BCE_DEFAULT_MAX_RESPONSE_BYTES (16u << 20)
#define _BCE_DEFAULT_MAX_WALLETS 1000000u
#define _BCE_DEFAULT_RECONNECT_MIN_MS 250
#define _BCE_DEFAULT_RECONNECT_MAX_MS 30000
#define _BCE_DEFAULT_PING_INTERVAL_MS 15000
#define _BCE_DEFAULT_PONG_TIMEOUT_MS 10000
#define _BCE_DEFAULT_DRAIN_INTERVAL_MS 30000
#define _BCE_DEFAULT_MAX_MESSAGE_BYTES (1u << 20)
#define _BCE_DEFAULT_DEDUP_ENTRIES 256u
#define _BCE_DEFAULT_DRAIN_RATE BCE_DRAIN_RATE_DEFAULT     /* public: a build may set it */
#define _BCE_DEFAULT_POLL_INTERVAL_MS 1000                  /* the interval_ms of the polling calls */
#define _BCE_NONE 0xFFFFFFFFu

/* Bounds fixed at compile time; each can be overridden with -D (the manual's LIMITS lists
   them all, with the run-time ones). */
#ifndef BCE_LOG_LINE_MAX
#define BCE_LOG_LINE_MAX 256            /* one log line, and last_error, with its NUL */
#endif
#ifndef BCE_LOG_NET_TEXT_MAX
#define BCE_LOG_NET_TEXT_MAX 80         /* text from the network quoted in a log line */
#endif
#ifndef BCE_URL_HOST_MAX
#define BCE_URL_HOST_MAX 255            /* a URL's host */
#endif
#ifndef BCE_URL_PATH_MAX
#define BCE_URL_PATH_MAX 511            /* a URL's path prefix */
#endif
#ifndef BCE_HTTP_LINE_MAX
#define BCE_HTTP_LINE_MAX 1024          /* a chunk-size line or a trailer line */
#endif
#ifndef BCE_HTTP_INTERIM_MAX
#define BCE_HTTP_INTERIM_MAX 32         /* interim 1xx answers before the final one */
#endif
#ifndef BCE_IO_SLICE_BYTES
#define BCE_IO_SLICE_BYTES 65536        /* bytes one connection reads per step */
#endif
#ifndef BCE_WS_REFUSED_BODY_MAX
#define BCE_WS_REFUSED_BODY_MAX 65536   /* the body of a refused websocket upgrade */
#endif
#ifndef BCE_WS_READ_ROUNDS
#define BCE_WS_READ_ROUNDS 16           /* websocket reads per step before timers get a turn */
#endif
#ifndef BCE_WS_CLOSE_WAIT_MS
#define BCE_WS_CLOSE_WAIT_MS 1000       /* wait for the peer's close after ours */
#endif
#ifndef BCE_WS_STABLE_MS
#define BCE_WS_STABLE_MS 5000           /* up this long: the reconnect delay starts over */
#endif
#ifndef BCE_CATCHUP_RETRY_MS
#define BCE_CATCHUP_RETRY_MS 2000       /* a failed catch-up get_updates is retried after this */
#endif
#ifndef BCE_WALLET_ERROR_TRIES
#define BCE_WALLET_ERROR_TRIES 3        /* consecutive -32005/-32000 answers for one wallet that end a listening run */
#endif
#ifndef BCE_DEDUP_ENTRIES_MAX
#define BCE_DEDUP_ENTRIES_MAX 65536u    /* the largest bce_ws_opts_t.dedup_entries accepted */
#endif
#ifndef BCE_DEDUP_TWINS
#define BCE_DEDUP_TWINS 256u            /* queue-delivered updates awaiting their websocket twin */
#endif
#ifndef BCE_DEDUP_TWIN_MS
#define BCE_DEDUP_TWIN_MS 10000         /* how long such an update waits */
#endif
#ifndef BCE_DEDUP_GLOBAL
#define BCE_DEDUP_GLOBAL 64u            /* global events (new_block) remembered per currency */
#endif
#ifndef BCE_CATCHUP_HOLD_BYTES
#define BCE_CATCHUP_HOLD_BYTES (4u << 20) /* websocket messages held while the catch-up runs */
#endif

_BCE_DEF const char *bce_result_str(int result) {
    switch (result) {
    case BCE_OK: return "BCE_OK: success";
    case BCE_ERR_INVALID_ARG: return "BCE_ERR_INVALID_ARG: invalid argument";
    case BCE_ERR_NOMEM: return "BCE_ERR_NOMEM: out of memory";
    case BCE_ERR_CONNECT: return "BCE_ERR_CONNECT: connection failed";
    case BCE_ERR_TIMEOUT: return "BCE_ERR_TIMEOUT: timed out";
    case BCE_ERR_TLS: return "BCE_ERR_TLS: TLS failure";
    case BCE_ERR_HTTP: return "BCE_ERR_HTTP: bad HTTP response";
    case BCE_ERR_AUTH: return "BCE_ERR_AUTH: authentication failed";
    case BCE_ERR_RPC: return "BCE_ERR_RPC: JSON-RPC error";
    case BCE_ERR_JSON: return "BCE_ERR_JSON: malformed JSON";
    case BCE_ERR_WS: return "BCE_ERR_WS: websocket protocol error";
    case BCE_ERR_CLOSED: return "BCE_ERR_CLOSED: connection closed";
    case BCE_ERR_LIMIT: return "BCE_ERR_LIMIT: size limit exceeded";
    case BCE_ERR_UNSUPPORTED: return "BCE_ERR_UNSUPPORTED: not supported";
    case BCE_ERR_STATE: return "BCE_ERR_STATE: not allowed now";
    case BCE_ERR_WALLET: return "BCE_ERR_WALLET: the daemon cannot load the wallet";
    default: return "unknown result";
    }
}

static void *_bce_malloc(const bce_allocator_t *a, size_t size) {
    if (size == 0) size = 1;
    if (a && a->alloc) return a->alloc(size, a->user_data);
    return BCE_MALLOC(size);
}

static void _bce_mfree(const bce_allocator_t *a, void *ptr) {
    if (!ptr) return;
    if (a && a->free) a->free(ptr, a->user_data);
    else BCE_FREE(ptr);
}

/* Grows *buf (elements of elem bytes, *cap of them) to hold at least need, at most max.
   Keeps the contents. BCE_ERR_LIMIT past max, BCE_ERR_NOMEM when the allocator fails. */
static int _bce_grow(const bce_allocator_t *a, void **buf, size_t *cap, size_t need, size_t elem,
                     size_t max) {
    size_t ncap;
    void *nbuf;
    if (need <= *cap) return BCE_OK;
    if (need > max) return BCE_ERR_LIMIT;
    ncap = *cap ? *cap : 16;
    while (ncap < need) ncap = (ncap > max / 2) ? max : ncap * 2;
    if (ncap > max) ncap = max;
    if (ncap > ((size_t)-1) / elem) return BCE_ERR_LIMIT;
    nbuf = _bce_malloc(a, ncap * elem);
    if (!nbuf) return BCE_ERR_NOMEM;
    if (*buf && *cap) memcpy(nbuf, *buf, *cap * elem);
    _bce_mfree(a, *buf);
    *buf = nbuf;
    *cap = ncap;
    return BCE_OK;
}

/* Makes a scratch buffer (content not kept) hold need bytes: a new one replaces the old. */
static int _bce_scratch(const bce_allocator_t *a, char **buf, size_t *cap, size_t need) {
    void *nb = NULL;
    size_t nc = 0;
    if (need <= *cap) return BCE_OK;
    if (_bce_grow(a, &nb, &nc, need, 1, (size_t)-1) != BCE_OK) return BCE_ERR_NOMEM;
    _bce_mfree(a, *buf);
    *buf = (char *)nb;
    *cap = nc;
    return BCE_OK;
}

/* Wipes a secret (a password, an Authorization header) before its memory is freed. memset
   through a volatile function pointer: the compiler cannot prove the call does nothing, so it
   cannot drop it as a dead store the way it may drop memset(p, 0, n) right before free(p). */
static void *(*const volatile _bce_memset_v)(void *, int, size_t) = memset;
static void _bce_wipe(void *p, size_t n) {
    if (p && n) _bce_memset_v(p, 0, n);
}

/* Wipes the NUL-terminated secret s, then frees it. */
static void _bce_free_secret(const bce_allocator_t *a, char *s) {
    if (!s) return;
    _bce_wipe(s, strlen(s));
    _bce_mfree(a, s);
}

static char *_bce_strdup(const bce_allocator_t *a, const char *s) {
    size_t n;
    char *d;
    if (!s) return NULL;
    n = strlen(s);
    d = (char *)_bce_malloc(a, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static int _bce_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int _bce_strieq(const char *a, const char *b) {
    while (*a && *b && _bce_lower((unsigned char)*a) == _bce_lower((unsigned char)*b)) { a++; b++; }
    return *a == 0 && *b == 0;
}

/* A bounded message builder: appends are cut at the end of the buffer, never overflow. */
typedef struct _bce_msg_t {
    char buf[BCE_LOG_LINE_MAX];
    size_t len;
} _bce_msg_t;

/* A line cut at the end of the buffer ends in "..." so that the cut shows. */
static void _bce_msg_raw(_bce_msg_t *m, const char *s, size_t n) {
    size_t room = sizeof m->buf - 1 - m->len;
    int cut = n > room;
    if (cut) n = room;
    memcpy(m->buf + m->len, s, n);
    m->len += n;
    m->buf[m->len] = 0;
    if (cut && m->len >= 3) memcpy(m->buf + m->len - 3, "...", 3);
}

static void _bce_msg_str(_bce_msg_t *m, const char *s) { _bce_msg_raw(m, s, strlen(s)); }

/* Text that came from outside: printable ASCII only, at most BCE_LOG_NET_TEXT_MAX bytes. */
static void _bce_msg_untrusted(_bce_msg_t *m, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n && i < BCE_LOG_NET_TEXT_MAX; i++) {
        char c = s[i];
        if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) c = '?';
        _bce_msg_raw(m, &c, 1);
    }
    if (n > BCE_LOG_NET_TEXT_MAX) _bce_msg_str(m, "...");
}

static void _bce_msg_long(_bce_msg_t *m, long long v) {
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do { tmp[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    if (v < 0) tmp[n++] = '-';
    while (n) _bce_msg_raw(m, &tmp[--n], 1);
}

/* Concatenates the NULL-terminated list of parts into dst (room checked by the caller);
   returns the length. For request heads, whose host and path may be long. */
static size_t _bce_cat(char *dst, const char *const *parts) {
    size_t o = 0, n;
    for (; *parts; parts++) {
        n = strlen(*parts);
        memcpy(dst + o, *parts, n);
        o += n;
    }
    return o;
}

// >>log ====================================================================================

/* Writes a then b (may be NULL) into an owner's error buffer (last_error), cut to fit. */
static void _bce_set_error(char *error, size_t cap, const char *a, const char *b) {
    _bce_msg_t m;
    size_t n;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, a);
    if (b) _bce_msg_str(&m, b);
    if (!cap) return;
    n = m.len < cap - 1 ? m.len : cap - 1;
    memcpy(error, m.buf, n);
    error[n] = 0;
}

static void _bce_default_log(int level, const char *message, void *user_data) {
    _BCE_UNUSED(user_data);
#ifndef BCE_NO_STDIO
    (void)fprintf(stderr, "bitcart_events: %s: %s\n",
            level <= BCE_LOG_ERROR ? "error" : level == BCE_LOG_WARN ? "warning"
            : level == BCE_LOG_INFO ? "info" : "debug", message);
#else
    _BCE_UNUSED(level);
    _BCE_UNUSED(message);
#endif
}

static int _bce_log_on(const bce_logger_t *lg, int level) { return level <= lg->level; }

static void _bce_log(const bce_logger_t *lg, int level, const char *message) {
    if (!_bce_log_on(lg, level)) return;
    if (lg->fn) lg->fn(level, message, lg->user_data);
    else _bce_default_log(level, message, lg->user_data);
}

static void _bce_logger_defaults(bce_logger_t *lg) {
    if (lg->level == 0) lg->level = BCE_LOG_WARN;
}

// >>json ===================================================================================

/* Byte classes inside strings: 0 plain ASCII, 1 quote, 2 backslash, 3 control, 4 two-byte
   lead C2..DF, 5 three-byte lead E0..EF, 6 four-byte lead F0..F4, 7 never valid. */
static const unsigned char _bce_json_sclass[256] = {
    3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3, 3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,
    0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7, 7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7, 7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,4,4,4,4,4,4,4,4,4,4,4,4,4,4, 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5, 6,6,6,6,6,7,7,7,7,7,7,7,7,7,7,7
};

/* The length (2-4) of the valid UTF-8 sequence whose lead byte s[i] is >= 0x80, within len;
   0 if invalid (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). JSON strings and
   websocket text both check with it. */
static size_t _bce_utf8_seq(const unsigned char *s, size_t i, size_t len) {
    unsigned c = s[i], lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) return i + 1 < len && (s[i + 1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
        return i + 2 < len && s[i + 1] >= lo && s[i + 1] <= hi && (s[i + 2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
        return i + 3 < len && s[i + 1] >= lo && s[i + 1] <= hi && (s[i + 2] & 0xC0) == 0x80
                   && (s[i + 3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static int _bce_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s[i..i+3]; -1 when not hex. Caller checked i + 4 <= len. */
static long _bce_hex4(const char *s, size_t i) {
    long v = 0;
    size_t k;
    for (k = 0; k < 4; k++) {
        int h = _bce_hexval((unsigned char)s[i + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Skipping plain string bytes, 16 at a time with SSE2 where the compiler targets it (x86-64
   always), else 8 at a time with portable word arithmetic. BCE_NO_SIMD forces the portable
   path (the tests build both). Both return the index of the first byte at or after i that
   needs a closer look, or a position less than one block before len: the byte loops after
   them finish the job, so neither ever reads past len. (SSE2, not -Os: the last 15 bytes or
   fewer are looked at through the 16 that end at len, so a string that ends near the end of
   the text, as in every small document, needs no byte loop.) */
#if !defined(BCE_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#define _BCE_SSE2 1
#ifdef __cplusplus
}
#endif
#include <emmintrin.h>
#ifdef __cplusplus
extern "C" {
#endif
#endif

#define _BCE_ONES 0x0101010101010101ull
#define _BCE_LOW7 0x7F7F7F7F7F7F7F7Full
#define _BCE_HIGHS 0x8080808080808080ull
static uint64_t _bce_load8(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#ifdef _BCE_SSE2
static unsigned _bce_ctz32(unsigned v) {    /* v != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctz(v);
#else
    unsigned n = 0;
    while (!(v & 1u)) { v >>= 1; n++; }
    return n;
#endif
}

/* One bit for each of the 16 bytes at p that is a quote, a backslash, a control byte (< 0x20)
   or not ASCII. One signed compare finds three of them: flipping bit 1 turns the quote (0x22)
   into 0x20 and leaves controls below 0x20 and non-ASCII bytes negative, and no other byte
   lands below 0x21 (0x20 becomes 0x22, 0x23 becomes 0x21). */
static unsigned _bce_plain16(const unsigned char *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                                       _mm_cmplt_epi8(_mm_xor_si128(v, _mm_set1_epi8(0x02)), _mm_set1_epi8(0x21))));
}

/* 32 bytes a step (hashes are long; _bce_json_string_end probes the first 16 inline). */
static size_t _bce_skip_plain(const unsigned char *s, size_t i, size_t len) {
    for (; i + 32 <= len; i += 32) {
        unsigned bits = _bce_plain16(s + i) | (_bce_plain16(s + i + 16) << 16);
        if (bits) return i + _bce_ctz32(bits);
    }
    for (; i + 16 <= len; i += 16) {
        unsigned bits = _bce_plain16(s + i);
        if (bits) return i + _bce_ctz32(bits);
    }
#ifndef __OPTIMIZE_SIZE__
    if (i < len && len >= 16) {     /* the last 15 or fewer: the 16 bytes that end at len */
        unsigned bits = _bce_plain16(s + len - 16) >> (16 - (len - i));
        return bits ? i + _bce_ctz32(bits) : len;
    }
#endif
    return i;
}
#else
/* Word tricks that flag each byte exactly (no carry crosses a byte: every sum stays below
   0x100), so the first flagged byte is the lowest set bit on little-endian machines and the
   highest on big-endian ones; without a known byte order the byte loops do the rest. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define _BCE_SWAR_FIRST(mask) ((size_t)(__builtin_ctzll(mask) >> 3))
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define _BCE_SWAR_FIRST(mask) ((size_t)(__builtin_clzll(mask) >> 3))
#else
#define _BCE_SWAR_FIRST(mask) ((size_t)0)
#endif
static size_t _bce_skip_plain(const unsigned char *s, size_t i, size_t len) {
    for (; i + 8 <= len; i += 8) {
        uint64_t v = _bce_load8(s + i), t = v & _BCE_LOW7;
        uint64_t q = (t ^ (_BCE_ONES * 0x22u)) + _BCE_LOW7;   /* high bit: not a quote */
        uint64_t b = (t ^ (_BCE_ONES * 0x5Cu)) + _BCE_LOW7;   /* not a backslash */
        uint64_t c = t + _BCE_ONES * 0x60u;                   /* 0x20 or above */
        uint64_t m = (v | ~(q & b & c)) & _BCE_HIGHS;
        if (m) return i + _BCE_SWAR_FIRST(m);
    }
    return i;
}
#endif

typedef struct _bce_scan_t {
    const char *s;
    size_t len;
    int max_depth;
    size_t last;                /* unguarded scans: index of the text's last non-space byte */
    bce_json_t *p;              /* NULL: validate only, no tokens */
    uint32_t ntok;
    size_t err_off;
    const char *err;
} _bce_scan_t;

/* Scans the string whose opening quote is at s[i]; returns the index of the closing quote,
   or (size_t)-1 on error (sc->err set). *escaped set when a backslash appears. */
static size_t _bce_json_scan_string(_bce_scan_t *sc, size_t i, int *escaped) {
    const unsigned char *s = (const unsigned char *)sc->s;
    size_t len = sc->len;
    i++;
    for (;;) {
        unsigned c;
        i = _bce_skip_plain(s, i, len);
        while (i < len && _bce_json_sclass[s[i]] == 0) i++;
        if (i >= len) { sc->err = "unterminated string"; sc->err_off = i; return (size_t)-1; }
        c = s[i];
        switch (_bce_json_sclass[c]) {
        case 1: return i;
        case 2: {
            long u;
            *escaped = 1;
            if (i + 1 >= len) { sc->err = "unterminated string"; sc->err_off = len; return (size_t)-1; }
            switch (s[i + 1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                i += 2;
                continue;
            case 'u': break;
            default: sc->err = "invalid escape"; sc->err_off = i; return (size_t)-1;
            }
            if (i + 6 > len || (u = _bce_hex4(sc->s, i + 2)) < 0) {
                sc->err = "invalid \\u escape"; sc->err_off = i; return (size_t)-1;
            }
            if (u >= 0xDC00 && u <= 0xDFFF) {
                sc->err = "lone low surrogate"; sc->err_off = i; return (size_t)-1;
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo;
                if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u'
                    || (lo = _bce_hex4(sc->s, i + 8)) < 0xDC00 || lo > 0xDFFF) {
                    sc->err = "unpaired high surrogate"; sc->err_off = i; return (size_t)-1;
                }
                i += 12;
            } else {
                i += 6;
            }
            continue;
        }
        case 3: sc->err = "control character in string"; sc->err_off = i; return (size_t)-1;
        case 4: case 5: case 6: {
            size_t n = _bce_utf8_seq(s, i, len);
            if (!n) goto bad_utf8;
            i += n;
            continue;
        }
        default:
            goto bad_utf8;
        }
    }
bad_utf8:
    sc->err = "invalid UTF-8 in string";
    sc->err_off = i;
    return (size_t)-1;
}

#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)   /* -Os: the compiler decides */
#define _BCE_INLINE static __inline__ __attribute__((always_inline))
#else
#define _BCE_INLINE static
#endif

/* The same, with the common case (plain ASCII up to the closing quote) kept inline. */
_BCE_INLINE size_t _bce_json_string_end(_bce_scan_t *sc, const char *s, size_t len, size_t i, int *escaped) {
    size_t q = i + 1;           /* s, len: sc->s, sc->len, from the caller's registers */
#ifdef _BCE_SSE2
    if (q + 16 <= len) {        /* the first 16 bytes here: most strings are short keys */
        unsigned bits = _bce_plain16((const unsigned char *)s + q);
        if (bits) {
            q += _bce_ctz32(bits);
            if (s[q] == '"') return q;
            return _bce_json_scan_string(sc, q - 1, escaped);
        }
        q += 16;
    }
#endif
    q = _bce_skip_plain((const unsigned char *)s, q, len);
    if (q < len && s[q] == '"') return q;
    return _bce_json_scan_string(sc, q - 1, escaped);
}

/* Unguarded scans with SSE2 (gcc/clang, not -Os): the special bytes of 64 at a time are kept
   (*blk: where those 64 start, len when none; *bits: one bit each, as _bce_plain16), so a
   string that ends in them costs a shift and a count, and the next string's end does not wait
   on a load and four compares. The result is _bce_json_string_end's; the last 63 bytes or fewer
   of the text go to it. */
#if defined(_BCE_SSE2) && (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define _BCE_SSE2_BLOCK 1
_BCE_INLINE size_t _bce_json_string_end_b(_bce_scan_t *sc, const char *s, size_t len, size_t i, int *escaped,
                                          size_t *blk, uint64_t *bits) {
    size_t q = i + 1;
    for (;;) {
        uint64_t m;
        if (q - *blk >= 64) {
            const unsigned char *p = (const unsigned char *)s + q;
            if (len - q < 64) return _bce_json_string_end(sc, s, len, q - 1, escaped);
            *blk = q;
            *bits = (uint64_t)_bce_plain16(p) | (uint64_t)_bce_plain16(p + 16) << 16
                    | (uint64_t)_bce_plain16(p + 32) << 32 | (uint64_t)_bce_plain16(p + 48) << 48;
        }
        m = *bits >> (q - *blk);
        if (m) {
            q += (size_t)__builtin_ctzll(m);
            if (s[q] == '"') return q;
            return _bce_json_scan_string(sc, q - 1, escaped);
        }
        q = *blk + 64;
    }
}
#define _BCE_JSON_STRING_END(q) (guarded ? _bce_json_string_end(sc, s, len, i, &esc) \
                                 : _bce_json_string_end_b(sc, s, len, i, &esc, &blk, &blk_bits))
#else
#define _BCE_JSON_STRING_END(q) _bce_json_string_end(sc, s, len, i, &esc)
#endif

static int _bce_isdigit(int c) { return c >= '0' && c <= '9'; }

#ifdef _BCE_SSE2_BLOCK
/* Unguarded scans (x86-64, not -Os): the index of the first byte at or after s[i] that is not
   a digit, 8 bytes a step while 8 remain (no branch per digit); a position less than 8 bytes
   before len otherwise, for the byte loop to finish. A byte is a digit when it is ASCII, at
   least 0x30 and below 0x3A (no sum below carries into the next byte). */
_BCE_INLINE size_t _bce_json_digits8(const char *s, size_t i, size_t len) {
    for (; i + 8 <= len; i += 8) {
        uint64_t v = _bce_load8((const unsigned char *)s + i), t = v & _BCE_LOW7;
        uint64_t m = (v | ~(t + _BCE_ONES * 0x50u) | (t + _BCE_ONES * 0x46u)) & _BCE_HIGHS;
        if (m) return i + (size_t)(__builtin_ctzll(m) >> 3);
    }
    return i;
}
#define _BCE_NUM_DIGITS8(i) do { if (!guarded) (i) = _bce_json_digits8(s, (i), len); } while (0)
#else
#define _BCE_NUM_DIGITS8(i) (void)0
#endif

/* Scans the number starting at s[i]; returns the index after it or (size_t)-1. Unguarded
   (guarded == 0, a constant): a closing bracket follows, which stops every loop below. */
_BCE_INLINE size_t _bce_json_scan_number(_bce_scan_t *sc, size_t i, const int guarded) {
    const char *s = sc->s;
    size_t len = sc->len;
#define _BCE_NUM_IN(i) (!guarded || (i) < len)
    if (s[i] == '-') i++;
    if (!_BCE_NUM_IN(i)) goto bad;
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') {
        i++;
        _BCE_NUM_DIGITS8(i);
        while (_BCE_NUM_IN(i) && _bce_isdigit(s[i])) i++;
    }
    else goto bad;
    if (_BCE_NUM_IN(i) && s[i] == '.') {
        i++;
        if (!_BCE_NUM_IN(i) || !_bce_isdigit(s[i])) goto bad;
        _BCE_NUM_DIGITS8(i);
        while (_BCE_NUM_IN(i) && _bce_isdigit(s[i])) i++;
    }
    if (_BCE_NUM_IN(i) && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (_BCE_NUM_IN(i) && (s[i] == '+' || s[i] == '-')) i++;
        if (!_BCE_NUM_IN(i) || !_bce_isdigit(s[i])) goto bad;
        while (_BCE_NUM_IN(i) && _bce_isdigit(s[i])) i++;
    }
#undef _BCE_NUM_IN
#undef _BCE_NUM_DIGITS8
    return i;
bad:
    sc->err = "invalid number";
    sc->err_off = i;
    return (size_t)-1;
}

static int _bce_isws(int c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Appends a token; grows the array up to max_tokens. Returns its index or _BCE_NONE. */
static int _bce_json_more_tokens(_bce_scan_t *sc, size_t start, int *rc) {
    bce_json_t *p = sc->p;
    size_t cap = p->capacity;
    void *buf = p->tokens;
    int r = _bce_grow(&p->desc.allocator, &buf, &cap, (size_t)sc->ntok + 1, sizeof(bce_json_token_t),
                      p->desc.max_tokens);
    if (r != BCE_OK) {
        *rc = r;
        sc->err = r == BCE_ERR_LIMIT ? "too many tokens" : "out of memory";
        sc->err_off = start;
        return r;
    }
    p->tokens = (bce_json_token_t *)buf;
    p->capacity = (uint32_t)cap;
    return BCE_OK;
}

/* A fresh token (the caller made room). */
_BCE_INLINE void _bce_json_tok_set(bce_json_token_t *t, int type, size_t start, size_t end, uint32_t next) {
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    t->next = next;
    t->size = 0;
    t->type = (uint8_t)type;
    t->escaped = 0;
    t->reserved_ = 0;
    t->memo_ = 0;
}

/* Room for one more token in the scanner below, whose token state lives in locals (tk, ntok,
   cap: stores into tokens cannot alias them, so they stay in registers). */
#define _BCE_JSON_ROOM(at) do { \
        if (ntok >= cap) { \
            sc->ntok = ntok; \
            if (_bce_json_more_tokens(sc, (at), &rc) != BCE_OK) return rc; \
            tk = tp->tokens; \
            cap = tp->capacity; \
        } \
    } while (0)

/* Scans one value starting at or after s[pos] (leading whitespace skipped). On success
   returns BCE_OK and *end is the index just past the value. Iterative: containers open on an
   explicit bit stack, so hostile nesting costs no C stack. With tokens (tp), each open
   container's `next` temporarily links to its parent.
   Unguarded (guarded == 0, a constant): the caller found that the text's last non-space byte,
   s[sc->last], is '}' or ']'. The structural reads then need no end checks: every step that
   moves past a byte moves past one that is not that bracket (space, ',', ':', an opening
   bracket, a string's closing quote, the end of a number or literal), so it lands at or before
   sc->last; only a closing bracket at sc->last can land beyond, and closing it is checked.
   Strings, numbers and literals keep their own checks. The errors and their offsets are the
   guarded scan's. */
#define _BCE_JSON_IN(i) (!guarded || (i) < len)
/* compact JSON has no whitespace: one compare usually settles it */
#define _BCE_JSON_SKIP_WS while (_BCE_JSON_IN(i) && (unsigned char)s[i] <= ' ' && _bce_isws((unsigned char)s[i])) i++
/* Unguarded scans look for whitespace only where the byte expected next is not there (the
   compiler then drops the second test of that byte), or only on the rare path: a value's
   first byte, and what follows a value, are tested before whitespace is. The guarded scan
   (and so every -Os build) skips whitespace first, as before; both stop at the same bytes. */
#define _BCE_JSON_WS_UNLESS(ch) if (guarded || s[i] != (ch)) _BCE_JSON_SKIP_WS
/* kind: unguarded validation's byte per open container (see _bce_json_scan_check_u); never
   in -Os builds, whose one scanner body may not be inlined. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define _BCE_JSON_KIND(kind) (kind)
#else
#define _BCE_JSON_KIND(kind) ((void)(kind), (unsigned char *)NULL)
#endif
_BCE_INLINE int _bce_json_scan_body(_bce_scan_t *sc, size_t pos, size_t *end, bce_json_t *const tp,
                                    const int guarded, unsigned char *const kind) {
    const char *s = sc->s;
    size_t len = sc->len, i = pos;
    uint32_t stack[BCE_JSON_MAX_DEPTH_LIMIT / 32 + 1] = {0};
    uint32_t parent = _BCE_NONE;
    int depth = 0, rc = BCE_ERR_JSON;
    int in_object = 0;
    bce_json_token_t *tk = tp ? tp->tokens : NULL;
    uint32_t ntok = sc->ntok, cap = tp ? tp->capacity : 0;
#ifdef _BCE_SSE2_BLOCK
    size_t blk = len;                           /* see _bce_json_string_end_b */
    uint64_t blk_bits = 0;
#endif

    for (;;) {
        int c;
        /* expect a value */
        if (guarded) _BCE_JSON_SKIP_WS;
        if (!_BCE_JSON_IN(i)) { sc->err = "unexpected end of input"; sc->err_off = i; return BCE_ERR_JSON; }
        c = (unsigned char)s[i];
        if (c == '"') {
            int esc = 0;
            size_t q = _BCE_JSON_STRING_END(q);
            if (q == (size_t)-1) return BCE_ERR_JSON;
            if (tp) {
                _BCE_JSON_ROOM(i);
                _bce_json_tok_set(&tk[ntok], BCE_JSON_STRING, i + 1, q, ntok + 1);
                tk[ntok].escaped = (uint8_t)esc;
                ntok++;
            }
            i = q + 1;
        } else if (c == '{' || c == '[') {
            if (depth >= sc->max_depth) {
                sc->err = "nesting too deep"; sc->err_off = i; return BCE_ERR_LIMIT;
            }
            if (tp) {
                _BCE_JSON_ROOM(i);
                _bce_json_tok_set(&tk[ntok], c == '{' ? BCE_JSON_OBJECT : BCE_JSON_ARRAY, i, i, parent);
                parent = ntok++;
            }
            in_object = c == '{';
            if (!tp) {                          /* with tokens, the open tokens' types tell */
                if (_BCE_JSON_KIND(kind)) kind[depth] = (unsigned char)in_object;
                else if (in_object) stack[depth >> 5] |= (1u << (depth & 31));
                else stack[depth >> 5] &= ~(1u << (depth & 31));
            }
            depth++;
            i++;
            _BCE_JSON_SKIP_WS;
            if (_BCE_JSON_IN(i) && s[i] == (in_object ? '}' : ']')) goto close;
            if (!in_object) continue;
            goto key;
        } else if (c == '-' || _bce_isdigit(c)) {
            size_t e = _bce_json_scan_number(sc, i, guarded);
            if (e == (size_t)-1) return BCE_ERR_JSON;
            if (tp) {
                _BCE_JSON_ROOM(i);
                _bce_json_tok_set(&tk[ntok], BCE_JSON_NUMBER, i, e, ntok + 1);
                ntok++;
            }
            i = e;
        } else {
            int type;
            size_t n;
            if (c == 't') { type = BCE_JSON_TRUE; n = 4; }
            else if (c == 'f') { type = BCE_JSON_FALSE; n = 5; }
            else if (c == 'n') { type = BCE_JSON_NULL; n = 4; }
            else if (!guarded && _bce_isws(c)) { i++; _BCE_JSON_SKIP_WS; continue; }
            else { sc->err = "unexpected character"; sc->err_off = i; return BCE_ERR_JSON; }
            if (len - i < n || memcmp(s + i, type == BCE_JSON_TRUE ? "true"
                                      : type == BCE_JSON_FALSE ? "false" : "null", n) != 0) {
                sc->err = "invalid literal"; sc->err_off = i; return BCE_ERR_JSON;
            }
            if (tp) {
                _BCE_JSON_ROOM(i);
                _bce_json_tok_set(&tk[ntok], type, i, i + n, ntok + 1);
                ntok++;
            }
            i += n;
        }
        /* after a value: a separator or the end of one or more containers */
        for (;;) {
            if (depth == 0) { sc->ntok = ntok; *end = i; return BCE_OK; }
            if (guarded) _BCE_JSON_SKIP_WS;
            if (!_BCE_JSON_IN(i)) { sc->err = "unexpected end of input"; sc->err_off = i; return BCE_ERR_JSON; }
            if (s[i] == ',') {
                i++;
                if (!in_object) {
                    if (tp) tk[parent].size++;  /* arrays count their commas, +1 when closed */
                    break;
                }
                _BCE_JSON_WS_UNLESS('"');
                goto key;
            }
            if (s[i] != (in_object ? '}' : ']')) {
                if (!guarded && _bce_isws((unsigned char)s[i])) { i++; _BCE_JSON_SKIP_WS; continue; }
                sc->err = in_object ? "expected ',' or '}'" : "expected ',' or ']'";
                sc->err_off = i;
                return BCE_ERR_JSON;
            }
        close:
            if (tp) {
                bce_json_token_t *t = &tk[parent];
                uint32_t up = t->next;
                t->end = (uint32_t)(i + 1);
                if (!in_object && ntok > parent + 1) t->size++;
                t->next = ntok;
                parent = up;
            }
            i++;
            depth--;
            if (!guarded && i > sc->last && depth > 0) {    /* what the guarded scan finds next */
                sc->err = "unexpected end of input"; sc->err_off = len; return BCE_ERR_JSON;
            }
            if (tp) in_object = depth > 0 && tk[parent].type == BCE_JSON_OBJECT;
            else if (_BCE_JSON_KIND(kind)) in_object = depth > 0 && kind[depth - 1];
            else in_object = depth > 0 && ((stack[(depth - 1) >> 5] >> ((depth - 1) & 31)) & 1u);
        }
        continue;
    key:
        /* inside an object at s[i]: a key, then ':' */
        {
            int esc = 0;
            size_t q;
            if (!_BCE_JSON_IN(i) || s[i] != '"') {
                sc->err = "expected a string key"; sc->err_off = i; return BCE_ERR_JSON;
            }
            q = _BCE_JSON_STRING_END(q);
            if (q == (size_t)-1) return BCE_ERR_JSON;
            if (tp) {
                tk[parent].size++;
                _BCE_JSON_ROOM(i);
                _bce_json_tok_set(&tk[ntok], BCE_JSON_STRING, i + 1, q, ntok + 1);
                tk[ntok].escaped = (uint8_t)esc;
                ntok++;
            }
            i = q + 1;
            _BCE_JSON_WS_UNLESS(':');
            if (!_BCE_JSON_IN(i) || s[i] != ':') { sc->err = "expected ':'"; sc->err_off = i; return BCE_ERR_JSON; }
            i++;
        }
    }
}

/* Copies of the scanner, so that validation alone carries no token code; the unguarded ones
   where code size is not the goal. */
static int _bce_json_scan_check(_bce_scan_t *sc, size_t pos, size_t *end) { return _bce_json_scan_body(sc, pos, end, NULL, 1, NULL); }
static int _bce_json_scan_tokens(_bce_scan_t *sc, size_t pos, size_t *end) { return _bce_json_scan_body(sc, pos, end, sc->p, 1, NULL); }
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define _BCE_JSON_UNGUARDED 1
/* Validation keeps each open container's kind in a byte (no bit operations); the array is
   this copy's alone, so the tokenizing copies keep their small frame (and stay inline). */
__attribute__((noinline)) static int _bce_json_scan_check_u(_bce_scan_t *sc, size_t pos, size_t *end) {
    unsigned char kind[BCE_JSON_MAX_DEPTH_LIMIT];
    return _bce_json_scan_body(sc, pos, end, NULL, 0, kind);
}
static int _bce_json_scan_tokens_u(_bce_scan_t *sc, size_t pos, size_t *end) { return _bce_json_scan_body(sc, pos, end, sc->p, 0, NULL); }
#endif
#undef _BCE_JSON_IN
#undef _BCE_JSON_SKIP_WS
#undef _BCE_JSON_WS_UNLESS
#undef _BCE_JSON_KIND
/* Index of the last non-space byte of s[pos..len) when it is '}' or ']', else (size_t)-1. */
_BCE_INLINE size_t _bce_json_last_bracket(const char *s, size_t pos, size_t len) {
    while (len > pos && _bce_isws((unsigned char)s[len - 1])) len--;
    return len > pos && (s[len - 1] == '}' || s[len - 1] == ']') ? len - 1 : (size_t)-1;
}
/* The value at s[pos]: unguarded when sc->last is such a bracket's index (see above). The
   dispatcher also tokenizes each update of a validated document with it. */
static int _bce_json_scan_at(_bce_scan_t *sc, size_t pos, size_t *end) {
#ifdef _BCE_JSON_UNGUARDED
    if (sc->last != (size_t)-1)
        return sc->p ? _bce_json_scan_tokens_u(sc, pos, end) : _bce_json_scan_check_u(sc, pos, end);
#endif
    return sc->p ? _bce_json_scan_tokens(sc, pos, end) : _bce_json_scan_check(sc, pos, end);
}
_BCE_INLINE int _bce_json_scan(_bce_scan_t *sc, size_t pos, size_t *end) {
    sc->last = _bce_json_last_bracket(sc->s, pos, sc->len);
    return _bce_json_scan_at(sc, pos, end);
}

static int _bce_json_depth(int max_depth) {
    return max_depth <= 0 ? _BCE_DEFAULT_MAX_DEPTH : max_depth;
}

/* Whole-document scan: one value, then only whitespace. */
_BCE_INLINE int _bce_json_scan_doc(_bce_scan_t *sc) {
    size_t end = 0;
    int r;
    if (sc->len >= 0xFFFFFFFFu) { sc->err = "input larger than 4 GiB"; sc->err_off = 0; return BCE_ERR_LIMIT; }
    r = _bce_json_scan(sc, 0, &end);
    if (r != BCE_OK) return r;
    while (end < sc->len && _bce_isws((unsigned char)sc->s[end])) end++;
    if (end != sc->len) { sc->err = "unexpected data after the value"; sc->err_off = end; return BCE_ERR_JSON; }
    return BCE_OK;
}

_BCE_DEF int bce_json_init(bce_json_t *p, const bce_json_desc_t *desc) {
    if (!p) return BCE_ERR_INVALID_ARG;
    memset(p, 0, sizeof *p);
    if (desc) p->desc = *desc;
    if (p->desc.max_depth < 0 || p->desc.max_depth > BCE_JSON_MAX_DEPTH_LIMIT) return BCE_ERR_INVALID_ARG;
    if ((p->desc.allocator.alloc == NULL) != (p->desc.allocator.free == NULL)) return BCE_ERR_INVALID_ARG;
    if (p->desc.max_tokens == 0) p->desc.max_tokens = _BCE_DEFAULT_MAX_TOKENS;
    p->desc.max_depth = _bce_json_depth(p->desc.max_depth);
    p->error = "";
    return BCE_OK;
}

_BCE_DEF void bce_json_release(bce_json_t *p) {
    if (!p) return;
    _bce_mfree(&p->desc.allocator, p->tokens);
    p->tokens = NULL;
    p->count = p->capacity = 0;
}

/* bce_json_parse after its argument checks (json not NULL); inline in the dispatcher. */
_BCE_INLINE int _bce_json_parse_in(bce_json_t *p, const char *json, size_t len) {
    _bce_scan_t sc;
    int r;
    memset(&sc, 0, sizeof sc);
    sc.s = json;
    sc.len = len;
    sc.max_depth = p->desc.max_depth;
    sc.p = p;
    p->count = 0;
    p->parses_++;
    r = _bce_json_scan_doc(&sc);
    if (r != BCE_OK) {
        p->error = sc.err ? sc.err : "error";
        p->error_offset = sc.err_off;
        return r;
    }
    p->error = "";
    p->error_offset = 0;
    p->count = sc.ntok;
    return (int)(sc.ntok > INT_MAX ? INT_MAX : sc.ntok);
}

_BCE_DEF int bce_json_parse(bce_json_t *p, const char *json, size_t len) {
    if (!p || (!json && len)) return BCE_ERR_INVALID_ARG;
    return _bce_json_parse_in(p, json ? json : "", len);
}
/* The dispatcher's parse: inline where speed is the goal, the one copy where size is. */
#ifdef _BCE_JSON_UNGUARDED
#define _bce_json_parse_d _bce_json_parse_in
#else
#define _bce_json_parse_d bce_json_parse
#endif

_BCE_DEF int bce_json_validate(const char *json, size_t len, int max_depth, size_t *error_offset) {
    _bce_scan_t sc;
    int r;
    if ((!json && len) || max_depth < 0 || max_depth > BCE_JSON_MAX_DEPTH_LIMIT) return BCE_ERR_INVALID_ARG;
    memset(&sc, 0, sizeof sc);
    sc.s = json ? json : "";
    sc.len = len;
    sc.max_depth = _bce_json_depth(max_depth);
    r = _bce_json_scan_doc(&sc);
    if (error_offset) *error_offset = r == BCE_OK ? 0 : sc.err_off;
    return r;
}

/* Writes the code point as UTF-8; returns the byte count. */
static size_t _bce_utf8_put(char *out, unsigned long cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the validated string text s[start..end) into out, which has room for at least
   end - start bytes (decoding never grows the text). Returns the decoded length. */
static size_t _bce_json_decode(const char *s, uint32_t start, uint32_t end, char *out) {
    size_t o = 0, i = start;
    while (i < end) {
        const char *bs = (const char *)memchr(s + i, '\\', end - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : end - i;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i >= end) break;
        switch (s[i + 1]) {
        case 'b': out[o++] = '\b'; i += 2; break;
        case 'f': out[o++] = '\f'; i += 2; break;
        case 'n': out[o++] = '\n'; i += 2; break;
        case 'r': out[o++] = '\r'; i += 2; break;
        case 't': out[o++] = '\t'; i += 2; break;
        case 'u': {
            unsigned long cp = (unsigned long)_bce_hex4(s, i + 2);
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo = (unsigned long)_bce_hex4(s, i + 2);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            o += _bce_utf8_put(out + o, cp);
            break;
        }
        default: out[o++] = s[i + 1]; i += 2; break;   /* " \ / */
        }
    }
    return o;
}

/* The end of the validated escape that starts at json[i] (a backslash): 2 bytes, 6 for a u
   escape, 12 for a surrogate pair. */
static size_t _bce_json_escape_end(const char *json, size_t i) {
    size_t e = i + (json[i + 1] == 'u' ? 6u : 2u);
    if (json[i + 1] == 'u') {
        long cp = _bce_hex4(json, i + 2);
        if (cp >= 0xD800 && cp <= 0xDBFF) e += 6;
    }
    return e;
}

/* 1 when the string token equals name[0..n) after unescaping. */
static int _bce_json_str_eq(const char *json, const bce_json_token_t *t, const char *name, size_t n) {
    size_t tlen = t->end - t->start;
    char tmp[128];
    if (t->type != BCE_JSON_STRING) return 0;
    if (!t->escaped) {
        const char *p = json + t->start;
        size_t k;
        if (tlen != n) return 0;
        for (k = 0; k < n; k++)     /* keys are short: no library call */
            if (p[k] != name[k]) return 0;
        return 1;
    }
    if (tlen < n) return 0;                         /* an escaped form is never shorter */
    if (tlen <= sizeof tmp) return _bce_json_decode(json, t->start, t->end, tmp) == n && memcmp(tmp, name, n) == 0;
    {   /* long: decode one character at a time */
        size_t i = t->start, o = 0;
        while (i < t->end) {
            size_t e = json[i] == '\\' ? _bce_json_escape_end(json, i) : i + 1, k;
            k = _bce_json_decode(json, (uint32_t)i, (uint32_t)e, tmp);
            if (o + k > n || memcmp(tmp, name + o, k) != 0) return 0;
            o += k;
            i = e;
        }
        return o == n;
    }
}

/* bce_json_find with the key's length known (inline: a constant length makes the compare cheap) */
_BCE_INLINE uint32_t _bce_json_find_from(const char *json, const bce_json_token_t *tokens, uint32_t k, uint32_t i,
                                         uint32_t size, const char *key, size_t n) {
    for (; i < size; i++, k = tokens[k + 1].next) {     /* k: the i-th member's key */
        const bce_json_token_t *t = &tokens[k];
        if (!t->escaped) {
            const char *a = json + t->start;
            size_t j;
            if ((size_t)(t->end - t->start) != n || (n && a[0] != key[0])) continue;
            if (n <= 8) {   /* a constant n (the callers): an inline compare, no library call */
                if (memcmp(a, key, n) == 0) return k + 1;
                continue;
            }
            for (j = 1; j < n && a[j] == key[j]; j++) {}
            if (j >= n) return k + 1;
        } else if (_bce_json_str_eq(json, t, key, n)) {
            return k + 1;
        }
    }
    return 0;
}

_BCE_INLINE uint32_t _bce_json_find_n(const char *json, const bce_json_token_t *tokens, uint32_t obj,
                                      const char *key, size_t n) {
    if (tokens[obj].type != BCE_JSON_OBJECT) return 0;
    return _bce_json_find_from(json, tokens, obj + 1, 0, tokens[obj].size, key, n);
}

_BCE_DEF uint32_t bce_json_find(const char *json, const bce_json_token_t *tokens, uint32_t obj,
                                const char *key) {
    if (!json || !tokens || !key) return 0;
    return _bce_json_find_n(json, tokens, obj, key, strlen(key));
}

_BCE_DEF int bce_json_string(const char *json, const bce_json_token_t *tok, char *out,
                             size_t out_cap, size_t *out_len) {
    size_t n;
    if (!json || !tok || tok->type != BCE_JSON_STRING || (!out && out_cap)) return BCE_ERR_INVALID_ARG;
    if (!tok->escaped) {
        n = tok->end - tok->start;
        if (out_len) *out_len = n;
        if (out_cap < n + 1) return BCE_ERR_LIMIT;
        memcpy(out, json + tok->start, n);
        out[n] = 0;
        return BCE_OK;
    }
    if (out_cap > tok->end - tok->start) {
        n = _bce_json_decode(json, tok->start, tok->end, out);
        out[n] = 0;
        if (out_len) *out_len = n;
        return BCE_OK;
    }
    {   /* too small for the worst case: measure first */
        char tmp[8];
        size_t i = tok->start, total = 0;
        while (i < tok->end) {
            if (json[i] != '\\') { total++; i++; continue; }
            {
                size_t e = _bce_json_escape_end(json, i);
                total += _bce_json_decode(json, (uint32_t)i, (uint32_t)e, tmp);
                i = e;
            }
        }
        if (out_len) *out_len = total;
        if (!out || out_cap < total + 1) return BCE_ERR_LIMIT;
        n = _bce_json_decode(json, tok->start, tok->end, out);
        out[n] = 0;
        return BCE_OK;
    }
}

_BCE_DEF int bce_json_int(const char *json, const bce_json_token_t *tok, long long *out) {
    const char *s;
    size_t i, n;
    int neg = 0;
    unsigned long long v = 0, lim;
    if (!json || !tok || tok->type != BCE_JSON_NUMBER) return 0;
    s = json + tok->start;
    n = tok->end - tok->start;
    i = 0;
    if (i < n && s[i] == '-') { neg = 1; i++; }
    if (i >= n) return 0;
    if (n - i <= 18) {      /* 18 digits cannot overflow: no check per digit (bench/RESULTS.md, "Why the code looks like this") */
        for (; i < n; i++) {
            unsigned d = (unsigned)((unsigned char)s[i] - '0');
            if (d > 9) return 0;                /* fraction or exponent */
            v = v * 10 + d;
        }
    } else {
        lim = neg ? (unsigned long long)LLONG_MAX + 1ull : (unsigned long long)LLONG_MAX;
        for (; i < n; i++) {
            unsigned d = (unsigned)((unsigned char)s[i] - '0');
            if (d > 9) return 0;
            if (v > (lim - d) / 10) return 0;  /* overflow */
            v = v * 10 + d;
        }
    }
    if (out) {
        if (neg) *out = v == (unsigned long long)LLONG_MAX + 1ull ? LLONG_MIN : -(long long)v;
        else *out = (long long)v;
    }
    return 1;
}

/* Index just past the value starting at s[i] of validated JSON (no checks). */
static size_t _bce_json_skip(const char *s, size_t len, size_t i) {
    int depth = 0;
    do {
        char c = s[i];
        if (c == '"') {
            i++;
            while (s[i] != '"') i += (s[i] == '\\') ? 2u : 1u;
            i++;
        } else if (c == '{' || c == '[') { depth++; i++; }
        else if (c == '}' || c == ']') { depth--; i++; }
        else if (depth > 0) i++;
        else {
            while (i < len && s[i] != ',' && s[i] != ']' && s[i] != '}' && !_bce_isws((unsigned char)s[i])) i++;
        }
    } while (depth > 0);
    return i;
}

/* ---- writing JSON strings ---- */

/* What _bce_json_quote writes for s, quotes included; 0: too long to count. */
static size_t _bce_json_quoted_len(const char *s) {
    size_t n = 2;
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        n += ch == '"' || ch == '\\' ? 2 : ch < 0x20 ? 6 : 1;
        if (n > (size_t)-1 / 4) return 0;               /* 32-bit: the sums must fit */
    }
    return n;
}

/* Appends JSON string text for s (with quotes) to out; returns the new length or 0 if no room. */
static size_t _bce_json_quote(char *out, size_t o, size_t cap, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (o + 1 >= cap) return 0;
    out[o++] = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (o + 7 >= cap) return 0;
        if (ch == '"' || ch == '\\') { out[o++] = '\\'; out[o++] = (char)ch; }
        else if (ch < 0x20) {
            out[o++] = '\\'; out[o++] = 'u'; out[o++] = '0'; out[o++] = '0';
            out[o++] = hex[ch >> 4]; out[o++] = hex[ch & 15];
        } else out[o++] = (char)ch;
    }
    if (o + 1 >= cap) return 0;
    out[o++] = '"';
    return o;
}

// >>events =================================================================================

enum { _BCE_EV_NEW_BLOCK, _BCE_EV_NEW_TRANSACTION, _BCE_EV_NEW_PAYMENT, _BCE_EV_VERIFIED_TX,
       _BCE_EV_COUNT };
static const char *const _bce_event_names[_BCE_EV_COUNT] = {
    "new_block", "new_transaction", "new_payment", "verified_tx"
};
static const unsigned char _bce_event_name_lens[_BCE_EV_COUNT] = {9, 15, 11, 11};
#define _BCE_EVS_ELECTRUM 0xFu      /* all four */
#define _BCE_EVS_EVM 0x7u           /* no verified_tx */

typedef struct _bce_currency_t {
    const char *name;
    int port;
    unsigned events;
} _bce_currency_t;

#define _BCE_NCUR 10
static const _bce_currency_t _bce_currencies[_BCE_NCUR] = {
    {"BTC", 5000, _BCE_EVS_ELECTRUM}, {"LTC", 5001, _BCE_EVS_ELECTRUM}, {"ETH", 5002, _BCE_EVS_EVM},
    {"BCH", 5004, _BCE_EVS_ELECTRUM}, {"XRG", 5005, _BCE_EVS_ELECTRUM}, {"BNB", 5006, _BCE_EVS_EVM},
    {"MATIC", 5008, _BCE_EVS_EVM},    {"TRX", 5009, _BCE_EVS_EVM},      {"GRS", 5010, _BCE_EVS_ELECTRUM},
    {"XMR", 5011, _BCE_EVS_EVM}
};

static int _bce_currency_find(const char *name) {
    int i;
    if (!name) name = "BTC";
    for (i = 0; i < _BCE_NCUR; i++)
        if (_bce_strieq(name, _bce_currencies[i].name)) return i;
    return -1;
}

/* Logs `what` and a currency name as given (untrusted: quoted safely, cut). */
static void _bce_log_currency(const bce_logger_t *lg, int level, const char *what, const char *currency, size_t n) {
    _bce_msg_t msg;
    if (!_bce_log_on(lg, level)) return;
    msg.len = 0;
    _bce_msg_str(&msg, what);
    _bce_msg_untrusted(&msg, currency, n);
    _bce_log(lg, level, msg.buf);
}

static void _bce_log_unsupported(const bce_logger_t *lg, const char *currency, size_t n) {
    _bce_log_currency(lg, BCE_LOG_WARN, "Received event for unsupported currency: ", currency, n);
}

/* The currency's index; an unknown one is logged as an error (-1). */
static int _bce_currency_or_log(const bce_logger_t *lg, const char *currency) {
    int cur = _bce_currency_find(currency);
    if (cur < 0) _bce_log_currency(lg, BCE_LOG_ERROR, "unsupported currency: ", currency, strlen(currency));
    return cur;
}

// >>defaults ===============================================================================
/* The one place where zero fields of a desc get their _BCE_DEFAULT_* (named in // >>util). */

#define _BCE_URLBUF 40              /* "http://localhost:<port>" with its NUL */

/* Fills the zero fields of a coin desc (negative ones are left for the caller to refuse).
   The default URL is written to urlbuf (_BCE_URLBUF bytes), which must outlive d. */
static void _bce_coin_desc_defaults(bce_coin_desc_t *d, char *urlbuf) {
    int cur = _bce_currency_find(d->currency);
    if (cur >= 0) d->currency = _bce_currencies[cur].name;
    if (!d->url && cur >= 0) {
        _bce_msg_t m;
        m.len = 0;
        _bce_msg_str(&m, "http://localhost:");
        _bce_msg_long(&m, _bce_currencies[cur].port);
        memcpy(urlbuf, m.buf, m.len + 1);
        d->url = urlbuf;
    }
    if (!d->user) d->user = _BCE_DEFAULT_USER;
    if (!d->password) d->password = _BCE_DEFAULT_PASSWORD;
    if (d->connect_timeout_ms == 0) d->connect_timeout_ms = _BCE_DEFAULT_CONNECT_TIMEOUT_MS;
    if (d->rpc_timeout_ms == 0) d->rpc_timeout_ms = _BCE_DEFAULT_RPC_TIMEOUT_MS;
    _bce_logger_defaults(&d->logger);
    if (d->limits.max_json_tokens == 0) d->limits.max_json_tokens = _BCE_DEFAULT_MAX_TOKENS;
    if (d->limits.max_json_depth == 0) d->limits.max_json_depth = _BCE_DEFAULT_MAX_DEPTH;
    if (d->limits.max_header_bytes == 0) d->limits.max_header_bytes = _BCE_DEFAULT_MAX_HEADER_BYTES;
    if (d->limits.max_response_bytes == 0) d->limits.max_response_bytes = _BCE_DEFAULT_MAX_RESPONSE_BYTES;
}

/* Fills websocket options: zero (and, for delays that cannot be zero, negative) fields. */
static void _bce_ws_defaults(bce_ws_opts_t *o) {
    if (o->reconnect_min_ms <= 0) o->reconnect_min_ms = _BCE_DEFAULT_RECONNECT_MIN_MS;
    if (o->reconnect_max_ms <= 0) o->reconnect_max_ms = _BCE_DEFAULT_RECONNECT_MAX_MS;
    if (o->reconnect_max_ms < o->reconnect_min_ms) o->reconnect_max_ms = o->reconnect_min_ms;
    if (o->ping_interval_ms == 0) o->ping_interval_ms = _BCE_DEFAULT_PING_INTERVAL_MS;
    if (o->pong_timeout_ms <= 0) o->pong_timeout_ms = _BCE_DEFAULT_PONG_TIMEOUT_MS;
    if (o->drain_interval_ms == 0) o->drain_interval_ms = _BCE_DEFAULT_DRAIN_INTERVAL_MS;
    if (o->max_message_bytes == 0) o->max_message_bytes = _BCE_DEFAULT_MAX_MESSAGE_BYTES;
    if (o->dedup_entries == 0) o->dedup_entries = _BCE_DEFAULT_DEDUP_ENTRIES;
    if (o->drain_rate == 0) o->drain_rate = _BCE_DEFAULT_DRAIN_RATE;
}

static void _bce_manager_desc_defaults(bce_manager_desc_t *d) {
    _bce_logger_defaults(&d->logger);
    if (d->limits.max_wallets == 0) d->limits.max_wallets = _BCE_DEFAULT_MAX_WALLETS;
    if (d->limits.max_json_tokens == 0) d->limits.max_json_tokens = _BCE_DEFAULT_MAX_TOKENS;
    if (d->limits.max_json_depth == 0) d->limits.max_json_depth = _BCE_DEFAULT_MAX_DEPTH;
}

// >>time ===================================================================================

#if defined(BCE_NOW_MS)
static long long _bce_now_ms(void) { return (long long)(BCE_NOW_MS()); }   /* the program's clock */
#elif defined(_WIN32)
static long long _bce_now_ms(void) { return (long long)GetTickCount64(); }
#else
static long long _bce_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

// >>url ====================================================================================

/* A parsed daemon URL. The path prefix has no trailing slash ("" for none); the JSON-RPC
   endpoint is prefix + "/", the websocket prefix + "/ws", the spec prefix + "/spec". */
typedef struct _bce_url_t {
    int tls;
    char host[BCE_URL_HOST_MAX + 1];    /* without brackets for IPv6 literals */
    char port[6];
    char prefix[BCE_URL_PATH_MAX + 1];
} _bce_url_t;

/* The Host: header's value as four parts[] for _bce_cat: an IPv6 literal goes back in brackets. */
static void _bce_url_host_parts(const _bce_url_t *u, const char **parts) {
    int v6 = strchr(u->host, ':') != NULL;
    parts[0] = v6 ? "[" : "";
    parts[1] = u->host;
    parts[2] = v6 ? "]:" : ":";
    parts[3] = u->port;
}

/* Parses http[s]://host[:port][/path]. Returns NULL or a static reason. */
static const char *_bce_url_parse(const char *url, _bce_url_t *u) {
    const char *p, *h, *he, *pe;
    size_t n;
    memset(u, 0, sizeof *u);
    if (!url) return "no URL";
    if (strncmp(url, "http://", 7) == 0) p = url + 7;
    else if (strncmp(url, "https://", 8) == 0) { p = url + 8; u->tls = 1; }
    else return "the URL must start with http:// or https://";
    for (h = p; *h && *h != '/'; h++)
        if (*h == '@') return "credentials in the URL are not supported: use user and password";
    if (*p == '[') {
        h = p + 1;
        he = strchr(h, ']');
        if (!he || he == h) return "unterminated IPv6 literal in the URL";
        for (pe = h; pe < he; pe++)
            if (!(_bce_hexval((unsigned char)*pe) >= 0 || *pe == ':' || *pe == '.')) return "bad IPv6 literal in the URL";
        pe = he + 1;
    } else {
        h = p;
        for (pe = p; *pe && *pe != ':' && *pe != '/'; pe++) {
            char c = *pe;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
                return "bad character in the URL's host";
        }
        he = pe;
        if (he == h) return "the URL has no host";
    }
    n = (size_t)(he - h);
    if (n >= sizeof u->host) return "the URL's host is too long";
    memcpy(u->host, h, n);
    u->host[n] = 0;
    if (*pe == ':') {
        long port = 0;
        const char *q = ++pe;
        while (*pe >= '0' && *pe <= '9' && pe - q < 5) port = port * 10 + (*pe++ - '0');
        if (pe == q || (*pe && *pe != '/') || port < 1 || port > 65535) return "bad port in the URL";
        memcpy(u->port, q, (size_t)(pe - q));
        u->port[pe - q] = 0;
    } else if (*pe && *pe != '/') {
        return "bad URL after the host";
    } else {
        memcpy(u->port, u->tls ? "443" : "80", u->tls ? 4 : 3);
    }
    n = strlen(pe);
    while (n > 0 && pe[n - 1] == '/') n--;
    if (n >= sizeof u->prefix) return "the URL's path is too long";
    for (p = pe; p < pe + n; p++)
        if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' || (unsigned char)*p >= 0x7f)
            return "the URL's path may not hold spaces, control characters, '?' or '#'";
    memcpy(u->prefix, pe, n);
    u->prefix[n] = 0;
    return NULL;
}

// >>base64 =================================================================================

static size_t _bce_base64(const unsigned char *in, size_t n, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        out[o++] = tab[(v >> 18) & 63]; out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];  out[o++] = tab[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n) v |= (unsigned long)in[i + 1] << 8;
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = tab[(v >> 6) & 63];
        else out[o++] = '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

// >>http ===================================================================================

/* An incremental HTTP/1.1 response parser over one growing buffer. Pure: no I/O. The caller
   appends received bytes to buf and calls _bce_http_feed with the new total length; chunked
   bodies are decoded in place, so the body ends up at buf[body_start .. body_start+body_len).
   Linear time however the bytes are split: interim 1xx heads stay in the buffer (the final
   head starts at head_start), and chunk data is moved down once, the unparsed rest once per
   feed. Every head, interim ones included, and every chunk extension and trailer byte count
   toward max_header; at most BCE_HTTP_INTERIM_MAX interim answers are taken. */
enum { _BCE_HP_HEAD, _BCE_HP_BODY_LEN, _BCE_HP_BODY_EOF, _BCE_HP_CHUNK_SIZE, _BCE_HP_CHUNK_DATA,
       _BCE_HP_CHUNK_CRLF, _BCE_HP_TRAILER, _BCE_HP_DONE };

typedef struct _bce_http_resp_t {
    int phase;
    int status;
    int keep_alive;             /* the connection may carry another request */
    int chunked;
    size_t pos;                 /* parse position in buf */
    size_t head_start;          /* where the current (after interims: the final) head begins */
    size_t head_bytes;          /* heads so far, chunk extensions and trailers: <= max_header */
    unsigned interims;          /* interim 1xx answers so far */
    size_t body_start, body_len;
    size_t remaining;           /* of the Content-Length body or the current chunk */
    size_t max_header, max_body;
    int upgrade;                /* a 101 answer is final (the websocket handshake) */
    const char *error;          /* static reason when feed returned an error */
} _bce_http_resp_t;

static void _bce_http_reset(_bce_http_resp_t *r, size_t max_header, size_t max_body) {
    memset(r, 0, sizeof *r);
    r->max_header = max_header;
    r->max_body = max_body;
}

static int _bce_http_fail(_bce_http_resp_t *r, const char *why, int code) {
    r->error = why;
    return code;
}

/* Case-insensitive: does header line [s, e) have name `name`? Returns the value start or NULL. */
static const char *_bce_http_header(const char *s, const char *e, const char *name) {
    size_t n = strlen(name), i;
    if ((size_t)(e - s) <= n || s[n] != ':') return NULL;
    for (i = 0; i < n; i++)
        if (_bce_lower((unsigned char)s[i]) != name[i]) return NULL;
    s += n + 1;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    return s;
}

/* Value of header `name` in the header block buf[0..end), or NULL. */
static const char *_bce_http_find(const char *buf, size_t end, const char *name, size_t *vlen) {
    const char *p = (const char *)memchr(buf, '\n', end), *e = buf + end;
    while (p && ++p < e) {
        const char *le = (const char *)memchr(p, '\n', (size_t)(e - p)), *v;
        if (!le) break;
        if ((v = _bce_http_header(p, le - 1, name)) != NULL) {
            const char *ve = le - 1;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = le;
    }
    return NULL;
}

static int _bce_has_token(const char *v, const char *e, const char *tok) {
    size_t n = strlen(tok);
    while (v < e) {
        size_t i;
        while (v < e && (*v == ' ' || *v == '\t' || *v == ',')) v++;
        for (i = 0; i < n && v + i < e && _bce_lower((unsigned char)v[i]) == tok[i]; i++) {}
        if (i == n && (v + i == e || v[i] == ',' || v[i] == ' ' || v[i] == '\t')) return 1;
        while (v < e && *v != ',') v++;
    }
    return 0;
}

/* Parses the status line and headers in buf[0..end) (end is just past the blank line). */
static int _bce_http_head(_bce_http_resp_t *r, const char *buf, size_t end) {
    const char *p = buf, *e = buf + end, *le;
    int minor, have_len = 0, conn_close = 0, conn_keep = 0;
    size_t clen = 0;
    if (end < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' '
        || !_bce_isdigit(p[9]) || !_bce_isdigit(p[10]) || !_bce_isdigit(p[11]) || (p[12] != ' ' && p[12] != '\r'))
        return _bce_http_fail(r, "malformed HTTP status line", BCE_ERR_HTTP);
    minor = p[7] - '0';
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (r->status < 100) return _bce_http_fail(r, "malformed HTTP status code", BCE_ERR_HTTP);
    le = (const char *)memchr(p, '\n', end);
    if (!le || le[-1] != '\r') return _bce_http_fail(r, "malformed HTTP status line", BCE_ERR_HTTP);
    p = le + 1;
    r->chunked = 0;
    while (p < e) {
        const char *v, *ve;
        le = (const char *)memchr(p, '\n', (size_t)(e - p));
        if (!le || le == p || le[-1] != '\r') return _bce_http_fail(r, "malformed HTTP header line", BCE_ERR_HTTP);
        if (le - 1 == p) break;                 /* the blank line */
        ve = le - 1;
        if (*p == ' ' || *p == '\t') return _bce_http_fail(r, "folded HTTP header line", BCE_ERR_HTTP);
        if ((v = _bce_http_header(p, ve, "content-length")) != NULL) {
            size_t val = 0;
            const char *q = v;
            while (q < ve && _bce_isdigit(*q)) {
                if (val > ((size_t)-1 - 9) / 10) return _bce_http_fail(r, "Content-Length too large", BCE_ERR_LIMIT);
                val = val * 10 + (size_t)(*q++ - '0');
            }
            while (q < ve && (*q == ' ' || *q == '\t')) q++;
            if (q == v || q != ve || (have_len && val != clen))
                return _bce_http_fail(r, "bad Content-Length", BCE_ERR_HTTP);
            have_len = 1;
            clen = val;
        } else if ((v = _bce_http_header(p, ve, "transfer-encoding")) != NULL) {
            if (!_bce_has_token(v, ve, "chunked")) return _bce_http_fail(r, "unsupported Transfer-Encoding", BCE_ERR_HTTP);
            r->chunked = 1;
        } else if ((v = _bce_http_header(p, ve, "connection")) != NULL) {
            if (_bce_has_token(v, ve, "close")) conn_close = 1;
            if (_bce_has_token(v, ve, "keep-alive")) conn_keep = 1;
        }
        p = le + 1;
    }
    r->keep_alive = !conn_close && (minor == 1 || conn_keep);
    r->body_start = end;
    r->body_len = 0;
    if (r->status == 101 && r->upgrade) {
        r->phase = _BCE_HP_DONE;
        return BCE_OK;
    }
    if (r->status >= 100 && r->status < 200) return BCE_OK;
    if (r->chunked) {
        r->phase = _BCE_HP_CHUNK_SIZE;
    } else if (have_len) {
        if (clen > r->max_body) return _bce_http_fail(r, "response body larger than limits.max_response_bytes", BCE_ERR_LIMIT);
        r->remaining = clen;
        r->phase = clen ? _BCE_HP_BODY_LEN : _BCE_HP_DONE;
    } else if (r->status == 204 || r->status == 304) {
        r->phase = _BCE_HP_DONE;
    } else {
        r->phase = _BCE_HP_BODY_EOF;
        r->keep_alive = 0;
    }
    return BCE_OK;
}

/* Counts framing bytes (chunk extensions, trailers) toward max_header. */
static int _bce_http_count(_bce_http_resp_t *r, size_t n) {
    if (n > r->max_header - r->head_bytes)
        return _bce_http_fail(r, "chunk extensions and trailers (with the headers) larger than limits.max_header_bytes",
                              BCE_ERR_LIMIT);
    r->head_bytes += n;
    return BCE_OK;
}

static int _bce_http_head_limit(_bce_http_resp_t *r) {
    return _bce_http_fail(r, r->interims ? "HTTP header blocks (interim 1xx answers included) larger than limits.max_header_bytes"
                                         : "HTTP header block larger than limits.max_header_bytes", BCE_ERR_LIMIT);
}

/* The parser proper over buf[0..len): r->pos is where it reads; a chunked body is written at
   body_start + body_len, which trails pos by the framing seen so far. */
static int _bce_http_parse(_bce_http_resp_t *r, char *buf, size_t len, int eof) {
    for (;;) {
        switch (r->phase) {
        case _BCE_HP_HEAD: {
            size_t h = r->head_start, i = r->pos > h + 3 ? r->pos - 3 : h, end = 0;
            int rc;
            for (; i + 3 < len; i++)
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') { end = i + 4; break; }
            if (!end) {
                r->pos = len;
                if (len - h > r->max_header - r->head_bytes) return _bce_http_head_limit(r);
                if (eof) return _bce_http_fail(r, len > h || r->interims ? "connection closed inside the HTTP headers" : "connection closed before any response", BCE_ERR_HTTP);
                return 0;
            }
            if (end - h > r->max_header - r->head_bytes) return _bce_http_head_limit(r);
            rc = _bce_http_head(r, buf + h, end - h);
            if (rc != BCE_OK) return rc;
            r->body_start = end;
            r->head_bytes += end - h;
            r->pos = end;
            if (r->status >= 100 && r->status < 200 && r->phase != _BCE_HP_DONE) {     /* interim: skip it */
                if (++r->interims > BCE_HTTP_INTERIM_MAX)
                    return _bce_http_fail(r, "too many interim 1xx answers (BCE_HTTP_INTERIM_MAX)", BCE_ERR_LIMIT);
                r->head_start = end;
            }
            break;
        }
        case _BCE_HP_BODY_LEN: {
            size_t avail = len - r->pos;
            if (avail >= r->remaining) {
                r->body_len += r->remaining;
                r->pos += r->remaining;
                r->remaining = 0;
                r->phase = _BCE_HP_DONE;
                break;
            }
            r->body_len += avail;
            r->remaining -= avail;
            r->pos = len;
            if (eof) return _bce_http_fail(r, "connection closed before the end of the HTTP body", BCE_ERR_HTTP);
            return 0;
        }
        case _BCE_HP_BODY_EOF:
            r->body_len = len - r->body_start;
            r->pos = len;
            if (r->body_len > r->max_body) return _bce_http_fail(r, "response body larger than limits.max_response_bytes", BCE_ERR_LIMIT);
            if (eof) { r->phase = _BCE_HP_DONE; break; }
            return 0;
        case _BCE_HP_CHUNK_SIZE: case _BCE_HP_CHUNK_CRLF: case _BCE_HP_TRAILER: {
            const char *line = buf + r->pos;
            const char *nl = (const char *)memchr(line, '\n', len - r->pos);
            size_t ll;
            if (!nl) {
                if (len - r->pos > BCE_HTTP_LINE_MAX) return _bce_http_fail(r, "chunk header line too long", BCE_ERR_HTTP);
                if (eof) return _bce_http_fail(r, "connection closed inside a chunked body", BCE_ERR_HTTP);
                return 0;
            }
            /* the length first: a split must not change which error a long line gets */
            if ((size_t)(nl - line) > BCE_HTTP_LINE_MAX) return _bce_http_fail(r, "chunk header line too long", BCE_ERR_HTTP);
            if (nl == line || nl[-1] != '\r') return _bce_http_fail(r, "malformed chunked body", BCE_ERR_HTTP);
            ll = (size_t)(nl - line) + 1;
            r->pos += ll;
            if (r->phase == _BCE_HP_CHUNK_CRLF) {
                if (nl - 1 != line) return _bce_http_fail(r, "malformed chunked body", BCE_ERR_HTTP);
                r->phase = _BCE_HP_CHUNK_SIZE;
            } else if (r->phase == _BCE_HP_TRAILER) {
                int rc = _bce_http_count(r, ll);                /* trailers are ignored, and counted */
                if (rc != BCE_OK) return rc;
                if (nl - 1 == line) r->phase = _BCE_HP_DONE;
            } else {
                size_t sz = 0;
                const char *q = line;
                int h, digits = 0, rc;
                while ((h = _bce_hexval((unsigned char)*q)) >= 0) {
                    if (sz > (((size_t)-1) >> 4)) return _bce_http_fail(r, "chunk size too large", BCE_ERR_LIMIT);
                    sz = sz * 16 + (size_t)h;
                    q++;
                    digits++;
                }
                if (!digits || (*q != '\r' && *q != ';' && *q != ' ' && *q != '\t'))
                    return _bce_http_fail(r, "malformed chunk size", BCE_ERR_HTTP);
                if (sz > r->max_body - r->body_len)
                    return _bce_http_fail(r, "response body larger than limits.max_response_bytes", BCE_ERR_LIMIT);
                if (ll > 18 && (rc = _bce_http_count(r, ll - 18)) != BCE_OK) return rc;  /* past 16 digits + CRLF */
                r->remaining = sz;
                r->phase = sz ? _BCE_HP_CHUNK_DATA : _BCE_HP_TRAILER;
            }
            break;
        }
        case _BCE_HP_CHUNK_DATA: {
            size_t avail = len - r->pos, take = avail < r->remaining ? avail : r->remaining;
            size_t wr = r->body_start + r->body_len;
            if (wr != r->pos) memmove(buf + wr, buf + r->pos, take);
            r->body_len += take;
            r->remaining -= take;
            r->pos += take;
            if (r->remaining == 0) { r->phase = _BCE_HP_CHUNK_CRLF; break; }
            if (eof) return _bce_http_fail(r, "connection closed inside a chunked body", BCE_ERR_HTTP);
            return 0;
        }
        case _BCE_HP_DONE:
            return 1;
        default:
            return _bce_http_fail(r, "internal HTTP parser state", BCE_ERR_HTTP);
        }
    }
}

/* Feeds buf[0..*plen). Returns 1 when the response is complete, 0 when more is needed, or an
   error. eof: the peer closed the connection (ends a read-until-close body). The parser may
   shorten *plen: chunk framing is squeezed out, once per call (the decoded body is then
   followed directly by the unparsed rest, and pos points there). */
static int _bce_http_feed(_bce_http_resp_t *r, char *buf, size_t *plen, int eof) {
    size_t len = *plen, wr;
    int rc = _bce_http_parse(r, buf, len, eof);
    if (rc < 0 || !r->chunked || r->phase == _BCE_HP_HEAD) return rc;
    wr = r->body_start + r->body_len;
    if (r->pos > wr) {
        memmove(buf + wr, buf + r->pos, len - r->pos);
        *plen = len - (r->pos - wr);
        r->pos = wr;
    }
    return rc;
}

// >>net ====================================================================================

/* The socket calls the POSIX and lwIP paths share, by one name each (Windows calls winsock
   by its own names in its own functions). */
#ifdef BCE_USE_LWIP
#define _bce_sys_send lwip_send
#define _bce_sys_recv lwip_recv
#define _bce_sys_connect lwip_connect
#define _bce_sys_setsockopt lwip_setsockopt
#define _bce_sys_getsockopt lwip_getsockopt
#define _bce_sys_getpeername lwip_getpeername
#define _bce_sys_inet_pton lwip_inet_pton
#define _bce_sys_getaddrinfo lwip_getaddrinfo       /* LWIP_DNS only (else BCE_NO_DNS) */
#define _bce_sys_freeaddrinfo lwip_freeaddrinfo
#define _bce_sys_gai_strerror(e) ((void)(e), "lwIP could not resolve it")
#else
#define _bce_sys_send send
#define _bce_sys_recv recv
#define _bce_sys_connect connect
#define _bce_sys_setsockopt setsockopt
#define _bce_sys_getsockopt getsockopt
#define _bce_sys_getpeername getpeername
#define _bce_sys_inet_pton inet_pton
#define _bce_sys_getaddrinfo getaddrinfo
#define _bce_sys_freeaddrinfo freeaddrinfo
#define _bce_sys_gai_strerror gai_strerror
#endif

#ifdef _WIN32
/* Winsock is started lazily and reference-counted: every socket holds one WSAStartup
   reference, released by _bce_close_fd, and a connection holds one from name resolution until
   it closes. Nothing for the program to call, and a program's own WSAStartup/WSACleanup pairs
   do not disturb the library's. */
static int _bce_wsa_ref(void) {
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d) == 0 ? 0 : -1;
}

static const char *_bce_wsa_str(int e) {
    switch (e) {
    case WSAECONNREFUSED: return "Connection refused";
    case WSAECONNRESET: return "Connection reset by peer";
    case WSAECONNABORTED: return "Connection aborted";
    case WSAETIMEDOUT: return "Connection timed out";
    case WSAENETUNREACH: return "Network is unreachable";
    case WSAEHOSTUNREACH: return "No route to host";
    case WSAENETDOWN: return "Network is down";
    case WSAEADDRNOTAVAIL: return "Cannot assign requested address";
    case WSAEAFNOSUPPORT: return "Address family not supported";
    case WSAENOBUFS: return "No buffer space available";
    case WSAEMFILE: return "Too many open sockets";
    case WSAENOTCONN: return "Socket is not connected";
    case WSAESHUTDOWN: return "Socket is shut down";
    case WSASYSNOTREADY: case WSAVERNOTSUPPORTED: case WSANOTINITIALISED: return "Winsock is not available";
    default: return "socket error";
    }
}

/* socket() with its own Winsock reference; not inherited by child processes. */
static int _bce_socket(int family, int type, int protocol) {
    SOCKET s;
    int err;
    if (_bce_wsa_ref() < 0) return -1;
    s = socket(family, type, protocol);
    if (s == INVALID_SOCKET) {
        err = WSAGetLastError();
        WSACleanup();
        WSASetLastError(err);
        return -1;
    }
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    return (int)s;
}

static int _bce_set_nonblocking(int fd) {
    u_long one = 1;
    return ioctlsocket(_BCE_SOCK(fd), (long)FIONBIO, &one) == 0 ? 0 : -1;
}

static void _bce_close_fd(int *fd) {
    if (*fd >= 0) {
        closesocket(_BCE_SOCK(*fd));
        WSACleanup();
        *fd = -1;
    }
}

/* poll(2) over select(): readable, writable, and a failed connect (or anything exceptional)
   as POLLERR, which every descriptor is watched for, as poll(2) always reports errors. */
static int _bce_poll(struct pollfd *p, size_t n, int timeout_ms) {
    fd_set rd, wr, ex;
    struct timeval tv;
    size_t i;
    int r;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (n > FD_SETSIZE) n = FD_SETSIZE;
    for (i = 0; i < n; i++) {
        p[i].revents = 0;
        if (p[i].fd < 0) continue;
        FD_SET(_BCE_SOCK(p[i].fd), &ex);
        if (p[i].events & POLLIN) FD_SET(_BCE_SOCK(p[i].fd), &rd);
        if (p[i].events & POLLOUT) FD_SET(_BCE_SOCK(p[i].fd), &wr);
    }
    if (!ex.fd_count) {                         /* select() refuses empty sets */
        if (timeout_ms != 0) Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    r = select(0, &rd, &wr, &ex, timeout_ms < 0 ? NULL : &tv);
    if (r <= 0) return r;
    for (r = 0, i = 0; i < n; i++) {
        if (p[i].fd < 0) continue;
        if (FD_ISSET(_BCE_SOCK(p[i].fd), &rd)) p[i].revents |= POLLIN;
        if (FD_ISSET(_BCE_SOCK(p[i].fd), &wr)) p[i].revents |= POLLOUT;
        if (FD_ISSET(_BCE_SOCK(p[i].fd), &ex)) p[i].revents |= POLLERR;
        if (p[i].revents) r++;
    }
    return r;
}
#elif defined(BCE_USE_LWIP)
static int _bce_set_nonblocking(int fd) {
    return lwip_fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ? -1 : 0;     /* lwIP knows only O_NONBLOCK */
}

static void _bce_close_fd(int *fd) {
    if (*fd >= 0) {
        lwip_close(*fd);
        *fd = -1;
    }
}

static int _bce_socket(int family, int type, int protocol) { return lwip_socket(family, type, protocol); }

#ifndef BCE_LWIP_WAKE_MS
#define BCE_LWIP_WAKE_MS 100    /* lwIP has no wake-up descriptor: waits are cut to this */
#endif
/* poll(2) through lwip_poll (LWIP_SOCKET_POLL) or lwip_select. There is no wake-up
   descriptor under lwIP (no pipe; a loopback pair would need a loopback interface), so every
   wait lasts at most BCE_LWIP_WAKE_MS and then looks at the stop flag; -1 entries (the absent
   wake-up descriptor) are left out. */
static int _bce_poll(struct pollfd *p, size_t n, int timeout_ms) {
#if LWIP_SOCKET_POLL
    struct pollfd q[2 * _BCE_NCUR + 1];
    size_t i, m = 0;
    int r;
    if (timeout_ms < 0 || timeout_ms > BCE_LWIP_WAKE_MS) timeout_ms = BCE_LWIP_WAKE_MS;
    for (i = 0; i < n && m < sizeof q / sizeof q[0]; i++) {
        p[i].revents = 0;
        if (p[i].fd >= 0) q[m++] = p[i];
    }
    r = lwip_poll(q, (nfds_t)m, timeout_ms);
    if (r <= 0) return r < 0 && errno == EINTR ? 0 : r;
    for (m = 0, i = 0; i < n; i++)
        if (p[i].fd >= 0 && m < sizeof q / sizeof q[0]) p[i].revents = q[m++].revents;
    return r;
#else
    fd_set rd, wr, ex;
    struct timeval tv;
    size_t i;
    int r, maxfd = -1;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (timeout_ms < 0 || timeout_ms > BCE_LWIP_WAKE_MS) timeout_ms = BCE_LWIP_WAKE_MS;
    for (i = 0; i < n; i++) {
        p[i].revents = 0;
        if (p[i].fd < 0) continue;
        FD_SET(p[i].fd, &ex);
        if (p[i].events & POLLIN) FD_SET(p[i].fd, &rd);
        if (p[i].events & POLLOUT) FD_SET(p[i].fd, &wr);
        if (p[i].fd > maxfd) maxfd = p[i].fd;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    r = lwip_select(maxfd + 1, &rd, &wr, &ex, &tv);
    if (r <= 0) return r;
    for (r = 0, i = 0; i < n; i++) {
        if (p[i].fd < 0) continue;
        if (FD_ISSET(p[i].fd, &rd)) p[i].revents |= POLLIN;
        if (FD_ISSET(p[i].fd, &wr)) p[i].revents |= POLLOUT;
        if (FD_ISSET(p[i].fd, &ex)) p[i].revents |= POLLERR;
        if (p[i].revents) r++;
    }
    return r;
#endif
}
#else
static int _bce_set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

static void _bce_close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int _bce_socket(int family, int type, int protocol) { return socket(family, type, protocol); }

/* poll(2) on up to a few descriptors, EINTR counted as "nothing happened". */
static int _bce_poll(struct pollfd *p, size_t n, int timeout_ms) {
    int r = poll(p, (nfds_t)n, timeout_ms);
    if (r < 0 && errno == EINTR) return 0;
    return r;
}
#endif

/* The last socket error, its text, and what it means, the same on both socket APIs. */
#ifdef _WIN32
#define _bce_sock_errno() WSAGetLastError()
#define _bce_sock_strerror(e) _bce_wsa_str(e)
#define _BCE_SOCK_AGAIN(e) ((e) == WSAEWOULDBLOCK)
#define _BCE_SOCK_INTR(e) 0
#define _BCE_SOCK_STARTED(e) ((e) == WSAEWOULDBLOCK)     /* a non-blocking connect under way */
#define _BCE_SOCK_REFUSED WSAECONNREFUSED
typedef int _bce_socklen_t;
typedef int _bce_ssize_t;
#define _BCE_IO_LEN(len) ((len) > INT_MAX ? INT_MAX : (int)(len))
#else
#define _bce_sock_errno() errno
#define _bce_sock_strerror(e) strerror(e)
#define _BCE_SOCK_AGAIN(e) ((e) == EAGAIN || (e) == EWOULDBLOCK)
#define _BCE_SOCK_INTR(e) ((e) == EINTR)
#define _BCE_SOCK_STARTED(e) ((e) == EINPROGRESS || (e) == EINTR || (e) == EALREADY)
#define _BCE_SOCK_REFUSED ECONNREFUSED
typedef socklen_t _bce_socklen_t;
typedef ssize_t _bce_ssize_t;
#define _BCE_IO_LEN(len) (len)
#endif

/* A stream connection: TCP connect over every resolved address, then an optional handshake
   and byte I/O through a small interface, so that TLS (and the tests' fault-injecting
   transports) slot in without the layers above knowing. Never blocks. */
#define _BCE_IO_AGAIN_READ (-1001)      /* would block until readable */
#define _BCE_IO_AGAIN_WRITE (-1002)     /* would block until writable */

typedef struct _bce_conn_t _bce_conn_t;
typedef struct _bce_tls_cfg_t _bce_tls_cfg_t;

/* An address to connect to: getaddrinfo's answer, or under BCE_NO_DNS a record of our own
   (lwIP without LWIP_DNS, and bare-metal C libraries, have no struct addrinfo). */
#ifdef BCE_NO_DNS
typedef struct _bce_ai_t {
    int ai_family, ai_socktype, ai_protocol;
    size_t ai_addrlen;
    struct sockaddr *ai_addr;
    struct _bce_ai_t *ai_next;
} _bce_ai_t;
#else
typedef struct addrinfo _bce_ai_t;
#endif
#if defined(BCE_USE_LWIP) && !LWIP_IPV6
#define _BCE_IPV6 0
#define _BCE_SA_BYTES sizeof(struct sockaddr_in)
#else
#define _BCE_IPV6 1
#define _BCE_SA_BYTES sizeof(struct sockaddr_in6)
#endif
typedef struct _bce_io_t {
    /* io_*: lwIP's LWIP_COMPAT_SOCKETS makes send, recv, close... function-like macros */
    int (*io_open)(_bce_conn_t *c, const _bce_url_t *u);          /* transports only: NULL = TCP connect */
    int (*io_handshake)(_bce_conn_t *c);                          /* BCE_OK, _BCE_IO_AGAIN_*, error */
    long (*io_send)(_bce_conn_t *c, const char *buf, size_t len); /* > 0, _BCE_IO_AGAIN_*, error */
    long (*io_recv)(_bce_conn_t *c, char *buf, size_t len);       /* > 0, 0 at EOF, _BCE_IO_AGAIN_*, error */
    void (*io_close)(_bce_conn_t *c);                             /* releases io state; the fd is closed after */
} _bce_io_t;

enum { _BCE_CONN_CLOSED, _BCE_CONN_CONNECTING, _BCE_CONN_HANDSHAKE, _BCE_CONN_OPEN };

struct _bce_conn_t {
    int fd;
    int state;                  /* _BCE_CONN_* */
    int want;                   /* BCE_WANT_* to wait for while connecting */
    _bce_ai_t *ai, *ai_next;
    long long deadline;         /* TCP connect + handshake */
    const _bce_io_t *io;        /* NULL: plain sockets */
    void *io_ctx;
    char *error;                /* the owner's error text buffer */
    size_t error_cap;
    unsigned long long connects;
    const bce_allocator_t *alloc;
    _bce_tls_cfg_t *tls_cfg;    /* the owner's TLS configuration (made on first use) */
    const char *tls_ca_file;
    const char *tls_ca_pem;
    int tls_skip_verify;
    /* A replacement transport (tests: fault injection, fuzzing): used for every connection.
       With open set it replaces the TCP connect too; otherwise it wraps the connected socket. */
    const _bce_io_t *transport;
    void *transport_ctx;
    /* One step's reading below a transport that loops on its own (mbedTLS reads record after
       record while its input callback has bytes: ignored warning alerts return nothing to
       us): set by _bce_conn_slice at the start of each step. */
    size_t rx_budget;           /* raw bytes the step may still read (each read costs >= 1024) */
    long long rx_deadline;      /* stop reading at this time (0: no deadline) */
    const volatile sig_atomic_t *rx_stop;   /* the owner's stop flag, or NULL */
    int rx_more;                /* reading stopped with input perhaps pending: do not wait */
#ifdef _WIN32
    int wsa;                    /* holds a Winsock reference (from resolving to closing) */
#endif
};

#ifdef BCE_USE_MBEDTLS
static int _bce_tls_attach(_bce_conn_t *c, const _bce_url_t *u);
#endif

static void _bce_conn_error(_bce_conn_t *c, const char *a, const char *b) {
    _bce_set_error(c->error, c->error_cap, a, b);
}

static long _bce_plain_send(_bce_conn_t *c, const char *buf, size_t len) {
    for (;;) {
        _bce_ssize_t n = _bce_sys_send(_BCE_SOCK(c->fd), buf, _BCE_IO_LEN(len), _BCE_SEND_FLAGS);
        int e;
        if (n >= 0) return (long)n;
        e = _bce_sock_errno();
        if (_BCE_SOCK_INTR(e)) continue;
        if (_BCE_SOCK_AGAIN(e)) return _BCE_IO_AGAIN_WRITE;
        _bce_conn_error(c, "connection to the daemon failed: ", _bce_sock_strerror(e));
        return BCE_ERR_CONNECT;
    }
}

static long _bce_plain_recv(_bce_conn_t *c, char *buf, size_t len) {
    for (;;) {
        _bce_ssize_t n = _bce_sys_recv(_BCE_SOCK(c->fd), buf, _BCE_IO_LEN(len), 0);
        int e;
        if (n >= 0) return (long)n;
        e = _bce_sock_errno();
        if (_BCE_SOCK_INTR(e)) continue;
        if (_BCE_SOCK_AGAIN(e)) return _BCE_IO_AGAIN_READ;
        _bce_conn_error(c, "connection to the daemon failed: ", _bce_sock_strerror(e));
        return BCE_ERR_CONNECT;
    }
}

#ifdef BCE_NO_DNS
#define _BCE_FREE_AI(c) _bce_mfree((c)->alloc, (c)->ai)
#else
#define _BCE_FREE_AI(c) _bce_sys_freeaddrinfo((c)->ai)
#endif
static void _bce_conn_close(_bce_conn_t *c) {
    if (c->io && c->io->io_close) c->io->io_close(c);
    c->io = NULL;
    _bce_close_fd(&c->fd);
    if (c->ai) _BCE_FREE_AI(c);
    c->ai = c->ai_next = NULL;
    c->state = _BCE_CONN_CLOSED;
#ifdef _WIN32
    if (c->wsa) {
        c->wsa = 0;
        WSACleanup();
    }
#endif
}

#ifdef BCE_NO_DNS
/* BCE_NO_DNS: IP addresses only, so that no resolver is linked in: one address in one block
   from the owner's allocator, shaped like getaddrinfo's answer. */
static int _bce_numeric_host(_bce_conn_t *c, const _bce_url_t *u) {
    _bce_ai_t *a;
    struct sockaddr_in *s4;
#if _BCE_IPV6
    struct sockaddr_in6 *s6;
#endif
    unsigned port = 0;
    const char *p;
    for (p = u->port; *p >= '0' && *p <= '9'; p++) port = port * 10 + (unsigned)(*p - '0');
    a = (_bce_ai_t *)_bce_malloc(c->alloc, sizeof *a + _BCE_SA_BYTES);
    if (!a) return BCE_ERR_NOMEM;
    memset(a, 0, sizeof *a + _BCE_SA_BYTES);
    s4 = (struct sockaddr_in *)(void *)(a + 1);
#if _BCE_IPV6
    s6 = (struct sockaddr_in6 *)(void *)(a + 1);
#endif
    if (_bce_sys_inet_pton(AF_INET, u->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        a->ai_addrlen = sizeof *s4;
#if _BCE_IPV6
    } else if (_bce_sys_inet_pton(AF_INET6, u->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        a->ai_addrlen = sizeof *s6;
#endif
    } else {
        _bce_mfree(c->alloc, a);
        _bce_conn_error(c, "this build resolves no host names (BCE_NO_DNS): use an IP address", NULL);
        return BCE_ERR_CONNECT;
    }
    a->ai_family = ((struct sockaddr *)(void *)(a + 1))->sa_family;
    a->ai_socktype = SOCK_STREAM;
    a->ai_addr = (struct sockaddr *)(void *)(a + 1);
    c->ai = a;
    return BCE_OK;
}
#endif

/* Starts a TCP connect to the next address; BCE_OK while one is in flight. */
static int _bce_conn_next(_bce_conn_t *c) {
    int err = _BCE_SOCK_REFUSED;
    while (c->ai_next) {
        _bce_ai_t *a = c->ai_next;
        int fd, one = 1;
        c->ai_next = a->ai_next;
        fd = _bce_socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) { err = _bce_sock_errno(); continue; }
        if (_bce_set_nonblocking(fd) < 0) { err = _bce_sock_errno(); _bce_close_fd(&fd); continue; }
#if defined(SO_NOSIGPIPE) && !defined(BCE_USE_LWIP)
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
        _bce_sys_setsockopt(_BCE_SOCK(fd), IPPROTO_TCP, TCP_NODELAY, (const char *)&one, (_bce_socklen_t)sizeof one);
        if (_bce_sys_connect(_BCE_SOCK(fd), a->ai_addr, (_bce_socklen_t)a->ai_addrlen) == 0
            || _BCE_SOCK_STARTED(_bce_sock_errno())) {
            c->fd = fd;
            c->connects++;
            c->want = BCE_WANT_WRITE;
            c->state = _BCE_CONN_CONNECTING;
            return BCE_OK;
        }
        err = _bce_sock_errno();
        _bce_close_fd(&fd);
    }
    _bce_conn_error(c, "cannot connect to the daemon: ", _bce_sock_strerror(err));
    return BCE_ERR_CONNECT;
}

/* Resolves the URL's host and starts connecting. BCE_OK: drive with _bce_conn_progress. */
static int _bce_conn_open(_bce_conn_t *c, const _bce_url_t *u, long long now, int timeout_ms) {
    _bce_ai_t hints;
    int r;
    _bce_conn_close(c);
#ifndef BCE_USE_MBEDTLS
    if (u->tls) {
        _bce_conn_error(c, "https:// and wss:// need TLS: this build has none (define BCE_USE_MBEDTLS and link mbedTLS)", NULL);
        return BCE_ERR_TLS;
    }
#else
    if (u->tls && !c->tls_cfg) {
        _bce_conn_error(c, "TLS: no configuration (out of memory)", NULL);
        return BCE_ERR_NOMEM;
    }
#endif
    if (c->transport) {
        c->io = c->transport;
        c->io_ctx = c->transport_ctx;
        c->deadline = now + timeout_ms;
        if (c->transport->io_open) {        /* a transport of its own: no TCP at all */
            r = c->transport->io_open(c, u);
            if (r != BCE_OK) { c->io = NULL; return r; }
            c->state = _BCE_CONN_HANDSHAKE;
            c->want = BCE_WANT_WRITE;
            c->connects++;
            return BCE_OK;
        }
    }
#ifdef BCE_NO_DNS
    _BCE_UNUSED(hints);
    if ((r = _bce_numeric_host(c, u)) != BCE_OK) return r;
#else
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = strchr(u->host, ':') ? AI_NUMERICHOST : AI_ADDRCONFIG;
#ifdef _WIN32
    if (_bce_wsa_ref() < 0) {
        _bce_conn_error(c, "cannot connect to the daemon: ", "Winsock is not available");
        return BCE_ERR_CONNECT;
    }
    c->wsa = 1;
#endif
    r = _bce_sys_getaddrinfo(u->host, u->port, &hints, &c->ai);
    if (r != 0 && hints.ai_flags == AI_ADDRCONFIG) {     /* hosts with only loopback addresses */
        hints.ai_flags = 0;
        r = _bce_sys_getaddrinfo(u->host, u->port, &hints, &c->ai);
    }
    if (r != 0) {
        c->ai = NULL;
        _bce_conn_error(c, "cannot resolve the daemon's host: ", _bce_sys_gai_strerror(r));
        return BCE_ERR_CONNECT;
    }
#endif
    c->ai_next = c->ai;
    c->deadline = now + timeout_ms;
#ifdef BCE_USE_MBEDTLS
    if (u->tls && (r = _bce_tls_attach(c, u)) != BCE_OK) {
        _bce_conn_close(c);
        return r;
    }
#endif
    r = _bce_conn_next(c);
    if (r != BCE_OK) _bce_conn_close(c);
    return r;
}

/* Advances a connect. BCE_OK: open; 1: still connecting (wait for c->want); < 0: failed. */
static int _bce_conn_progress(_bce_conn_t *c, int revents, long long now) {
    if (c->state == _BCE_CONN_OPEN) return BCE_OK;
    if (now >= c->deadline) {
        _bce_conn_error(c, "timed out connecting to the daemon (connect_timeout_ms)", NULL);
        _bce_conn_close(c);
        return BCE_ERR_TIMEOUT;
    }
    if (c->state == _BCE_CONN_CONNECTING) {
        int err = 0;
        _bce_socklen_t el = (_bce_socklen_t)sizeof err;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return 1;
        if (_bce_sys_getsockopt(_BCE_SOCK(c->fd), SOL_SOCKET, SO_ERROR, (char *)&err, &el) < 0) err = _bce_sock_errno();
        if (err && _BCE_SOCK_STARTED(err) && !_BCE_SOCK_INTR(err)) return 1;   /* still under way */
        if (err) {
            _bce_close_fd(&c->fd);
            if (_bce_conn_next(c) == BCE_OK) return 1;
            _bce_conn_error(c, "cannot connect to the daemon: ", _bce_sock_strerror(err));
            _bce_conn_close(c);
            return BCE_ERR_CONNECT;
        }
        if (c->ai) _BCE_FREE_AI(c);
        c->ai = c->ai_next = NULL;
        c->state = _BCE_CONN_HANDSHAKE;
    }
    if (c->state == _BCE_CONN_HANDSHAKE) {
        int r = c->io && c->io->io_handshake ? c->io->io_handshake(c) : BCE_OK;
        if (r == _BCE_IO_AGAIN_READ || r == _BCE_IO_AGAIN_WRITE) {
            c->want = r == _BCE_IO_AGAIN_READ ? BCE_WANT_READ : BCE_WANT_WRITE;
            return 1;
        }
        if (r != BCE_OK) { _bce_conn_close(c); return r; }
        c->state = _BCE_CONN_OPEN;
    }
    return BCE_OK;
}

/* Starts a step's reading: BCE_IO_SLICE_BYTES of raw input at most, until deadline (0: none)
   or until *stop is set. Transports check it on every read (TLS: _bce_tls_bio_recv). */
static void _bce_conn_slice(_bce_conn_t *c, const volatile sig_atomic_t *stop, long long deadline) {
    c->rx_budget = BCE_IO_SLICE_BYTES;
    c->rx_deadline = deadline;
    c->rx_stop = stop;
    c->rx_more = 0;
}

static long _bce_conn_send(_bce_conn_t *c, const char *buf, size_t len) {
    return c->io ? c->io->io_send(c, buf, len) : _bce_plain_send(c, buf, len);
}

static long _bce_conn_recv(_bce_conn_t *c, char *buf, size_t len) {
    return c->io ? c->io->io_recv(c, buf, len) : _bce_plain_recv(c, buf, len);
}

static short _bce_poll_events(int want) {
    return (short)(((want & BCE_WANT_READ) ? POLLIN : 0) | ((want & BCE_WANT_WRITE) ? POLLOUT : 0));
}

// >>tls ====================================================================================
/* TLS through mbedTLS (BCE_USE_MBEDTLS): one more io behind the connection interface. The
   configuration (CA chain, random generator) is made once per owner on the first https:// or
   wss:// connection; each connection then holds one mbedtls_ssl_context. */
#ifdef BCE_USE_MBEDTLS

/* mbedTLS 3.6.6 (Debian 13's) offers RSA-PSS signatures in its ClientHello for TLS 1.3 and
   then refuses them when the server answers in TLS 1.2 and signs its key exchange with
   RSA-PSS, as OpenSSL does with an RSA key ("Server used unsupported value in SigAlg
   extension", MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER): a daemon behind a TLS-1.2-only OpenSSL
   (nginx, stunnel, Python) with an RSA certificate could never be reached. Such a handshake
   is tried once more on a fresh TCP connection to the same address with TLS 1.2 at most,
   where mbedTLS offers no RSA-PSS (see _bce_tls_retry12). */
#if MBEDTLS_VERSION_NUMBER >= 0x03060600 && defined(MBEDTLS_SSL_PROTO_TLS1_2) && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define _BCE_TLS12_RETRY 1
#endif

struct _bce_tls_cfg_t {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int ready;
#ifdef _BCE_TLS12_RETRY
    mbedtls_ssl_config conf12;  /* the same at TLS 1.2 at most, made on first need */
    int ready12;
#endif
};

typedef struct _bce_tls_conn_t {
    mbedtls_ssl_context ssl;
    unsigned char ip[16];       /* the host as an IP address, when it is an IP literal: */
    size_t ip_len;              /* 4 or 16, checked against iPAddress names; 0 for a DNS name */
#ifdef _BCE_TLS12_RETRY
    const char *host;           /* the URL's host (the owner's, which outlives the connection) */
    int tls12;                  /* this is the TLS 1.2 retry */
    struct sockaddr_storage peer;   /* the address of the retry */
    _bce_ai_t peer_ai;
#endif
} _bce_tls_conn_t;

#ifdef _WIN32
/* Windows: the trusted roots are the system's ROOT certificate store. Certificates mbedTLS
   cannot parse are skipped. 1 when at least one was taken. */
static int _bce_tls_windows_roots(mbedtls_x509_crt *ca) {
    HCERTSTORE store = CertOpenSystemStoreA(0, "ROOT");
    PCCERT_CONTEXT cert = NULL;
    int n = 0;
    if (!store) return 0;
    while ((cert = CertEnumCertificatesInStore(store, cert)) != NULL)
        if ((cert->dwCertEncodingType & X509_ASN_ENCODING) &&
            mbedtls_x509_crt_parse_der(ca, cert->pbCertEncoded, cert->cbCertEncoded) == 0) n++;
    CertCloseStore(store, 0);
    return n > 0;
}
#elif defined(MBEDTLS_FS_IO) && !defined(BCE_USE_LWIP)
/* The usual system CA bundles: Debian/Ubuntu, Fedora/RHEL, Alpine/macOS (cert.pem), openSUSE. */
static const char *const _bce_ca_paths[] = {
    "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
    NULL
};
#endif

/* A client configuration on the owner's random generator and (unless skip_verify) CA chain. */
static int _bce_tls_conf_setup(_bce_tls_cfg_t *t, mbedtls_ssl_config *conf, int skip_verify, _bce_conn_t *c) {
    if (mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        _bce_conn_error(c, "TLS: cannot set up the configuration", NULL);
        return BCE_ERR_TLS;
    }
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &t->drbg);
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH) && defined(MBEDTLS_SSL_IN_CONTENT_LEN) && \
    defined(MBEDTLS_SSL_OUT_CONTENT_LEN) && (MBEDTLS_SSL_IN_CONTENT_LEN < 16384 || MBEDTLS_SSL_OUT_CONTENT_LEN < 16384)
    /* an mbedTLS built with small record buffers: ask the server for records that fit them
       (max_fragment_length, RFC 6066, one size for both directions, so the smaller buffer's;
       TLS 1.2 only: mbedTLS's TLS 1.3 client does not send it) */
#define _BCE_TLS_FRAG (MBEDTLS_SSL_IN_CONTENT_LEN < MBEDTLS_SSL_OUT_CONTENT_LEN ? MBEDTLS_SSL_IN_CONTENT_LEN : MBEDTLS_SSL_OUT_CONTENT_LEN)
    if (mbedtls_ssl_conf_max_frag_len(conf, _BCE_TLS_FRAG >= 4096 ? MBEDTLS_SSL_MAX_FRAG_LEN_4096
                                            : _BCE_TLS_FRAG >= 2048 ? MBEDTLS_SSL_MAX_FRAG_LEN_2048
                                            : _BCE_TLS_FRAG >= 1024 ? MBEDTLS_SSL_MAX_FRAG_LEN_1024
                                            : MBEDTLS_SSL_MAX_FRAG_LEN_512) != 0) {
        _bce_conn_error(c, "TLS: cannot set max_fragment_length", NULL);
        return BCE_ERR_TLS;
    }
#undef _BCE_TLS_FRAG
#endif
    if (skip_verify) {
        mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
        return BCE_OK;
    }
    mbedtls_ssl_conf_ca_chain(conf, &t->ca, NULL);
    mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    return BCE_OK;
}

#ifdef BCE_RANDOM
/* The program's entropy hook as one more strong source of mbedTLS's entropy pool, beside
   whatever mbedTLS has itself (nothing on a platform built with MBEDTLS_NO_PLATFORM_ENTROPY
   and without MBEDTLS_ENTROPY_HARDWARE_ALT, as bare metal usually is). */
static int _bce_tls_entropy(void *ctx, unsigned char *out, size_t len, size_t *olen) {
    _BCE_UNUSED(ctx);
    if ((BCE_RANDOM(out, len)) != 0) return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    *olen = len;
    return 0;
}
#endif

/* The trusted CAs: tls.ca_pem and tls.ca_file (both when both are given), else the system's
   (see TLS). An lwIP build, or an mbedTLS without MBEDTLS_FS_IO, has no system bundle. */
static int _bce_tls_load_cas(_bce_tls_cfg_t *t, const char *ca_pem, const char *ca_file, _bce_conn_t *c) {
    int loaded = 0;
    if (ca_pem) {
        if (mbedtls_x509_crt_parse(&t->ca, (const unsigned char *)ca_pem, strlen(ca_pem) + 1) < 0) {
            _bce_conn_error(c, "TLS: tls.ca_pem holds no certificate mbedTLS can parse", NULL);
            return BCE_ERR_TLS;
        }
        loaded = 1;
    }
    if (ca_file) {
#ifdef MBEDTLS_FS_IO
        if (mbedtls_x509_crt_parse_file(&t->ca, ca_file) < 0) {
            _bce_conn_error(c, "TLS: cannot read tls.ca_file ", ca_file);
            return BCE_ERR_TLS;
        }
        loaded = 1;
#else
        _bce_conn_error(c, "TLS: tls.ca_file needs mbedTLS built with MBEDTLS_FS_IO (give the CAs in memory: tls.ca_pem)", NULL);
        return BCE_ERR_TLS;
#endif
    }
    if (loaded) return BCE_OK;
    {
#if defined(MBEDTLS_FS_IO) && !defined(BCE_USE_LWIP)
        const char *env = getenv("SSL_CERT_FILE");
        if (env && *env && mbedtls_x509_crt_parse_file(&t->ca, env) >= 0) loaded = 1;
#endif
#ifdef _WIN32
        if (!loaded) loaded = _bce_tls_windows_roots(&t->ca);
        if (!loaded) {
            _bce_conn_error(c, "TLS: no CA bundle found (the Windows ROOT store gave no certificate; set tls.ca_file or tls.ca_pem, or SSL_CERT_FILE)", NULL);
            return BCE_ERR_TLS;
        }
#elif defined(BCE_USE_LWIP) || !defined(MBEDTLS_FS_IO)
        if (!loaded) {
            _bce_conn_error(c, "TLS: no CA given (set tls.ca_pem; this build reads no system CA bundle)", NULL);
            return BCE_ERR_TLS;
        }
#else
        {
            int k;
            for (k = 0; !loaded && _bce_ca_paths[k]; k++)
                if (access(_bce_ca_paths[k], R_OK) == 0 && mbedtls_x509_crt_parse_file(&t->ca, _bce_ca_paths[k]) >= 0) loaded = 1;
        }
        if (!loaded) {
            _bce_conn_error(c, "TLS: no CA bundle found (set tls.ca_file or tls.ca_pem, or SSL_CERT_FILE)", NULL);
            return BCE_ERR_TLS;
        }
#endif
    }
    return BCE_OK;
}

static int _bce_tls_cfg_init(_bce_tls_cfg_t *t, const char *ca_pem, const char *ca_file, int skip_verify, _bce_conn_t *c) {
    int r;
    if (t->ready) return BCE_OK;
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    t->ready = 1;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (psa_crypto_init() != PSA_SUCCESS) {
        _bce_conn_error(c, "TLS: psa_crypto_init failed", NULL);
        return BCE_ERR_TLS;
    }
#endif
#ifdef BCE_RANDOM
    if (mbedtls_entropy_add_source(&t->entropy, _bce_tls_entropy, NULL, 32, MBEDTLS_ENTROPY_SOURCE_STRONG) != 0) {
        _bce_conn_error(c, "TLS: cannot add BCE_RANDOM to mbedTLS's entropy sources", NULL);
        return BCE_ERR_TLS;
    }
#define _BCE_TLS_SEED_WHY " (BCE_RANDOM or mbedTLS's own entropy source failed)"
#elif defined(BCE_USE_LWIP)
#define _BCE_TLS_SEED_WHY " (mbedTLS has no entropy source here: define BCE_RANDOM(buf, n))"
#else
#define _BCE_TLS_SEED_WHY ""
#endif
    if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, (const unsigned char *)"bitcart_events", 14) != 0) {
        _bce_conn_error(c, "TLS: cannot seed the random generator", _BCE_TLS_SEED_WHY);
        return BCE_ERR_TLS;
    }
#undef _BCE_TLS_SEED_WHY
    if (skip_verify) return _bce_tls_conf_setup(t, &t->conf, 1, c);
    if ((r = _bce_tls_load_cas(t, ca_pem, ca_file, c)) != BCE_OK) return r;
    return _bce_tls_conf_setup(t, &t->conf, 0, c);
}

static void _bce_tls_cfg_free(_bce_tls_cfg_t *t) {
    if (!t->ready) return;
    mbedtls_ssl_config_free(&t->conf);
#ifdef _BCE_TLS12_RETRY
    if (t->ready12) mbedtls_ssl_config_free(&t->conf12);
    t->ready12 = 0;
#endif
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    t->ready = 0;
}

/* mbedTLS's socket callbacks: the same socket calls as the plain transport (_bce_sys_*: the
   C library's, or lwIP's under BCE_USE_LWIP), never mbedTLS's net_sockets. */
static int _bce_tls_bio_send(void *ctx, const unsigned char *buf, size_t len) {
    _bce_conn_t *c = (_bce_conn_t *)ctx;
    for (;;) {
        _bce_ssize_t n = _bce_sys_send(_BCE_SOCK(c->fd), (const char *)buf, _BCE_IO_LEN(len), _BCE_SEND_FLAGS);
        int e;
        if (n >= 0) return (int)n;
        e = _bce_sock_errno();
        if (_BCE_SOCK_INTR(e)) continue;
        if (_BCE_SOCK_AGAIN(e)) return MBEDTLS_ERR_SSL_WANT_WRITE;
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

/* mbedTLS reads through this until it returns WANT_READ, across records it skips (warning
   alerts, empty records) without returning to us: so it says WANT_READ itself once the
   step's budget is spent (a read costs at least 1024 bytes, which bounds the number of
   recv calls too), the deadline has passed or the owner's stop flag is set. mbedTLS keeps
   a partly read record and goes on at the next call; rx_more tells the caller not to wait. */
static int _bce_tls_bio_recv(void *ctx, unsigned char *buf, size_t len) {
    _bce_conn_t *c = (_bce_conn_t *)ctx;
    if (!c->rx_budget || (c->rx_stop && *c->rx_stop) || (c->rx_deadline && _bce_now_ms() >= c->rx_deadline)) {
        c->rx_more = 1;
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (len > c->rx_budget) len = c->rx_budget;
    for (;;) {
        _bce_ssize_t n = _bce_sys_recv(_BCE_SOCK(c->fd), (char *)buf, _BCE_IO_LEN(len), 0);
        int e;
        if (n >= 0) {
            size_t cost = (size_t)n < 1024 ? 1024 : (size_t)n;
            c->rx_budget -= cost < c->rx_budget ? cost : c->rx_budget;
            return (int)n;
        }
        e = _bce_sock_errno();
        if (_BCE_SOCK_INTR(e)) continue;
        if (_BCE_SOCK_AGAIN(e)) return MBEDTLS_ERR_SSL_WANT_READ;
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

/* The host of the URL as an IP address: 4 (IPv4) or 16 (IPv6) bytes written to ip, in network
   order; 0 when the host is a name (and ip is left as it was). */
static size_t _bce_tls_ip_literal(const char *host, unsigned char ip[16]) {
    if (_bce_sys_inet_pton(AF_INET, host, ip) == 1) return 4;
#if _BCE_IPV6
    if (_bce_sys_inet_pton(AF_INET6, host, ip) == 1) return 16;
#endif
    return 0;
}

/* 1 when the certificate names the IP address ip (ip_len 4 or 16 bytes), else 0: an iPAddress
   entry of subjectAltName with exactly those bytes. Reads only what mbedTLS parsed and checked:
   crt->subject_alt_names lists every GeneralName of the subjectAltName extension, and nothing
   from anywhere else, each as its raw tag byte and value, in mbedTLS 2.28 as in 3.x (2.28's
   header says "only dNSName and OtherName" but its parser keeps every context-specific entry;
   mbedtls_x509_parse_subject_alt_name is what knows fewer types). iPAddress is [7] IMPLICIT
   OCTET STRING: tag 0x87, the address in network order. Neither the subject CN nor a dNSName
   entry ever names an address (RFC 9525, RFC 6125 before it). */
static int _bce_tls_cert_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t ip_len) {
    const mbedtls_x509_sequence *s;
    if (ip_len != 4 && ip_len != 16) return 0;
    for (s = &crt->subject_alt_names; s; s = s->next)
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) && s->buf.p &&
            s->buf.len == ip_len && memcmp(s->buf.p, ip, ip_len) == 0)
            return 1;
    return 0;
}

/* The verify callback for a host that is an IP literal: mbedTLS calls it for each certificate
   of the chain with the flags it found so far; the leaf (depth 0) that does not name the
   address gets the same flag as a DNS name mismatch. */
static int _bce_tls_verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)ctx;
    if (depth == 0 && !_bce_tls_cert_has_ip(crt, t->ip, t->ip_len)) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

static void _bce_tls_close(_bce_conn_t *c) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)c->io_ctx;
    if (!t) return;
    if (c->state == _BCE_CONN_OPEN) mbedtls_ssl_close_notify(&t->ssl);   /* best effort, never waits */
    mbedtls_ssl_free(&t->ssl);
    _bce_mfree(c->alloc, t);
    c->io_ctx = NULL;
}

static int _bce_tls_fail(_bce_conn_t *c, int r) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)c->io_ctx;
    uint32_t v = mbedtls_ssl_get_verify_result(&t->ssl);
    char num[24];
    _bce_msg_t m;
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && v != 0 && v != (uint32_t)-1) {
        if (v & MBEDTLS_X509_BADCERT_CN_MISMATCH) _bce_conn_error(c, "TLS: the certificate is not for this host name (host name mismatch)", NULL);
        else if (v & MBEDTLS_X509_BADCERT_EXPIRED) _bce_conn_error(c, "TLS: the certificate has expired", NULL);
        else if (v & MBEDTLS_X509_BADCERT_FUTURE) _bce_conn_error(c, "TLS: the certificate is not valid yet", NULL);
        else if (v & MBEDTLS_X509_BADCERT_NOT_TRUSTED) _bce_conn_error(c, "TLS: untrusted issuer (the certificate does not chain to a trusted CA)", NULL);
        else _bce_conn_error(c, "TLS: certificate verification failed", NULL);
        return BCE_ERR_TLS;
    }
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_long(&m, (long long)r);
    memcpy(num, m.buf, m.len + 1);
    if (r == MBEDTLS_ERR_NET_SEND_FAILED || r == MBEDTLS_ERR_NET_RECV_FAILED || r == MBEDTLS_ERR_SSL_CONN_EOF) {
        _bce_conn_error(c, "TLS: the connection failed during the handshake, mbedTLS error ", num);
        return BCE_ERR_CONNECT;
    }
    _bce_conn_error(c, "TLS handshake failed, mbedTLS error ", num);
    return BCE_ERR_TLS;
}

#ifdef _BCE_TLS12_RETRY
static int _bce_tls_retry12(_bce_conn_t *c, _bce_tls_conn_t *t);
#endif

static int _bce_tls_handshake(_bce_conn_t *c) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)c->io_ctx;
    int r = mbedtls_ssl_handshake(&t->ssl);
    if (r == 0 && t->ip_len && !c->tls_skip_verify) {
        /* The verify callback refused a certificate that does not name the address; checked
           again on the certificate the handshake kept, because a callback set on the context
           is not always called (mbedTLS 3.6.0 ignores it in TLS 1.3). */
        const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&t->ssl);
        if (!peer) {
            _bce_conn_error(c, "TLS: cannot check the certificate against an IP address "
                               "(mbedTLS built without MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)", NULL);
            return BCE_ERR_TLS;
        }
        if (!_bce_tls_cert_has_ip(peer, t->ip, t->ip_len)) {
            _bce_conn_error(c, "TLS: the certificate is not for this host name (host name mismatch)", NULL);
            return BCE_ERR_TLS;
        }
    }
    if (r == 0) return BCE_OK;
    if (r == MBEDTLS_ERR_SSL_WANT_READ) return _BCE_IO_AGAIN_READ;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return _BCE_IO_AGAIN_WRITE;
#ifdef _BCE_TLS12_RETRY
    if (r == MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER && !t->tls12 && !c->transport &&
        mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_2)
        return _bce_tls_retry12(c, t);
#endif
    return _bce_tls_fail(c, r);
}

static long _bce_tls_send(_bce_conn_t *c, const char *buf, size_t len) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)c->io_ctx;
    int r = mbedtls_ssl_write(&t->ssl, (const unsigned char *)buf, len);
    if (r >= 0) return r;
    if (r == MBEDTLS_ERR_SSL_WANT_READ) return _BCE_IO_AGAIN_READ;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return _BCE_IO_AGAIN_WRITE;
    _bce_conn_error(c, "TLS: the connection to the daemon failed while sending", NULL);
    return BCE_ERR_CONNECT;
}

static long _bce_tls_recv(_bce_conn_t *c, char *buf, size_t len) {
    _bce_tls_conn_t *t = (_bce_tls_conn_t *)c->io_ctx;
    for (;;) {
        int r = mbedtls_ssl_read(&t->ssl, (unsigned char *)buf, len);
        if (r > 0) return r;
        if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
        if (r == MBEDTLS_ERR_SSL_WANT_READ) return _BCE_IO_AGAIN_READ;
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return _BCE_IO_AGAIN_WRITE;
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
        if (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) continue;     /* TLS 1.3 in 3.x */
#endif
        _bce_conn_error(c, "TLS: the connection to the daemon failed", NULL);
        return BCE_ERR_CONNECT;
    }
}

static const _bce_io_t _bce_tls_io = {NULL, _bce_tls_handshake, _bce_tls_send, _bce_tls_recv, _bce_tls_close};

/* The connection's TLS context on configuration conf, for host (t->ip_len already set). */
static int _bce_tls_ssl_setup(_bce_conn_t *c, _bce_tls_conn_t *t, const mbedtls_ssl_config *conf, const char *host) {
    int r;
    if (mbedtls_ssl_setup(&t->ssl, conf) != 0) {
        _bce_conn_error(c, "TLS: out of memory for a connection", NULL);
        return BCE_ERR_NOMEM;
    }
    /* Names go to mbedTLS (SNI and the name check). Addresses get no SNI (RFC 6066) and are
       matched against the certificate's iPAddress names here, the same way on every mbedTLS
       version (2.x does not match them at all; 3.x would, but would take the subject CN when
       there is no subjectAltName); NULL is the documented way to say so. */
    if (t->ip_len) {
        r = mbedtls_ssl_set_hostname(&t->ssl, NULL);
        if (!c->tls_skip_verify) mbedtls_ssl_set_verify(&t->ssl, _bce_tls_verify_ip, t);
    } else {
        r = mbedtls_ssl_set_hostname(&t->ssl, host);
    }
    if (r != 0) {
        _bce_conn_error(c, "TLS: bad host name", NULL);
        return BCE_ERR_TLS;
    }
    mbedtls_ssl_set_bio(&t->ssl, c, _bce_tls_bio_send, _bce_tls_bio_recv, NULL);
    return BCE_OK;
}

/* Sets up TLS on a connection before its TCP connect. */
static int _bce_tls_attach(_bce_conn_t *c, const _bce_url_t *u) {
    _bce_tls_conn_t *t;
    int r = _bce_tls_cfg_init(c->tls_cfg, c->tls_ca_pem, c->tls_ca_file, c->tls_skip_verify, c);
    if (r != BCE_OK) return r;
    t = (_bce_tls_conn_t *)_bce_malloc(c->alloc, sizeof *t);
    if (!t) return BCE_ERR_NOMEM;
    memset(t, 0, sizeof *t);
    mbedtls_ssl_init(&t->ssl);
    c->io_ctx = t;
    c->io = &_bce_tls_io;
    t->ip_len = _bce_tls_ip_literal(u->host, t->ip);
#ifdef _BCE_TLS12_RETRY
    t->host = u->host;
#endif
    return _bce_tls_ssl_setup(c, t, &c->tls_cfg->conf, u->host);
}

#ifdef _BCE_TLS12_RETRY
/* The TLS 1.2 retry (see _BCE_TLS12_RETRY): the failed handshake's TCP connection is closed
   and a new one to the same address is started (the connection goes back to connecting, within
   the same connect_timeout_ms), with a new TLS context at TLS 1.2 at most. Once per connection.
   TLS 1.2 is negotiated with mbedTLS's default suites and verified as ever; the ServerHello
   that said TLS 1.2 the first time was not yet authenticated, so an attacker on the path can
   force this TLS 1.2 (never less, and never without verification) from a server that also
   speaks TLS 1.3. */
static int _bce_tls_retry12(_bce_conn_t *c, _bce_tls_conn_t *t) {
    _bce_tls_cfg_t *g = c->tls_cfg;
    _bce_socklen_t len = (_bce_socklen_t)sizeof t->peer;
    int r;
    memset(&t->peer, 0, sizeof t->peer);
    if (_bce_sys_getpeername(_BCE_SOCK(c->fd), (struct sockaddr *)&t->peer, &len) != 0) {
        _bce_conn_error(c, "TLS: the connection failed during the handshake", NULL);
        return BCE_ERR_CONNECT;
    }
    if (!g->ready12) {
        mbedtls_ssl_config_init(&g->conf12);
        g->ready12 = 1;
        if ((r = _bce_tls_conf_setup(g, &g->conf12, c->tls_skip_verify, c)) != BCE_OK) return r;
        mbedtls_ssl_conf_max_tls_version(&g->conf12, MBEDTLS_SSL_VERSION_TLS1_2);
    }
    mbedtls_ssl_free(&t->ssl);              /* no close_notify: the server has sent its alert */
    mbedtls_ssl_init(&t->ssl);
    t->tls12 = 1;
    if ((r = _bce_tls_ssl_setup(c, t, &g->conf12, t->host)) != BCE_OK) return r;
    _bce_close_fd(&c->fd);
    memset(&t->peer_ai, 0, sizeof t->peer_ai);
    t->peer_ai.ai_family = t->peer.ss_family;
    t->peer_ai.ai_socktype = SOCK_STREAM;
    t->peer_ai.ai_addr = (struct sockaddr *)&t->peer;
    t->peer_ai.ai_addrlen = t->peer.ss_family == AF_INET ? sizeof(struct sockaddr_in) : _BCE_SA_BYTES;
    c->ai_next = &t->peer_ai;               /* c->ai stays NULL: nothing of ours is freed */
    if ((r = _bce_conn_next(c)) != BCE_OK) return r;
    return _BCE_IO_AGAIN_WRITE;             /* connecting again: c->state, c->want set */
}
#endif
#endif /* BCE_USE_MBEDTLS */

/* A TLS configuration for an owner whose URL is https://, or NULL (no TLS needed or built). */
static _bce_tls_cfg_t *_bce_tls_new(const bce_allocator_t *a, const char *url, int *nomem) {
#ifdef BCE_USE_MBEDTLS
    _bce_tls_cfg_t *t;
    *nomem = 0;
    if (strncmp(url, "https://", 8) != 0) return NULL;
    t = (_bce_tls_cfg_t *)_bce_malloc(a, sizeof *t);
    if (!t) { *nomem = 1; return NULL; }
    memset(t, 0, sizeof *t);
    return t;
#else
    _BCE_UNUSED(a);
    _BCE_UNUSED(url);
    *nomem = 0;
    return NULL;
#endif
}

static void _bce_tls_delete(const bce_allocator_t *a, _bce_tls_cfg_t *t) {
#ifdef BCE_USE_MBEDTLS
    if (!t) return;
    _bce_tls_cfg_free(t);
    _bce_mfree(a, t);
#else
    _BCE_UNUSED(a);
    _BCE_UNUSED(t);
#endif
}

// >>endpoint ===============================================================================

/* What the JSON-RPC client and the websocket share about one daemon: where it is, how to log
   in, TLS, timeouts, limits, and where failures are described. Each builds its connections
   from it (_bce_endpoint_conn); neither reads the other's fields. */
typedef struct _bce_endpoint_t {
    _bce_url_t url;
    char *auth;                 /* "Authorization: Basic ...\r\n" */
    int colon_pw;               /* the password holds ':', which the daemon cannot parse (HTTP 500) */
    _bce_tls_cfg_t *tls;        /* https:// only (owned) */
    const char *ca_file;        /* the owner's copy */
    const char *ca_pem;         /* the owner's copy */
    int skip_verify;
    /* A replacement transport (tests: fault injection) for the connections made after it is set. */
    const _bce_io_t *transport;
    void *transport_ctx;
    int connect_timeout_ms, rpc_timeout_ms;
    size_t max_header, max_body;
    const bce_allocator_t *alloc;
    const bce_logger_t *logger;
    char *error;                /* the owner's last_error */
    size_t error_cap;
} _bce_endpoint_t;

/* The receive buffer's bound is max_header + max_body + _BCE_RPC_SLACK (the growth step is
   added to it once more while growing): on a 32-bit build that must still fit a size_t.
   NULL: it fits; else the reason. */
#define _BCE_RPC_SLACK ((size_t)64 + 2 * (size_t)BCE_RPC_RECV_STEP)
static const char *_bce_rpc_limits_bad(size_t max_header, size_t max_body) {
    if (max_header > (size_t)-1 - _BCE_RPC_SLACK || max_body > (size_t)-1 - _BCE_RPC_SLACK - max_header)
        return "limits.max_header_bytes + limits.max_response_bytes too large for this build (size_t)";
    return NULL;
}

/* d has its defaults filled; of its strings only tls.ca_file and tls.ca_pem must outlive the
   endpoint. */
static int _bce_endpoint_init(_bce_endpoint_t *ep, const bce_coin_desc_t *d, const bce_allocator_t *alloc,
                              const bce_logger_t *logger, char *error, size_t error_cap) {
    size_t ul = strlen(d->user), pl = strlen(d->password), n;
    unsigned char *cred;
    const char *why;
    int nomem;
    memset(ep, 0, sizeof *ep);
    ep->alloc = alloc;
    ep->logger = logger;
    ep->error = error;
    ep->error_cap = error_cap;
    ep->connect_timeout_ms = d->connect_timeout_ms;
    ep->rpc_timeout_ms = d->rpc_timeout_ms;
    ep->max_header = d->limits.max_header_bytes;
    ep->max_body = d->limits.max_response_bytes;
    ep->ca_file = d->tls.ca_file;
    ep->ca_pem = d->tls.ca_pem;
    ep->skip_verify = d->tls.skip_verify != 0;
    why = _bce_rpc_limits_bad(ep->max_header, ep->max_body);   /* create and configure refused it already */
    if (!why) why = _bce_url_parse(d->url, &ep->url);
    if (why) {
        _bce_set_error(error, error_cap, why, NULL);
        return BCE_ERR_INVALID_ARG;
    }
    if (ul > ((size_t)-1) / 2 - 64 || pl > ((size_t)-1) / 2 - 64 || ul + pl > ((size_t)-1 - 64) / 4 * 3) {
        _bce_set_error(error, error_cap, "user and password too long", NULL);  /* 32-bit: the sums must fit */
        return BCE_ERR_INVALID_ARG;
    }
    cred = (unsigned char *)_bce_malloc(alloc, ul + pl + 2);
    n = 4 * ((ul + pl + 1 + 2) / 3);
    ep->auth = (char *)_bce_malloc(alloc, n + 40);
    if (!cred || !ep->auth) {
        _bce_mfree(alloc, cred);
        _bce_mfree(alloc, ep->auth);
        ep->auth = NULL;
        return BCE_ERR_NOMEM;
    }
    memcpy(cred, d->user, ul);
    cred[ul] = ':';
    memcpy(cred + ul + 1, d->password, pl);
    memcpy(ep->auth, "Authorization: Basic ", 21);
    n = 21 + _bce_base64(cred, ul + pl + 1, ep->auth + 21);
    memcpy(ep->auth + n, "\r\n", 3);
    ep->colon_pw = memchr(d->password, ':', pl) != NULL;
    _bce_wipe(cred, ul + pl + 1);
    _bce_mfree(alloc, cred);
    ep->tls = _bce_tls_new(alloc, d->url, &nomem);
    return nomem ? BCE_ERR_NOMEM : BCE_OK;
}

/* After every connection made from it is released. Safe on a failed init. */
static void _bce_endpoint_release(_bce_endpoint_t *ep) {
    _bce_free_secret(ep->alloc, ep->auth);
    _bce_tls_delete(ep->alloc, ep->tls);
    ep->auth = NULL;
    ep->tls = NULL;
}

/* A connection to the endpoint, not open yet. */
_BCE_OUTLINE void _bce_endpoint_conn(const _bce_endpoint_t *ep, _bce_conn_t *c) {
    c->fd = -1;
    c->error = ep->error;
    c->error_cap = ep->error_cap;
    c->alloc = ep->alloc;
    c->tls_cfg = ep->tls;
    c->tls_ca_file = ep->ca_file;
    c->tls_ca_pem = ep->ca_pem;
    c->tls_skip_verify = ep->skip_verify;
    c->transport = ep->transport;
    c->transport_ctx = ep->transport_ctx;
}

// >>rpc ====================================================================================

/* One HTTP/1.1 keep-alive connection to a daemon carrying JSON-RPC calls, one at a time.
   A state machine driven by _bce_rpc_io; never blocks. */
enum { _BCE_RPC_IDLE, _BCE_RPC_CONNECTING, _BCE_RPC_SENDING, _BCE_RPC_RECEIVING, _BCE_RPC_DONE,
       _BCE_RPC_FAILED };

typedef struct _bce_rpc_t {
    const _bce_endpoint_t *ep;  /* URL, credentials, TLS, timeouts, limits, error buffer */
    _bce_conn_t conn;
    int want;                   /* BCE_WANT_* while sending or receiving */
    int state;
    int reused;                 /* the current call went out on a kept-alive connection */
    int retried;
    long long deadline;
    char *out;
    size_t out_len, out_off, out_cap;
    char *in;
    size_t in_len, in_cap, max_in;
    _bce_http_resp_t resp;
    unsigned long long next_id, call_id;
    int result;                 /* of a finished call: BCE_OK or an error */
    int rpc_code;               /* JSON-RPC error code when result is BCE_ERR_RPC/AUTH */
    const char *result_json;    /* into in: the "result" value */
    size_t result_len;
    const char *result_body;    /* the answer the tokens below index */
    uint32_t result_tok;        /* the "result" value's token in *json (_BCE_RPC_NO_TOKENS: not
                                   tokenized, the answer was over the token limit) ... */
    uint32_t result_parse;      /* ... while json->parses_ still equals this */
    bce_json_t *json;           /* parses responses: the owner's dispatcher's, so that an answer
                                   is tokenized once for the call and its dispatch */
    const volatile sig_atomic_t *stop;  /* the owner's stop flag: stop reading at once */
    int more;                   /* a read slice ended before the socket was drained: go on
                                   without waiting (TLS may hold bytes poll(2) cannot see) */
    int spec_get;               /* the call in flight is GET /spec, not JSON-RPC */
    int err_code;               /* the last JSON-RPC error answer: its code ... */
    char *err_msg;              /* ... and message (BCE_RPC_MESSAGE_MAX, allocated on first use) */
} _bce_rpc_t;

#define _BCE_RPC_NO_TOKENS 0xFFFFFFFFu

_BCE_OUTLINE void _bce_rpc_error(_bce_rpc_t *c, const char *a, const char *b) {
    _bce_conn_error(&c->conn, a, b);
}

_BCE_OUTLINE void _bce_rpc_disconnect(_bce_rpc_t *c) { _bce_conn_close(&c->conn); }

_BCE_OUTLINE void _bce_rpc_fail(_bce_rpc_t *c, int result) {
    _bce_rpc_disconnect(c);
    c->state = _BCE_RPC_FAILED;
    c->result = result;
}

static int _bce_rpc_start_connect(_bce_rpc_t *c, long long now) {
    int r = _bce_conn_open(&c->conn, &c->ep->url, now, c->ep->connect_timeout_ms);
    if (r == BCE_OK) c->state = _BCE_RPC_CONNECTING;
    return r;
}


/* Builds the HTTP request for one JSON-RPC call into c->out. params_json: a validated JSON
   array or NULL; wallet_json: the value for the trailing {"xpub": ...} object. */
static int _bce_rpc_build(_bce_rpc_t *c, const char *method, const char *params_json, size_t params_len,
                          const char *wallet_json) {
    size_t hpa = strlen(c->ep->url.host) + strlen(c->ep->url.prefix) + strlen(c->ep->auth);  /* the head's parts */
    size_t wl = strlen(wallet_json);
    size_t fixed = 512 + hpa + wl, ml = strlen(method), need;
    size_t o, body, p0 = 0, p1 = 0;
    char *b;
    void *buf = c->out;
    int r;
    if (ml > ((size_t)-1 - fixed) / 6 || params_len > (size_t)-1 - fixed - 6 * ml) return BCE_ERR_LIMIT;  /* 32-bit */
    need = fixed + 6 * ml + params_len;
    if (need > c->out_cap) _bce_wipe(c->out, c->out_cap);  /* the old request goes to free: its credentials first */
    r = _bce_grow(c->ep->alloc, &buf, &c->out_cap, need, 1, (size_t)-1);
    if (r != BCE_OK) return r;
    c->out = (char *)buf;
    b = c->out;
    if (params_json) {      /* the text between [ and ] */
        p0 = 0;
        while (_bce_isws((unsigned char)params_json[p0])) p0++;
        p0++;
        p1 = params_len;
        while (p1 > p0 && params_json[p1 - 1] != ']') p1--;
        p1--;
        while (p1 > p0 && _bce_isws((unsigned char)params_json[p1 - 1])) p1--;
    }
    /* body first, at an offset that leaves room for the headers; then the headers before it */
    body = 400 + hpa;
    o = body;
    c->call_id = ++c->next_id;
    memcpy(b + o, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
    o += 22;
    {
        _bce_msg_t m;
        m.len = 0;
        _bce_msg_long(&m, (long long)c->call_id);
        memcpy(b + o, m.buf, m.len);
        o += m.len;
    }
    memcpy(b + o, ",\"method\":", 10);
    o += 10;
    o = _bce_json_quote(b, o, c->out_cap, method);
    if (!o) return BCE_ERR_LIMIT;
    memcpy(b + o, ",\"params\":[", 11);
    o += 11;
    if (p1 > p0) {
        memcpy(b + o, params_json + p0, p1 - p0);
        o += p1 - p0;
        b[o++] = ',';
    }
    memcpy(b + o, "{\"xpub\":", 8);
    o += 8;
    memcpy(b + o, wallet_json, wl);
    o += wl;
    memcpy(b + o, "}]}", 3);
    o += 3;
    {   /* the head goes in front of the body: the body starts at a fixed offset, the head is
           built at the start of the buffer and the body moved up behind it */
        _bce_msg_t num;
        size_t blen = o - body, hl;
        const char *parts[13];
        num.len = 0;
        num.buf[0] = 0;
        _bce_msg_long(&num, (long long)blen);
        parts[0] = "POST "; parts[1] = c->ep->url.prefix; parts[2] = "/ HTTP/1.1\r\nHost: ";
        _bce_url_host_parts(&c->ep->url, parts + 3);
        parts[7] = "\r\nContent-Type: application/json\r\nContent-Length: "; parts[8] = num.buf;
        parts[9] = "\r\n"; parts[10] = c->ep->auth; parts[11] = "\r\n"; parts[12] = NULL;
        {   /* measure first: the head must fit in front of the body's offset */
            size_t k;
            for (hl = 0, k = 0; parts[k]; k++) hl += strlen(parts[k]);
        }
        if (hl > body) return BCE_ERR_LIMIT;
        memmove(b + hl, b + body, blen);
        _bce_cat(b, parts);
        c->out_len = hl + blen;
    }
    c->out_off = 0;
    return BCE_OK;
}

static int _bce_rpc_launch(_bce_rpc_t *c, long long now);

/* Begins a call. BCE_OK: in flight (drive with _bce_rpc_io). Errors: nothing in flight. */
static int _bce_rpc_begin(_bce_rpc_t *c, const char *method, const char *params_json, size_t params_len,
                          const char *wallet_json, long long now) {
    int r;
    if (c->state != _BCE_RPC_IDLE && c->state != _BCE_RPC_DONE && c->state != _BCE_RPC_FAILED) return BCE_ERR_STATE;
    r = _bce_rpc_build(c, method, params_json, params_len, wallet_json);
    if (r != BCE_OK) {
        _bce_rpc_error(c, "cannot build the JSON-RPC request", NULL);
        return r;
    }
    c->spec_get = 0;
    return _bce_rpc_launch(c, now);
}

/* Begins GET <prefix>/spec on the same connection (its answer is JSON, not JSON-RPC). */
static int _bce_rpc_begin_spec(_bce_rpc_t *c, long long now) {
    const char *parts[11];
    size_t need, k;
    void *buf = c->out;
    int r;
    if (c->state != _BCE_RPC_IDLE && c->state != _BCE_RPC_DONE && c->state != _BCE_RPC_FAILED) return BCE_ERR_STATE;
    parts[0] = "GET "; parts[1] = c->ep->url.prefix; parts[2] = "/spec HTTP/1.1\r\nHost: ";
    _bce_url_host_parts(&c->ep->url, parts + 3);
    parts[7] = "\r\n"; parts[8] = c->ep->auth; parts[9] = "\r\n"; parts[10] = NULL;
    for (need = 1, k = 0; parts[k]; k++) need += strlen(parts[k]);
    if ((r = _bce_grow(c->ep->alloc, &buf, &c->out_cap, need, 1, (size_t)-1)) != BCE_OK) return r;
    c->out = (char *)buf;
    c->out_len = _bce_cat(c->out, parts);
    c->out_off = 0;
    c->spec_get = 1;
    return _bce_rpc_launch(c, now);
}

/* Sends the request built in c->out. */
static int _bce_rpc_launch(_bce_rpc_t *c, long long now) {
    int r;
    c->in_len = 0;
    _bce_http_reset(&c->resp, c->ep->max_header, c->ep->max_body);
    c->deadline = now + c->ep->rpc_timeout_ms;
    c->retried = 0;
    c->more = 0;
    c->result_json = NULL;
    c->result_len = 0;
    c->rpc_code = 0;
    if (c->conn.state == _BCE_CONN_OPEN) {
        c->reused = 1;
        c->want = BCE_WANT_WRITE;
        c->state = _BCE_RPC_SENDING;
        return BCE_OK;
    }
    c->reused = 0;
    r = _bce_rpc_start_connect(c, now);
    if (r != BCE_OK) _bce_rpc_fail(c, r);
    return r;
}

/* A kept-alive connection failed before any byte of the answer: the daemon had closed it.
   Open a fresh one and send again, once. */
static int _bce_rpc_retry_fresh(_bce_rpc_t *c, long long now) {
    int r;
    if (!c->reused || c->retried || c->in_len) return 0;
    _bce_rpc_disconnect(c);
    c->retried = 1;
    c->reused = 0;
    c->out_off = 0;
    r = _bce_rpc_start_connect(c, now);
    if (r != BCE_OK) { _bce_rpc_fail(c, r); return 1; }
    return 1;
}

static void _bce_rpc_finish(_bce_rpc_t *c);

/* Runs whatever I/O is possible now. revents: what poll(2) reported for the descriptor (0 if
   unknown: I/O is attempted anyway and would-block is fine). One call reads at most
   BCE_IO_SLICE_BYTES, checks a fresh clock against the deadline before every read and stops
   at once when the owner's stop flag is set: a peer cannot hold it longer than one slice.
   Past the deadline, what has already arrived is still read, one slice at most without
   waiting: an answer complete within it counts (the caller may have been away longer than
   rpc_timeout_ms while the daemon answered in time); else the call fails with the timeout. */
static void _bce_rpc_io(_bce_rpc_t *c, int revents, long long now) {
    size_t slice = BCE_IO_SLICE_BYTES;
    int late = 0;
    c->more = 0;
    _bce_conn_slice(&c->conn, c->stop,
                    c->state == _BCE_RPC_CONNECTING && c->conn.deadline < c->deadline ? c->conn.deadline : c->deadline);
    for (;;) {
    again:                          /* a transparent reconnect starts over from here */
        if (c->state == _BCE_RPC_CONNECTING) {
            int r = _bce_conn_progress(&c->conn, revents, now);
            /* still connecting: the call's own deadline (rpc_timeout_ms) holds here too */
            if (r == 1 && (now = _bce_now_ms()) < c->deadline) { c->more = c->conn.rx_more; return; }
            if (r < 0) { _bce_rpc_fail(c, r); return; }
            if (r == BCE_OK) {
                c->state = _BCE_RPC_SENDING;
                c->want = BCE_WANT_WRITE;
            }
        }
        if (c->state != _BCE_RPC_RECEIVING && now >= c->deadline) goto timeout;
        if (c->state == _BCE_RPC_SENDING) {
            while (c->out_off < c->out_len) {
                long n = _bce_conn_send(&c->conn, c->out + c->out_off, c->out_len - c->out_off);
                if (n > 0) { c->out_off += (size_t)n; continue; }
                if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) {
                    c->want = n == _BCE_IO_AGAIN_READ ? BCE_WANT_READ : BCE_WANT_WRITE;
                    return;
                }
                if (_bce_rpc_retry_fresh(c, now)) { revents = 0; goto again; }
                _bce_rpc_fail(c, n == 0 ? BCE_ERR_CONNECT : (int)n);
                return;
            }
            c->state = _BCE_RPC_RECEIVING;
            c->want = BCE_WANT_READ;
        }
        if (c->state == _BCE_RPC_RECEIVING) {
            for (;;) {
                long n;
                int r, eof = 0;
                size_t room;
                if (c->stop && *c->stop) return;         /* the owner ends the call */
                if ((now = _bce_now_ms()) >= c->deadline && !late) {
                    late = 1;                            /* what has arrived, one slice: */
                    c->conn.rx_deadline = 0;             /* TLS too, within the slice's budget */
                }
                if (!slice) {
                    if (late) goto timeout;
                    c->more = 1;                         /* the rest at the next step */
                    return;
                }
                if (c->in_cap - c->in_len < _BCE_RPC_MIN_ROOM) {   /* room for a read of some size */
                    void *buf = c->in;
                    r = _bce_grow(c->ep->alloc, &buf, &c->in_cap, c->in_len + BCE_RPC_RECV_STEP, 1, c->max_in + BCE_RPC_RECV_STEP);
                    if (r != BCE_OK) {
                        _bce_rpc_error(c, r == BCE_ERR_LIMIT ? "the daemon's answer exceeds limits.max_response_bytes"
                                                             : "out of memory reading the daemon's answer", NULL);
                        _bce_rpc_fail(c, r);
                        return;
                    }
                    c->in = (char *)buf;
                }
                room = c->in_cap - c->in_len - 1;
                n = _bce_conn_recv(&c->conn, c->in + c->in_len, room < slice ? room : slice);
                if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) {
                    if (late) goto timeout;              /* nothing more has arrived */
                    c->want = n == _BCE_IO_AGAIN_READ ? BCE_WANT_READ : BCE_WANT_WRITE;
                    c->more = c->conn.rx_more;          /* TLS stopped at the budget */
                    return;
                }
                if (n <= 0 && c->in_len == 0 && _bce_rpc_retry_fresh(c, now)) { revents = 0; goto again; }
                if (n < 0) { _bce_rpc_fail(c, (int)n); return; }
                if (n == 0) eof = 1;
                c->in_len += (size_t)n;
                slice -= (size_t)n;
                r = _bce_http_feed(&c->resp, c->in, &c->in_len, eof);
                if (r < 0) {
                    _bce_rpc_error(c, "bad HTTP answer from the daemon: ", c->resp.error);
                    _bce_rpc_fail(c, r);
                    return;
                }
                if (r == 1) {
                    if (!c->resp.keep_alive || eof || c->resp.pos != c->in_len) _bce_rpc_disconnect(c);
                    _bce_rpc_finish(c);
                    return;
                }
                if (eof) {
                    _bce_rpc_error(c, "the daemon closed the connection", NULL);
                    _bce_rpc_fail(c, BCE_ERR_CONNECT);
                    return;
                }
            }
        }
        return;
    }
timeout:
    _bce_rpc_error(c, "timed out waiting for the daemon's answer (rpc_timeout_ms)", NULL);
    _bce_rpc_fail(c, BCE_ERR_TIMEOUT);
}

#define _BCE_COLON_PW_HINT " (the password contains ':', which the daemon cannot parse)"

/* Keeps the code and message of a JSON-RPC error answer (message token t, or NULL): decoded,
   at most BCE_RPC_MESSAGE_MAX - 1 bytes cut between characters, control characters as '?'. */
static void _bce_rpc_keep_error(_bce_rpc_t *c, const char *json, const bce_json_token_t *t) {
    size_t o = 0, i;
    c->err_code = c->rpc_code;
    if (!c->err_msg && !(c->err_msg = (char *)_bce_malloc(c->ep->alloc, BCE_RPC_MESSAGE_MAX))) return;
    for (i = t ? t->start : 0; t && i < t->end;) {        /* one character at a time */
        char u[4];
        unsigned char b = (unsigned char)json[i];
        size_t e = b == '\\' ? _bce_json_escape_end(json, i) : i + (b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4);
        size_t n = _bce_json_decode(json, (uint32_t)i, (uint32_t)e, u), k;
        i = e;
        b = (unsigned char)u[0];
        if (b < 0x20 || b == 0x7F || (n == 2 && b == 0xC2 && (unsigned char)u[1] < 0xA0)) {   /* C0, DEL, C1 */
            u[0] = '?';
            n = 1;
        }
        if (o + n > BCE_RPC_MESSAGE_MAX - 1) break;
        for (k = 0; k < n; k++) c->err_msg[o++] = u[k];
    }
    c->err_msg[o] = 0;
}

/* A JSON-RPC error answer: toks[e] is its "error" value (tokens of body). */
static void _bce_rpc_error_answer(_bce_rpc_t *c, const char *body, const bce_json_token_t *toks, uint32_t e) {
    long long code = 0;
    uint32_t ct = bce_json_find(body, toks, e, "code"), mt = bce_json_find(body, toks, e, "message");
    _bce_msg_t m;
    char msg[BCE_LOG_LINE_MAX];
    size_t mlen = 0;
    if (ct) bce_json_int(body, &toks[ct], &code);
    msg[0] = 0;
    if (mt && toks[mt].type == BCE_JSON_STRING
        && bce_json_string(body, &toks[mt], msg, sizeof msg, &mlen) == BCE_ERR_LIMIT) {
        /* too long to decode here: its first bytes as written (made printable below) */
        memcpy(msg, body + toks[mt].start, sizeof msg - 1);
        msg[sizeof msg - 1] = 0;
    }
    c->rpc_code = (int)(code < INT_MIN ? INT_MIN : code > INT_MAX ? INT_MAX : code);
    _bce_rpc_keep_error(c, body, mt && toks[mt].type == BCE_JSON_STRING ? &toks[mt] : NULL);
    m.len = 0;
    _bce_msg_str(&m, "JSON-RPC error ");
    _bce_msg_long(&m, code);
    _bce_msg_str(&m, ": ");
    _bce_msg_untrusted(&m, msg, strlen(msg));
    _bce_rpc_error(c, m.buf, NULL);
    c->result = code == -32600 ? BCE_ERR_AUTH : BCE_ERR_RPC;
}

/* An answer too large to tokenize whole within limits.max_json_tokens (a get_updates answer
   of many updates, under a small token limit): validated, then only its top-level members
   are walked, and an "error" value that is not null alone is tokenized (into p). The result
   is handed over as text: a get_updates result is then tokenized one update at a time by the
   dispatcher, each update held to the limits. at/len: the spans of "error", "id" and
   "result" (first match wins, as bce_json_find), len 0 when absent. BCE_OK, or an error and
   *why. */
static int _bce_rpc_members(bce_json_t *p, const char *body, size_t blen, size_t *at, size_t *len,
                            const char **why) {
    static const char *const names[3] = {"error", "id", "result"};
    _bce_scan_t sc;
    size_t i = 0, v, k;
    int r;
    memset(&sc, 0, sizeof sc);
    sc.s = body;
    sc.len = blen;
    sc.max_depth = p->desc.max_depth;
    r = _bce_json_scan_doc(&sc);
    /* the text has no NUL after it: walked only once valid (then a value ends it) */
    while (r == BCE_OK && _bce_isws((unsigned char)body[i])) i++;
    if (r != BCE_OK || body[i] != '{') {
        *why = r != BCE_OK ? sc.err : "not an object";
        return r != BCE_OK ? r : BCE_ERR_JSON;
    }
    for (i++;;) {
        bce_json_token_t key;
        while (_bce_isws((unsigned char)body[i]) || body[i] == ',') i++;
        if (body[i] != '"') break;                          /* the object's '}' */
        v = _bce_json_skip(body, blen, i);                  /* past the key */
        memset(&key, 0, sizeof key);
        key.type = BCE_JSON_STRING;
        key.start = (uint32_t)(i + 1);
        key.end = (uint32_t)(v - 1);
        key.escaped = memchr(body + key.start, '\\', key.end - key.start) != NULL;
        while (body[v] != ':') v++;
        for (v++; _bce_isws((unsigned char)body[v]); v++) {}
        i = _bce_json_skip(body, blen, v);
        for (k = 0; k < 3; k++)
            if (!len[k] && _bce_json_str_eq(body, &key, names[k], strlen(names[k]))) { at[k] = v; len[k] = i - v; }
    }
    if (!len[0] || body[at[0]] == 'n') return BCE_OK;
    sc.last = _bce_json_last_bracket(body, 0, blen);
    sc.p = p;
    p->parses_++;
    r = _bce_json_scan_at(&sc, at[0], &i);
    *why = sc.err;
    return r;
}

/* Interprets the complete HTTP response as a JSON-RPC answer. */
static void _bce_rpc_finish(_bce_rpc_t *c) {
    const char *body = c->in + c->resp.body_start;
    size_t blen = c->resp.body_len;
    bce_json_t *p = c->json;
    bce_json_token_t id;
    uint32_t e = 0, rt = _BCE_RPC_NO_TOKENS;
    size_t at[3] = {0, 0, 0}, len[3] = {0, 0, 0};   /* the spans of "error", "id" and "result" */
    long long n = -1;
    const char *why;
    int r;
    c->state = _BCE_RPC_DONE;
    if (c->resp.status != 200) {
        _bce_msg_t m;
        m.len = 0;
        _bce_msg_str(&m, "the daemon answered HTTP ");
        _bce_msg_long(&m, c->resp.status);
        _bce_rpc_error(c, m.buf, c->resp.status == 500 && c->ep->colon_pw ? _BCE_COLON_PW_HINT : NULL);
        c->result = BCE_ERR_HTTP;
        return;
    }
    /* whole, as _bce_dispatch_array: unless it is longer than 16 bytes per allowed token */
    r = c->spec_get || blen / 16 <= p->desc.max_tokens ? bce_json_parse(p, body, blen) : BCE_ERR_LIMIT;
    why = p->error;
    memset(&id, 0, sizeof id);
    if (r == BCE_ERR_LIMIT && !c->spec_get) {               /* over the token limit: its members */
        r = _bce_rpc_members(p, body, blen, at, len, &why);
        e = len[0] && body[at[0]] != 'n';                   /* tokens[0]: an "error" not null */
        id.type = BCE_JSON_NUMBER;
        id.start = (uint32_t)at[1];
        id.end = (uint32_t)(at[1] + len[1]);
    } else if (r > 0 && p->tokens[0].type == BCE_JSON_OBJECT) {
        uint32_t v = bce_json_find(body, p->tokens, 0, "id");
        e = bce_json_find(body, p->tokens, 0, "error");
        if (c->spec_get && !(e && p->tokens[e].type == BCE_JSON_OBJECT)) {    /* /spec: the object itself */
            c->result_json = c->result_body = body;
            c->result_len = blen;
            c->result_tok = 0;
            c->result_parse = p->parses_;
            c->result = BCE_OK;
            return;
        }
        e = e && p->tokens[e].type != BCE_JSON_NULL ? e + 1 : 0;
        if (v) id = p->tokens[v];
        if ((rt = bce_json_find(body, p->tokens, 0, "result")) != 0) {
            const bce_json_token_t *t = &p->tokens[rt];
            at[2] = t->start - (t->type == BCE_JSON_STRING ? 1u : 0u);
            len[2] = (size_t)(t->end - t->start) + (t->type == BCE_JSON_STRING ? 2u : 0u);
        }
    } else if (r > 0) {
        r = BCE_ERR_JSON;
        why = "not an object";
    }
    if (r < 0) {
        _bce_rpc_error(c, "the daemon's answer is not a JSON-RPC object: ", why ? why : "error");
        c->result = r;
        return;
    }
    if (e) {                                                /* tokens[e - 1]: the error value */
        _bce_rpc_error_answer(c, body, p->tokens, e - 1);
        return;
    }
    if (!bce_json_int(body, &id, &n) || (unsigned long long)n != c->call_id) {
        _bce_rpc_error(c, "the daemon's answer carries the wrong id", NULL);
        c->result = BCE_ERR_JSON;
        return;
    }
    if (!len[2]) {
        _bce_rpc_error(c, "the daemon's answer has neither result nor error", NULL);
        c->result = BCE_ERR_JSON;
        return;
    }
    c->result_json = body + at[2];
    c->result_len = len[2];
    c->result_body = body;
    c->result_tok = rt;
    c->result_parse = p->parses_;
    c->result = BCE_OK;
}

static int _bce_rpc_busy(const _bce_rpc_t *c) {
    return c->state == _BCE_RPC_CONNECTING || c->state == _BCE_RPC_SENDING || c->state == _BCE_RPC_RECEIVING;
}

static int _bce_rpc_events(const _bce_rpc_t *c) {
    if (c->state == _BCE_RPC_CONNECTING) return c->conn.want;
    if (c->state == _BCE_RPC_SENDING || c->state == _BCE_RPC_RECEIVING) return c->want;
    return 0;
}

static long long _bce_rpc_deadline(const _bce_rpc_t *c) {
    if (c->more && _bce_rpc_busy(c)) return 0;          /* more to read: do not wait */
    if (c->state == _BCE_RPC_CONNECTING) return c->conn.deadline < c->deadline ? c->conn.deadline : c->deadline;
    return _bce_rpc_busy(c) ? c->deadline : -1;
}

static void _bce_rpc_release(_bce_rpc_t *c) {
    _bce_rpc_disconnect(c);
    _bce_wipe(c->out, c->out_cap);                      /* each request holds the Authorization header */
    _bce_mfree(c->ep->alloc, c->out);
    _bce_mfree(c->ep->alloc, c->in);
    _bce_mfree(c->ep->alloc, c->err_msg);
    c->out = c->in = c->err_msg = NULL;
}

/* Sets up a client of the endpoint (no connection yet). */
static void _bce_rpc_init(_bce_rpc_t *c, const _bce_endpoint_t *ep, bce_json_t *json) {
    memset(c, 0, sizeof *c);
    _bce_endpoint_conn(ep, &c->conn);
    c->ep = ep;
    c->json = json;
    c->max_in = ep->max_header + ep->max_body + 64;
}

/* A refused websocket upgrade's body, read by the owner (the websocket knows no JSON-RPC): the
   daemon's auth middleware answers HTTP 200 with JSON-RPC error -32600. BCE_ERR_AUTH with the
   error described, or BCE_OK: not that (the websocket then reports the HTTP status). */
static int _bce_rpc_refused_upgrade(const _bce_endpoint_t *ep, bce_json_t *json, int status, const char *body,
                                    size_t len) {
    uint32_t e, c;
    long long code = 0;
    if (status != 200 || bce_json_parse(json, body, len) <= 0 || json->tokens[0].type != BCE_JSON_OBJECT)
        return BCE_OK;
    e = bce_json_find(body, json->tokens, 0, "error");
    if (e && (c = bce_json_find(body, json->tokens, e, "code")) != 0 && bce_json_int(body, &json->tokens[c], &code)
        && code == -32600) {
        _bce_set_error(ep->error, ep->error_cap,
                       "the daemon refused the credentials (JSON-RPC error -32600: Unauthorized)", NULL);
        return BCE_ERR_AUTH;
    }
    return BCE_OK;
}

/* Blocks until the call in flight ends, the deadline passes or *stop is set. */
static void _bce_rpc_wait(_bce_rpc_t *c, int wake_fd, const volatile sig_atomic_t *stop) {
    while (_bce_rpc_busy(c)) {
        struct pollfd pf[2];
        long long now = _bce_now_ms(), dl = _bce_rpc_deadline(c);
        int wait = dl < 0 ? -1 : (dl <= now ? 0 : (int)(dl - now > INT_MAX ? INT_MAX : dl - now));
        size_t n = 1;
        pf[0].fd = c->conn.fd;
        pf[0].events = _bce_poll_events(_bce_rpc_events(c));
        pf[0].revents = 0;
        if (wake_fd >= 0) {
            pf[1].fd = wake_fd;
            pf[1].events = POLLIN;
            pf[1].revents = 0;
            n = 2;
        }
        _bce_poll(pf, n, wait);
        if (stop && *stop) {
            _bce_rpc_error(c, "stopped", NULL);
            _bce_rpc_fail(c, BCE_ERR_CLOSED);
            return;
        }
        _bce_rpc_io(c, pf[0].revents, _bce_now_ms());
    }
}

// >>loop ===================================================================================
/* The non-blocking core: each object runs at most one activity (polling or websocket), advanced by
   a step function that waits on its descriptors at most as long as asked. The blocking calls
   are loops over it. A self-pipe lets bce_stop wake a waiting step from a signal handler or
   another thread. */

enum { _BCE_MODE_NONE, _BCE_MODE_POLL, _BCE_MODE_WS };

#ifdef _WIN32
/* Windows has no pipe that select() can wait on: a connected pair of loopback TCP sockets
   instead (wake[0] reads, wake[1] writes). The accepted end must be our own connection: a
   stranger that connects to the short-lived listener first is turned away. */
static int _bce_wake_open(int wake[2]) {
    struct sockaddr_in la, ca, pa;
    int n, lfd, tries;
    DWORD one = 1;
    if (wake[0] >= 0) return BCE_OK;
    wake[0] = wake[1] = -1;
    lfd = _bce_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (lfd < 0) return BCE_ERR_NOMEM;
    memset(&la, 0, sizeof la);
    la.sin_family = AF_INET;
    la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n = (int)sizeof la;
    if (bind(_BCE_SOCK(lfd), (struct sockaddr *)&la, n) != 0 || listen(_BCE_SOCK(lfd), 4) != 0
        || getsockname(_BCE_SOCK(lfd), (struct sockaddr *)&la, &n) != 0
        || (wake[1] = _bce_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) < 0
        || connect(_BCE_SOCK(wake[1]), (struct sockaddr *)&la, (int)sizeof la) != 0) {
        _bce_close_fd(&wake[1]);
        _bce_close_fd(&lfd);
        return BCE_ERR_NOMEM;
    }
    n = (int)sizeof ca;
    getsockname(_BCE_SOCK(wake[1]), (struct sockaddr *)&ca, &n);
    for (tries = 0; tries < 8 && wake[0] < 0; tries++) {
        SOCKET s;
        n = (int)sizeof pa;
        if (_bce_wsa_ref() < 0) break;
        s = accept(_BCE_SOCK(lfd), (struct sockaddr *)&pa, &n);
        if (s == INVALID_SOCKET) { WSACleanup(); break; }
        wake[0] = (int)s;
        if (pa.sin_port != ca.sin_port || pa.sin_addr.s_addr != ca.sin_addr.s_addr) _bce_close_fd(&wake[0]);
    }
    _bce_close_fd(&lfd);
    if (wake[0] < 0 || _bce_set_nonblocking(wake[0]) < 0 || _bce_set_nonblocking(wake[1]) < 0) {
        _bce_close_fd(&wake[0]);
        _bce_close_fd(&wake[1]);
        return BCE_ERR_NOMEM;
    }
    SetHandleInformation((HANDLE)_BCE_SOCK(wake[0]), HANDLE_FLAG_INHERIT, 0);
    setsockopt(_BCE_SOCK(wake[1]), IPPROTO_TCP, TCP_NODELAY, (const char *)&one, (int)sizeof one);
    return BCE_OK;
}

static void _bce_wake_drain(int fd) {
    char buf[64];
    while (fd >= 0 && recv(_BCE_SOCK(fd), buf, (int)sizeof buf, 0) > 0) {}
}

static void _bce_wake(int fd) {
    if (fd >= 0) send(_BCE_SOCK(fd), "x", 1, 0);   /* a full buffer is awake already */
}
#elif defined(BCE_USE_LWIP)
/* lwIP: no pipe, and a loopback socket pair would need a loopback interface the program may
   not have. No wake-up descriptor: _bce_poll's waits last at most BCE_LWIP_WAKE_MS, so a
   bce_stop from another thread is seen within that (the stop flag is read after every wait). */
static int _bce_wake_open(int wake[2]) {
    wake[0] = wake[1] = -1;
    return BCE_OK;
}

static void _bce_wake_drain(int fd) { (void)fd; }

static void _bce_wake(int fd) { (void)fd; }
#else
static int _bce_wake_open(int wake[2]) {
    if (wake[0] >= 0) return BCE_OK;
    if (pipe(wake) < 0) { wake[0] = wake[1] = -1; return BCE_ERR_NOMEM; }
    _bce_set_nonblocking(wake[0]);
    _bce_set_nonblocking(wake[1]);
    return BCE_OK;
}

static void _bce_wake_drain(int fd) {
    char buf[64];
    while (fd >= 0 && read(fd, buf, sizeof buf) > 0) {}
}

static void _bce_wake(int fd) {
    if (fd >= 0) {
        ssize_t r = write(fd, "x", 1);   /* async-signal-safe; a full pipe is awake already */
        (void)r;
    }
}
#endif

static int _bce_wait_ms(long long deadline, long long now, int timeout_ms) {
    long long w = deadline < 0 ? -1 : (deadline <= now ? 0 : deadline - now);
    if (timeout_ms >= 0 && (w < 0 || w > timeout_ms)) w = timeout_ms;
    return w > INT_MAX ? INT_MAX : (int)w;
}

_BCE_OUTLINE long long _bce_min_deadline(long long a, long long b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

/* Adds one descriptor to a bce_fd_t list; returns the new count (counts past cap too). */
_BCE_OUTLINE int _bce_fd_add(bce_fd_t *fds, int cap, int n, int fd, int events) {
    if (fd < 0 || !events) return n;
    if (fds && n < cap) {
        fds[n].fd = fd;
        fds[n].events = events;
    }
    return n + 1;
}

// >>sha1 ===================================================================================
/* SHA-1 (FIPS 180-4), only for the websocket handshake's Sec-WebSocket-Accept check. */

typedef struct _bce_sha1_t {
    uint32_t h[5];
    uint64_t total;
    unsigned char block[64];
    size_t used;
} _bce_sha1_t;

static uint32_t _bce_rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void _bce_sha1_block(_bce_sha1_t *s, const unsigned char *p) {
    uint32_t w[80], a, b, c, d, e, t;
    size_t i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (i = 16; i < 80; i++) w[i] = _bce_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4];
    for (i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
        else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
        else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
        t = _bce_rol(a, 5) + f + e + k + w[i];
        e = d; d = c; c = _bce_rol(b, 30); b = a; a = t;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e;
}

static void _bce_sha1_init(_bce_sha1_t *s) {
    s->h[0] = 0x67452301u; s->h[1] = 0xEFCDAB89u; s->h[2] = 0x98BADCFEu; s->h[3] = 0x10325476u;
    s->h[4] = 0xC3D2E1F0u;
    s->total = 0;
    s->used = 0;
}

static void _bce_sha1_update(_bce_sha1_t *s, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    s->total += n;
    while (n) {
        size_t take = 64 - s->used;
        if (take > n) take = n;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) { _bce_sha1_block(s, s->block); s->used = 0; }
    }
}

static void _bce_sha1_final(_bce_sha1_t *s, unsigned char out[20]) {
    uint64_t bits = s->total * 8;
    unsigned char pad = 0x80, len[8];
    int i;
    _bce_sha1_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56) _bce_sha1_update(s, &pad, 1);
    for (i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    _bce_sha1_update(s, len, 8);
    for (i = 0; i < 20; i++) out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

// >>rand ===================================================================================
/* Websocket keys and masks: a per-object splitmix64 stream seeded from /dev/urandom (with the
   clock, the pid and an address mixed in when that cannot be read). Masking keys only have to
   be unpredictable to scripts in browsers, which this library never hosts. */

static uint64_t _bce_rand_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#if defined(BCE_RANDOM) || defined(BCE_USE_LWIP)
/* The program's entropy (BCE_RANDOM(buf, n): fills n bytes, 0 on success), or lwIP's
   LWIP_RAND(); the clock and an address are mixed in either way. */
static void _bce_rand_seed(uint64_t *state, const void *salt) {
    uint64_t seed = 0;
#if defined(BCE_RANDOM)
    if ((BCE_RANDOM((unsigned char *)&seed, sizeof seed)) != 0) seed = 0;
#elif defined(LWIP_RAND)
    seed = (uint64_t)LWIP_RAND() << 32 ^ (uint64_t)LWIP_RAND();
#else
#error "bitcart_events.h: BCE_USE_LWIP needs an entropy source: define BCE_RANDOM(buf, n) or LWIP_RAND()"
#endif
    seed ^= (uint64_t)_bce_now_ms() * 0x2545F4914F6CDD1Dull ^ (uint64_t)(uintptr_t)salt;
    *state = seed;
    _bce_rand_next(state);
}
#elif defined(_WIN32)
static void _bce_rand_seed(uint64_t *state, const void *salt) {
    uint64_t seed = 0;
    if (!RtlGenRandom(&seed, (ULONG)sizeof seed)) seed = 0;
    seed ^= (uint64_t)_bce_now_ms() * 0x2545F4914F6CDD1Dull ^ (uint64_t)GetCurrentProcessId() << 32 ^ (uint64_t)(uintptr_t)salt;
    *state = seed;
    _bce_rand_next(state);
}
#else
static void _bce_rand_seed(uint64_t *state, const void *salt) {
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, &seed, sizeof seed);
        (void)r;
        close(fd);
    }
    seed ^= (uint64_t)_bce_now_ms() * 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)salt;
    *state = seed;
    _bce_rand_next(state);
}
#endif

// >>ws =====================================================================================
/* RFC 6455 frames. The parser is pure: it reads one frame header from a buffer and says how
   long the frame is, or which close code the peer deserves. */

enum { _BCE_WS_CONT = 0, _BCE_WS_TEXT = 1, _BCE_WS_BINARY = 2, _BCE_WS_CLOSE = 8, _BCE_WS_PING = 9,
       _BCE_WS_PONG = 10 };

typedef struct _bce_ws_frame_t {
    int fin, opcode;
    size_t header;              /* header bytes */
    size_t len;                 /* payload bytes */
} _bce_ws_frame_t;

/* Reads the frame header at buf[0..avail). Returns 1 when the header is complete (f filled;
   the frame is complete when avail >= f->header + f->len), 0 when more bytes are needed, or
   -(close code) when the frame breaks the protocol (1002) or exceeds max_len (1009). */
static int _bce_ws_frame_header(const unsigned char *buf, size_t avail, size_t max_len, _bce_ws_frame_t *f) {
    uint64_t len;
    size_t h = 2;
    if (avail < 2) return 0;
    f->fin = (buf[0] & 0x80) != 0;
    f->opcode = buf[0] & 0x0F;
    if (buf[0] & 0x70) return -1002;                   /* reserved bits: no extension agreed */
    if (buf[1] & 0x80) return -1002;                   /* servers never mask */
    if (f->opcode >= 3 && f->opcode <= 7) return -1002;
    if (f->opcode >= 11) return -1002;
    len = buf[1] & 0x7F;
    if (f->opcode >= 8 && (!f->fin || len > 125)) return -1002;
    if (len == 126) {
        if (avail < 4) return 0;
        len = ((uint64_t)buf[2] << 8) | buf[3];
        if (len < 126) return -1002;                   /* not the minimal encoding */
        h = 4;
    } else if (len == 127) {
        int i;
        if (avail < 10) return 0;
        if (buf[2] & 0x80) return -1002;               /* the top bit must be 0 */
        for (len = 0, i = 2; i < 10; i++) len = (len << 8) | buf[i];
        if (len <= 0xFFFF) return -1002;
        h = 10;
    }
    if (len > max_len || len > (uint64_t)((size_t)-1 - 16)) return -1009;   /* header + len + 1 fits */
    f->header = h;
    f->len = (size_t)len;
    return 1;
}

/* Writes a masked client frame (fin set) into out, which has room for payload + 14 bytes.
   Returns the frame length. */
static size_t _bce_ws_frame_build(unsigned char *out, int opcode, const void *payload, size_t n, uint32_t mask) {
    size_t h = 2, i;
    unsigned char mk[4];
    out[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) out[1] = (unsigned char)(0x80 | n);
    else if (n <= 0xFFFF) {
        out[1] = 0x80 | 126;
        out[2] = (unsigned char)(n >> 8);
        out[3] = (unsigned char)n;
        h = 4;
    } else {
        uint64_t v = (uint64_t)n;
        out[1] = 0x80 | 127;
        for (i = 0; i < 8; i++) out[2 + i] = (unsigned char)(v >> (56 - 8 * i));
        h = 10;
    }
    mk[0] = (unsigned char)(mask >> 24); mk[1] = (unsigned char)(mask >> 16);
    mk[2] = (unsigned char)(mask >> 8);  mk[3] = (unsigned char)mask;
    memcpy(out + h, mk, 4);
    h += 4;
    for (i = 0; i < n; i++) out[h + i] = (unsigned char)(((const unsigned char *)payload)[i] ^ mk[i & 3]);
    return h + n;
}

/* 1 when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static int _bce_utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0, k;
    while (i < n) {
        while (i + 8 <= n && !(_bce_load8(s + i) & _BCE_HIGHS)) i += 8;
        if (i >= n) break;
        if (s[i] < 0x80) { i++; continue; }
        if (!(k = _bce_utf8_seq(s, i, n))) return 0;
        i += k;
    }
    return 1;
}

/* Close codes a peer may send (RFC 6455 7.4 and the IANA registry). */
static int _bce_ws_close_code_ok(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* ---- the websocket connection: handshake, frames, pings, close, reconnect timing ---- */

enum { _BCE_WS_OFF, _BCE_WS_WAIT, _BCE_WS_CONNECTING, _BCE_WS_HANDSHAKE, _BCE_WS_OPEN, _BCE_WS_CLOSING };

typedef struct _bce_ws_t {
    const _bce_endpoint_t *ep;  /* URL, credentials, TLS, timeouts, limits */
    char *subscribe;            /* text message sent after every connect, or NULL */
    _bce_conn_t conn;
    int state;
    bce_ws_opts_t opts;         /* defaults filled in */
    uint64_t rng;
    char accept[32];            /* the Sec-WebSocket-Accept we expect */
    unsigned char *out, *in, *msg;
    size_t out_len, out_off, out_cap, in_len, in_cap, msg_len, msg_cap;
    int msg_op, fragmented;
    _bce_http_resp_t resp;
    volatile sig_atomic_t *stop; /* the owner's stop flag: stop reading frames at once */
    size_t slice;               /* bytes this step may still read (BCE_IO_SLICE_BYTES a step) */
    int more;                   /* the step ended before the socket was drained: the next one
                                   must not wait (TLS may hold bytes poll(2) cannot see) */
    long long wait_until, opened_at, last_rx, ping_sent_at, close_deadline;
    int ping_out;               /* a ping waits for any answer */
    int peer_gone;              /* the end of the stream (1) or an error (< 0) came after data */
    int hs_eof;                 /* the peer closed during the handshake (a body may end there) */
    unsigned failures;          /* consecutive failed attempts, for the backoff */
    int ever_open;
    int result;                 /* BCE_OK, or what ends the run */
    int close_code;             /* what on_closed reports */
    char close_reason[124];
    int failed;                 /* we failed the connection: what the peer sends is not parsed */
    const bce_allocator_t *alloc;
    const bce_logger_t *logger;
    char *error;
    size_t error_cap;
    void *owner;
    void (*on_open)(void *owner, long long now);
    /* a complete text message; its owner checks its UTF-8 (the JSON scan does, with a check of
       its own only when the text is not JSON) and returns nonzero when it is not valid UTF-8:
       the connection then fails with 1007 (RFC 6455 8.1). Without on_text, text is dropped. */
    int (*on_text)(void *owner, const char *text, size_t len, long long now);
    void (*on_closed)(void *owner, int code, const char *reason);
    /* a refused upgrade (HTTP status other than 101) and its body: the owner's result for it
       with the error described (BCE_ERR_AUTH), or BCE_OK to report the status */
    int (*on_refused)(void *owner, int status, const char *body, size_t len);
    unsigned long long opens;   /* successful handshakes (the fuzzers check it) */
} _bce_ws_t;

_BCE_OUTLINE void _bce_ws_error(_bce_ws_t *w, const char *a, const char *b) {
    _bce_conn_error(&w->conn, a, b);
}

static void _bce_ws_log(_bce_ws_t *w, int level, const char *a, const char *b) {
    _bce_msg_t m;
    if (!_bce_log_on(w->logger, level)) return;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, "websocket ");
    _bce_msg_str(&m, w->ep->url.host);
    _bce_msg_str(&m, ":");
    _bce_msg_str(&m, w->ep->url.port);
    _bce_msg_str(&m, ": ");
    _bce_msg_str(&m, a);
    if (b) _bce_msg_str(&m, b);
    _bce_log(w->logger, level, m.buf);
}

/* Options no default can mend: negative delays, a dedup ring over BCE_DEDUP_ENTRIES_MAX. */
static int _bce_ws_opts_bad(const bce_ws_opts_t *o) {
    return o && (o->reconnect_min_ms < 0 || o->reconnect_max_ms < 0 || o->pong_timeout_ms < 0
                 || o->dedup_entries > BCE_DEDUP_ENTRIES_MAX);
}

/* The websocket's buffers are bounded by max_message_bytes plus the header limit plus fixed
   slack (_BCE_WS_SLACK): on a 32-bit build that sum must still fit a size_t. NULL: it fits. */
#define _BCE_WS_SLACK ((size_t)65536 + 16)
static const char *_bce_ws_limits_bad(const bce_ws_opts_t *o, size_t max_header) {
    size_t mm;
    bce_ws_opts_t f;
    if (o) f = *o;
    else memset(&f, 0, sizeof f);
    _bce_ws_defaults(&f);
    mm = (size_t)f.max_message_bytes;
    if (mm > (size_t)-1 - _BCE_WS_SLACK || max_header > (size_t)-1 - _BCE_WS_SLACK - mm)
        return "max_message_bytes + limits.max_header_bytes too large for this build (size_t)";
    return NULL;
}

static void _bce_ws_init(_bce_ws_t *w, const _bce_endpoint_t *ep) {
    memset(w, 0, sizeof *w);
    _bce_endpoint_conn(ep, &w->conn);
    w->ep = ep;
    w->alloc = ep->alloc;
    w->logger = ep->logger;
    w->error = ep->error;
    w->error_cap = ep->error_cap;
    _bce_rand_seed(&w->rng, w);
}

static void _bce_ws_release(_bce_ws_t *w) {
    _bce_conn_close(&w->conn);
    _bce_wipe(w->out, w->out_cap);                      /* a handshake's Authorization header may be left */
    _bce_mfree(w->alloc, w->out);
    _bce_mfree(w->alloc, w->in);
    _bce_mfree(w->alloc, w->msg);
    _bce_mfree(w->alloc, w->subscribe);
    w->out = w->in = w->msg = NULL;
    w->subscribe = NULL;
    w->out_cap = w->in_cap = w->msg_cap = 0;
}

/* Queues raw bytes to send. The queue is bounded: a peer that stops reading while we must
   answer its pings fails the connection instead of growing memory. */
static int _bce_ws_reserve(_bce_ws_t *w, size_t n) {
    void *buf = w->out;
    if (w->out_off == w->out_len) w->out_off = w->out_len = 0;
    if (w->out_off > 0 && w->out_len + n > w->out_cap) {
        memmove(w->out, w->out + w->out_off, w->out_len - w->out_off);
        w->out_len -= w->out_off;
        w->out_off = 0;
    }
    if (w->out && w->out_len + n > w->out_cap)  /* the old buffer goes to free: no stale handshake bytes in it */
        _bce_wipe(w->out + w->out_len, w->out_cap - w->out_len);
    if (_bce_grow(w->alloc, &buf, &w->out_cap, w->out_len + n, 1, (size_t)w->opts.max_message_bytes + 65536) != BCE_OK)
        return BCE_ERR_LIMIT;
    w->out = (unsigned char *)buf;
    return BCE_OK;
}

static int _bce_ws_queue(_bce_ws_t *w, int opcode, const void *payload, size_t n) {
    if (_bce_ws_reserve(w, n + 14) != BCE_OK) return BCE_ERR_LIMIT;
    w->out_len += _bce_ws_frame_build(w->out + w->out_len, opcode, payload, n, (uint32_t)_bce_rand_next(&w->rng));
    return BCE_OK;
}

/* Sends what it can. BCE_OK (maybe with bytes left), or the connection's error. */
static int _bce_ws_flush(_bce_ws_t *w) {
    while (w->out_off < w->out_len) {
        long n = _bce_conn_send(&w->conn, (const char *)w->out + w->out_off, w->out_len - w->out_off);
        if (n > 0) { w->out_off += (size_t)n; continue; }
        if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) return BCE_OK;
        return n == 0 ? BCE_ERR_CONNECT : (int)n;
    }
    if (w->state == _BCE_WS_HANDSHAKE) _bce_wipe(w->out, w->out_len);   /* it held the Authorization header */
    w->out_off = w->out_len = 0;
    return BCE_OK;
}

/* The connection is gone (or the attempt failed): report it, then decide what comes next. */
static void _bce_ws_closed(_bce_ws_t *w, int code, const char *reason, int result, long long now) {
    int was_open = w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING;
    long long delay;
    _bce_conn_close(&w->conn);
    w->out_len = w->out_off = w->in_len = w->msg_len = 0;
    w->fragmented = 0;
    w->ping_out = 0;
    w->peer_gone = 0;
    w->hs_eof = 0;
    w->more = 0;
    w->state = _BCE_WS_WAIT;
    if (was_open && now - w->opened_at >= BCE_WS_STABLE_MS) w->failures = 0;    /* it stayed up: start over */
    if (w->on_closed) w->on_closed(w->owner, code, reason ? reason : "");
    if (w->state != _BCE_WS_WAIT) return;                            /* the owner stopped us */
    if (result == BCE_ERR_AUTH) {
        w->result = BCE_ERR_AUTH;
    } else if (!w->ever_open && !w->opts.force_connect) {
        w->result = result != BCE_OK ? result : BCE_ERR_CONNECT;
    } else if (w->opts.disable_reconnect) {
        w->result = BCE_ERR_CLOSED;
    }
    if (w->result != BCE_OK) { w->state = _BCE_WS_OFF; return; }
    delay = (long long)w->opts.reconnect_min_ms << (w->failures < 20 ? w->failures : 20);
    if (delay > w->opts.reconnect_max_ms) delay = w->opts.reconnect_max_ms;
    delay = delay / 2 + (long long)(_bce_rand_next(&w->rng) % (uint64_t)(delay / 2 + 1));   /* jitter */
    w->failures++;
    w->wait_until = now + delay;
    {
        _bce_msg_t m;
        m.len = 0;
        m.buf[0] = 0;
        _bce_msg_str(&m, "reconnecting in ");
        _bce_msg_long(&m, delay);
        _bce_msg_str(&m, " ms");
        _bce_ws_log(w, BCE_LOG_INFO, m.buf, NULL);
    }
}

/* Logs prefix and the error (prefix NULL: nothing), then closes with 1006. */
static void _bce_ws_drop(_bce_ws_t *w, int level, const char *prefix, int result, long long now) {
    if (prefix) _bce_ws_log(w, level, prefix, w->error);
    _bce_ws_closed(w, 1006, w->error, result, now);
}

/* The peer broke the protocol: send our close code and drop soon. */
static void _bce_ws_fail(_bce_ws_t *w, int code, const char *why, long long now) {
    unsigned char p[2];
    _bce_ws_log(w, BCE_LOG_WARN, "closing: ", why);
    _bce_ws_error(w, "websocket protocol error: ", why);
    w->close_code = code;
    memcpy(w->close_reason, "protocol error", 15);
    p[0] = (unsigned char)(code >> 8);
    p[1] = (unsigned char)code;
    w->in_len = 0;
    if (w->state == _BCE_WS_OPEN && _bce_ws_queue(w, _BCE_WS_CLOSE, p, 2) == BCE_OK && _bce_ws_flush(w) == BCE_OK
        && w->out_len) {
        /* RFC 6455 7.1.7: no more data is processed; the stream's framing may be lost too */
        w->failed = 1;
        w->state = _BCE_WS_CLOSING;
        w->close_deadline = now + BCE_WS_CLOSE_WAIT_MS;
        return;
    }
    _bce_ws_closed(w, code, "protocol error", BCE_ERR_WS, now);
}

static void _bce_ws_connect(_bce_ws_t *w, long long now) {
    int r = _bce_conn_open(&w->conn, &w->ep->url, now, w->ep->connect_timeout_ms);
    if (r != BCE_OK) {
        _bce_ws_drop(w, BCE_LOG_WARN, "connect failed: ", r, now);
        return;
    }
    w->state = _BCE_WS_CONNECTING;
}

/* Builds the upgrade request into the send queue and the Accept value we expect. */
static int _bce_ws_handshake_request(_bce_ws_t *w) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char raw[16], digest[20];
    char key[32];
    _bce_sha1_t sh;
    size_t i, need;
    for (i = 0; i < 16; i += 8) {
        uint64_t v = _bce_rand_next(&w->rng);
        memcpy(raw + i, &v, 8);
    }
    _bce_base64(raw, 16, key);
    _bce_sha1_init(&sh);
    _bce_sha1_update(&sh, key, 24);
    _bce_sha1_update(&sh, guid, sizeof guid - 1);
    _bce_sha1_final(&sh, digest);
    _bce_base64(digest, 20, w->accept);
    need = strlen(w->ep->url.prefix) + strlen(w->ep->url.host) + strlen(w->ep->auth) + 256;
    w->out_len = w->out_off = 0;
    if (_bce_ws_reserve(w, need) != BCE_OK) return BCE_ERR_NOMEM;
    {
        const char *parts[13];
        parts[0] = "GET "; parts[1] = w->ep->url.prefix; parts[2] = "/ws HTTP/1.1\r\nHost: ";
        _bce_url_host_parts(&w->ep->url, parts + 3);
        parts[7] = "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ";
        parts[8] = key; parts[9] = "\r\n"; parts[10] = w->ep->auth; parts[11] = "\r\n"; parts[12] = NULL;
        w->out_len = _bce_cat((char *)w->out, parts);
    }
    return BCE_OK;
}


/* The handshake answer is complete: check it. BCE_OK: open. */
static int _bce_ws_check_handshake(_bce_ws_t *w) {
    const char *hdr = (const char *)w->in + w->resp.head_start, *v, *why;   /* the final head */
    size_t end = w->resp.body_start - w->resp.head_start, vl = 0;
    if (w->resp.status != 101) {
        _bce_msg_t m;
        if (w->on_refused) {
            int r = w->on_refused(w->owner, w->resp.status, (const char *)w->in + w->resp.body_start, w->resp.body_len);
            if (r != BCE_OK) return r;
        }
        m.len = 0;
        m.buf[0] = 0;
        _bce_msg_str(&m, "the daemon answered the websocket handshake with HTTP ");
        _bce_msg_long(&m, w->resp.status);
        _bce_ws_error(w, m.buf, w->resp.status == 301 || w->resp.status == 302 || w->resp.status == 307
                                    || w->resp.status == 308 ? " (redirects are not followed: fix the url)"
                                : w->resp.status == 500 && w->ep->colon_pw ? _BCE_COLON_PW_HINT : NULL);
        return BCE_ERR_HTTP;
    }
    if (!(v = _bce_http_find(hdr, end, "upgrade", &vl)) || !_bce_has_token(v, v + vl, "websocket"))
        why = "handshake: missing Upgrade: websocket";
    else if (!(v = _bce_http_find(hdr, end, "connection", &vl)) || !_bce_has_token(v, v + vl, "upgrade"))
        why = "handshake: missing Connection: upgrade";
    else if (!(v = _bce_http_find(hdr, end, "sec-websocket-accept", &vl)) || vl != strlen(w->accept)
             || memcmp(v, w->accept, vl) != 0)
        why = "handshake: wrong or missing Sec-WebSocket-Accept";
    else if (_bce_http_find(hdr, end, "sec-websocket-extensions", &vl) || _bce_http_find(hdr, end, "sec-websocket-protocol", &vl))
        why = "handshake: the server chose an extension or subprotocol that was not offered";
    else
        return BCE_OK;
    _bce_ws_error(w, why, NULL);
    return BCE_ERR_WS;
}

/* A complete message arrived. */
static void _bce_ws_message(_bce_ws_t *w, int opcode, const unsigned char *p, size_t n, long long now) {
    if (opcode == _BCE_WS_TEXT) {
        /* an empty message may have no buffer: text is never NULL */
        if (w->on_text && w->on_text(w->owner, p ? (const char *)p : "", n, now) != 0)
            _bce_ws_fail(w, 1007, "text message is not valid UTF-8", now);
    } else {
        _bce_ws_log(w, BCE_LOG_DEBUG, "binary message ignored", NULL);
    }
}

/* Handles one complete frame. Returns 0 to go on, 1 when the connection ended. */
static int _bce_ws_frame(_bce_ws_t *w, const _bce_ws_frame_t *f, const unsigned char *p, long long now) {
    switch (f->opcode) {
    case _BCE_WS_PING:
        if (w->state == _BCE_WS_OPEN && _bce_ws_queue(w, _BCE_WS_PONG, p, f->len) != BCE_OK) {
            _bce_ws_fail(w, 1008, "the peer does not read our answers", now);
            return 1;
        }
        return 0;
    case _BCE_WS_PONG:
        return 0;
    case _BCE_WS_CLOSE: {
        int code = 1005;
        char reason[124];
        size_t rl = 0;
        if (f->len == 1) { _bce_ws_fail(w, 1002, "close frame with a one-byte payload", now); return 1; }
        if (f->len >= 2) {
            code = (p[0] << 8) | p[1];
            rl = f->len - 2;
            if (!_bce_ws_close_code_ok(code)) { _bce_ws_fail(w, 1002, "invalid close code", now); return 1; }
            if (!_bce_utf8_valid(p + 2, rl)) { _bce_ws_fail(w, 1007, "close reason is not valid UTF-8", now); return 1; }
        }
        memcpy(reason, p + 2, rl);
        reason[rl] = 0;
        if (w->state == _BCE_WS_OPEN) {     /* answer with the same code, then drop */
            unsigned char echo[2];
            echo[0] = (unsigned char)((code == 1005 ? 1000 : code) >> 8);
            echo[1] = (unsigned char)(code == 1005 ? 1000 : code);
            if (_bce_ws_queue(w, _BCE_WS_CLOSE, echo, 2) == BCE_OK) _bce_ws_flush(w);
        } else if (w->close_code) {
            code = w->close_code;           /* the peer answered our close */
            memcpy(reason, w->close_reason, strlen(w->close_reason) + 1);
        }
        {
            _bce_msg_t m;
            m.len = 0;
            m.buf[0] = 0;
            _bce_msg_str(&m, "closed by the daemon with code ");
            _bce_msg_long(&m, code);
            _bce_ws_log(w, BCE_LOG_INFO, m.buf, NULL);
        }
        _bce_ws_closed(w, code, reason, BCE_ERR_CLOSED, now);
        return 1;
    }
    case _BCE_WS_TEXT: case _BCE_WS_BINARY:
        if (w->fragmented) { _bce_ws_fail(w, 1002, "new message inside a fragmented one", now); return 1; }
        if (f->fin) { _bce_ws_message(w, f->opcode, p, f->len, now); return w->state != _BCE_WS_OPEN; }
        w->fragmented = 1;
        w->msg_op = f->opcode;
        w->msg_len = 0;
        /* the first fragment is stored below */
        /* fall through */
    default: {   /* continuation */
        void *buf = w->msg;
        if (!w->fragmented) { _bce_ws_fail(w, 1002, "continuation frame without a message", now); return 1; }
        if (f->len > w->opts.max_message_bytes - w->msg_len) {
            _bce_ws_fail(w, 1009, "message larger than max_message_bytes", now);
            return 1;
        }
        if (_bce_grow(w->alloc, &buf, &w->msg_cap, w->msg_len + f->len, 1, w->opts.max_message_bytes) != BCE_OK) {
            _bce_ws_fail(w, 1009, "out of memory for a message", now);
            return 1;
        }
        w->msg = (unsigned char *)buf;
        if (f->len) memcpy(w->msg + w->msg_len, p, f->len);   /* an empty first fragment: msg may be NULL */
        w->msg_len += f->len;
        if (f->fin && f->opcode == _BCE_WS_CONT) {
            w->fragmented = 0;
            _bce_ws_message(w, w->msg_op, w->msg, w->msg_len, now);
            return w->state != _BCE_WS_OPEN;
        }
        return 0;
    }
    }
}

/* Parses and handles every complete frame in the receive buffer. */
static void _bce_ws_frames(_bce_ws_t *w, long long now) {
    size_t pos = 0;
    if (w->failed) { w->in_len = 0; return; }
    while ((w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING) && !(w->stop && *w->stop)) {
        _bce_ws_frame_t f;
        /* the message's total is checked where fragments are joined; a control frame between
           fragments does not count against it */
        int r = _bce_ws_frame_header(w->in + pos, w->in_len - pos, w->opts.max_message_bytes, &f);
        if (r < 0) {
            _bce_ws_fail(w, -r, r == -1009 ? "message larger than max_message_bytes" : "malformed frame", now);
            return;
        }
        if (r == 0 || w->in_len - pos - f.header < f.len) {   /* r == 1: the header is there */
            if (r == 1 && f.header + f.len > w->in_cap) {   /* room for the whole frame, within the limit */
                void *buf = w->in;
                memmove(w->in, w->in + pos, w->in_len - pos);
                w->in_len -= pos;
                pos = 0;
                if (_bce_grow(w->alloc, &buf, &w->in_cap, f.header + f.len + 1, 1, (size_t)w->opts.max_message_bytes + 16) != BCE_OK) {
                    _bce_ws_fail(w, 1009, "out of memory for a frame", now);
                    return;
                }
                w->in = (unsigned char *)buf;
            }
            break;
        }
        if (_bce_ws_frame(w, &f, w->in + pos + f.header, now)) return;
        pos += f.header + f.len;
    }
    if (pos) {
        memmove(w->in, w->in + pos, w->in_len - pos);
        w->in_len -= pos;
    }
}

/* Reads what is there. Returns the byte count read, or -1 when the connection ended. */
static long _bce_ws_read(_bce_ws_t *w, long long now) {
    long total = 0;
    for (;;) {
        long n;
        if (w->peer_gone) {         /* what came before the end was parsed: now the end */
            n = w->peer_gone == 1 ? 0 : w->peer_gone;
            w->peer_gone = 0;
            goto gone;
        }
        if (w->stop && *w->stop) return total;      /* stopping: read nothing more */
        if (!w->slice) {                            /* this step's share is read */
            w->more = 1;
            return total;
        }
        /* The buffer starts at 32 KiB and grows only when the handshake's headers or a single
           frame need more (see _bce_ws_frames): once warm, reading allocates nothing. A full
           buffer goes back to the parser, which makes room. */
        if (w->in_cap - w->in_len < (w->state == _BCE_WS_HANDSHAKE ? _BCE_WS_HS_ROOM : 1u)) {
            void *buf = w->in;
            size_t limit = (size_t)w->opts.max_message_bytes + w->ep->max_header + 65536;
            if (w->in_cap && w->state != _BCE_WS_HANDSHAKE) return total;
            int gr = _bce_grow(w->alloc, &buf, &w->in_cap, w->in_cap ? w->in_cap * 2 : BCE_WS_RECV_BYTES, 1, limit);
            if (gr != BCE_OK) {
                if (w->in_cap > w->in_len) goto room;   /* read into what is left */
                if (gr == BCE_ERR_NOMEM) {              /* the allocator's answer, not the peer's fault */
                    _bce_ws_error(w, "out of memory for the receive buffer", NULL);
                    _bce_ws_drop(w, BCE_LOG_ERROR, "", BCE_ERR_NOMEM, now);
                    return -1;
                }
                _bce_ws_fail(w, 1009, "receive buffer full", now);
                return -1;
            }
            w->in = (unsigned char *)buf;
        }
    room:
        n = _bce_conn_recv(&w->conn, (char *)w->in + w->in_len,
                           w->in_cap - w->in_len < w->slice ? w->in_cap - w->in_len : w->slice);
        if (n == _BCE_IO_AGAIN_READ || n == _BCE_IO_AGAIN_WRITE) {
            if (w->conn.rx_more) w->more = 1;       /* TLS stopped at the budget */
            return total;
        }
        if (n <= 0 && total > 0) {  /* hand over the bytes first; the end comes next call */
            w->peer_gone = n == 0 ? 1 : (int)n;
            return total;
        }
    gone:
        if (n == 0 && w->state == _BCE_WS_HANDSHAKE) {   /* the answer's body may end here */
            w->hs_eof = 1;
            return total;
        }
        if (n <= 0) {
            int open = w->state == _BCE_WS_OPEN;
            if (n == 0) _bce_ws_error(w, "the daemon closed the connection", NULL);
            if (open || w->state == _BCE_WS_CLOSING) _bce_ws_log(w, BCE_LOG_INFO, "connection dropped: ", w->error);
            _bce_ws_closed(w, w->state == _BCE_WS_CLOSING && w->close_code ? w->close_code : 1006, w->error,
                           n != 0 ? (int)n : w->state == _BCE_WS_HANDSHAKE ? BCE_ERR_HTTP : BCE_ERR_CLOSED, now);
            return -1;
        }
        w->in_len += (size_t)n;
        w->slice -= (size_t)n;
        total += n;
        w->last_rx = now;
        w->ping_out = 0;
        if (w->in_len == w->in_cap) return total;   /* let the caller parse, then read on */
    }
}

/* Runs the connection's I/O. One call reads at most BCE_IO_SLICE_BYTES (then w->more asks the
   caller not to wait before the next), and the handshake checks a fresh clock against the
   connect deadline after every read: a peer cannot hold a step longer than one slice. */
static void _bce_ws_io(_bce_ws_t *w, int revents, long long now) {
    int r;
    w->slice = BCE_IO_SLICE_BYTES;
    w->more = 0;
    _bce_conn_slice(&w->conn, w->stop,
                    w->state == _BCE_WS_CONNECTING || w->state == _BCE_WS_HANDSHAKE ? w->conn.deadline : 0);
    if (w->state == _BCE_WS_CONNECTING) {
        r = _bce_conn_progress(&w->conn, revents, now);
        if (r == 1) { w->more = w->conn.rx_more; return; }
        if (r != BCE_OK) {
            _bce_ws_drop(w, BCE_LOG_WARN, "connect failed: ", r, now);
            return;
        }
        if (_bce_ws_handshake_request(w) != BCE_OK) {
            _bce_ws_closed(w, 1006, "out of memory", BCE_ERR_NOMEM, now);
            return;
        }
        _bce_http_reset(&w->resp, w->ep->max_header, BCE_WS_REFUSED_BODY_MAX);
        w->resp.upgrade = 1;
        w->in_len = 0;
        w->state = _BCE_WS_HANDSHAKE;
    }
    if (w->state == _BCE_WS_HANDSHAKE) {
        size_t len;
        if ((r = _bce_ws_flush(w)) != BCE_OK) {
            _bce_ws_drop(w, BCE_LOG_WARN, "handshake failed: ", r, now);
            return;
        }
        for (;;) {
            size_t before = w->in_len;
            long n = _bce_ws_read(w, now);
            if (n < 0) return;
            if (w->in_len == before && !w->hs_eof) {
                /* nothing more now (or this step's slice is read): past the deadline, what had
                   arrived did not complete the answer, so a slow or endless answer ends here */
                if ((w->stop && *w->stop) || _bce_now_ms() < w->conn.deadline) return;
                _bce_ws_error(w, "timed out waiting for the websocket handshake (connect_timeout_ms)", NULL);
                _bce_ws_drop(w, BCE_LOG_WARN, "", BCE_ERR_TIMEOUT, now);
                return;
            }
            len = w->in_len;
            r = _bce_http_feed(&w->resp, (char *)w->in, &len, w->hs_eof);
            w->in_len = len;
            if (r < 0) {
                _bce_ws_error(w, "bad handshake answer: ", w->resp.error);
                _bce_ws_closed(w, 1006, w->error, r, now);
                return;
            }
            if (r == 1) break;
            if (w->hs_eof) {        /* cannot happen: the parser fails at the end of input */
                _bce_ws_closed(w, 1006, "the daemon closed the connection", BCE_ERR_HTTP, now);
                return;
            }
        }
        if (w->hs_eof) w->peer_gone = 1;   /* whatever follows the answer, the stream has ended */
        w->hs_eof = 0;
        r = _bce_ws_check_handshake(w);
        if (r != BCE_OK) {
            _bce_ws_drop(w, r == BCE_ERR_AUTH ? BCE_LOG_ERROR : BCE_LOG_WARN, "", r, now);
            return;
        }
        /* frames that came in the same read as the headers stay */
        memmove(w->in, w->in + w->resp.pos, w->in_len - w->resp.pos);
        w->in_len -= w->resp.pos;
        w->state = _BCE_WS_OPEN;
        w->ever_open = 1;
        w->opened_at = w->last_rx = now;
        w->opens++;
        w->close_code = 0;
        w->failed = 0;
        _bce_ws_log(w, BCE_LOG_INFO, "connected", NULL);
        if (w->subscribe && _bce_ws_queue(w, _BCE_WS_TEXT, w->subscribe, strlen(w->subscribe)) != BCE_OK) {
            _bce_ws_closed(w, 1006, "out of memory", BCE_ERR_NOMEM, now);
            return;
        }
        if (w->on_open) w->on_open(w->owner, now);
        if (w->state != _BCE_WS_OPEN) return;
        _bce_ws_frames(w, now);
    }
    if (w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING) {
        int rounds = 0;
        for (;;) {
            long n;
            if ((r = _bce_ws_flush(w)) != BCE_OK) {
                _bce_ws_log(w, BCE_LOG_INFO, "connection dropped: ", w->error);
                _bce_ws_closed(w, w->close_code ? w->close_code : 1006, w->error, r, now);
                return;
            }
            n = _bce_ws_read(w, now);
            if (n < 0) return;
            _bce_ws_frames(w, now);
            /* a peer that never pauses must not starve timers and the JSON-RPC side */
            if (n == 0 || (w->state != _BCE_WS_OPEN && w->state != _BCE_WS_CLOSING) || (w->stop && *w->stop)) break;
            if (++rounds >= BCE_WS_READ_ROUNDS) { w->more = 1; break; }
        }
        if (w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING) {
            if ((r = _bce_ws_flush(w)) != BCE_OK)
                _bce_ws_closed(w, w->close_code ? w->close_code : 1006, w->error, r, now);
        }
    }
}

/* Timers: the reconnect wait, the connect/handshake deadline, pings, the closing wait. */
static void _bce_ws_tick(_bce_ws_t *w, long long now) {
    switch (w->state) {
    case _BCE_WS_WAIT:
        if (now >= w->wait_until) _bce_ws_connect(w, now);
        break;
    case _BCE_WS_CONNECTING:
        _bce_ws_io(w, 0, now);   /* the connect deadline */
        break;
    case _BCE_WS_HANDSHAKE:
        /* past the deadline: the next I/O reads what has arrived (one slice, without waiting)
           and either completes the upgrade with it or fails with BCE_ERR_TIMEOUT */
        if (now >= w->conn.deadline) w->more = 1;
        break;
    case _BCE_WS_OPEN:
        if (w->opts.ping_interval_ms < 0) break;
        if (w->ping_out && now - w->ping_sent_at >= w->opts.pong_timeout_ms) {
            _bce_ws_error(w, "no answer to a ping within pong_timeout_ms: the connection is dead", NULL);
            _bce_ws_drop(w, BCE_LOG_WARN, "", BCE_ERR_TIMEOUT, now);
        } else if (!w->ping_out && now - w->last_rx >= w->opts.ping_interval_ms) {
            unsigned char payload[8];
            uint64_t v = (uint64_t)now;
            memcpy(payload, &v, 8);
            if (_bce_ws_queue(w, _BCE_WS_PING, payload, 8) == BCE_OK) {
                w->ping_out = 1;
                w->ping_sent_at = now;
                _bce_ws_io(w, 0, now);
            }
        }
        break;
    case _BCE_WS_CLOSING:
        if (now >= w->close_deadline) _bce_ws_closed(w, w->close_code ? w->close_code : 1006, w->close_reason, BCE_ERR_CLOSED, now);
        break;
    default:
        break;
    }
}

/* Can the daemon still send on this connection? From the moment the upgrade request may have
   been answered until the socket is gone: an update queued meanwhile may come over it too. */
static int _bce_ws_may_deliver(const _bce_ws_t *w) {
    return w->state == _BCE_WS_HANDSHAKE || w->state == _BCE_WS_OPEN || w->state == _BCE_WS_CLOSING;
}

static long long _bce_ws_deadline(const _bce_ws_t *w) {
    if (w->more && _bce_ws_may_deliver(w)) return 0;       /* more to read: do not wait */
    switch (w->state) {
    case _BCE_WS_WAIT: return w->wait_until;
    case _BCE_WS_CONNECTING: case _BCE_WS_HANDSHAKE: return w->conn.deadline;
    case _BCE_WS_OPEN:
        if (w->opts.ping_interval_ms < 0) return -1;
        return w->ping_out ? w->ping_sent_at + w->opts.pong_timeout_ms : w->last_rx + w->opts.ping_interval_ms;
    case _BCE_WS_CLOSING: return w->close_deadline;
    default: return -1;
    }
}

_BCE_OUTLINE int _bce_ws_events(const _bce_ws_t *w) {
    switch (w->state) {
    case _BCE_WS_CONNECTING: return w->conn.want;
    case _BCE_WS_HANDSHAKE: case _BCE_WS_OPEN: case _BCE_WS_CLOSING:
        return BCE_WANT_READ | (w->out_off < w->out_len ? BCE_WANT_WRITE : 0);
    default: return 0;
    }
}

/* opts: the run's, defaults filled */
_BCE_OUTLINE void _bce_ws_start(_bce_ws_t *w, const bce_ws_opts_t *opts, long long now) {
    w->opts = *opts;
    w->failures = 0;
    w->ever_open = 0;
    w->result = BCE_OK;
    w->state = _BCE_WS_WAIT;
    w->wait_until = now;
}

/* Ends the connection for good (bce_stop): a best-effort close frame, then the socket goes. */
static void _bce_ws_stop(_bce_ws_t *w) {
    if (w->state == _BCE_WS_OPEN) {
        unsigned char p[2] = {0x03, 0xE8};     /* 1000 */
        if (_bce_ws_queue(w, _BCE_WS_CLOSE, p, 2) == BCE_OK) _bce_ws_flush(w);
    }
    _bce_conn_close(&w->conn);
    w->out_len = w->out_off = w->in_len = w->msg_len = 0;
    w->fragmented = 0;
    w->peer_gone = 0;
    w->hs_eof = 0;
    w->more = 0;
    w->state = _BCE_WS_OFF;
}

// >>dedup ==================================================================================
/* Exactly-once across the two paths. Every event the daemon has for a wallet goes both to the
   websocket and into the wallet's get_updates queue (the last POLLING_CAP of them). While the
   websocket is up, the library drains that queue (at every connect, then periodically) and
   matches what it finds against what the websocket already delivered:
   - wallet events: a ring of the last hashes delivered over the websocket; a queued update
     that matches an unused ring entry was delivered already and uses that entry up. A queued
     update that matches nothing is delivered, and, while the websocket is open, remembered for
     a short time in case its websocket copy is still on the way (that copy is then skipped).
     Repeats within one path stay repeats: each match uses up one entry.
   - global events (new_block) sit in every wallet's queue: one ring per currency remembers the
     last ones delivered by any path, and a queued copy that matches is not delivered again. On
     the websocket a global event is delivered unless catch-up delivered its queued copy first
     (the twin wait, as for wallet events): a daemon's own repeat there, such as the height a
     restarted daemon announces again, is delivered.
   Hashes cover the update object's text with the whitespace outside strings left out. */

/* One record per currency (a coin: per coin) for its wallet events, keyed by wallet and hash,
   and one for its global events. It grows with what happened, not with the wallets held: an
   entry per update the websocket delivered that the wallet's next get_updates may return
   again, up to max (dedup_entries per wallet held), and one per queue-delivered update
   awaiting its websocket twin, up to qmax (BCE_DEDUP_TWINS per wallet held). Past those
   bounds the oldest is forgotten (its twin, should it come, is delivered again). */
typedef struct _bce_sent_t {
    uint64_t h;                 /* hash | 1; bit 0 clear: used up */
    uint64_t seq;               /* pushes before it */
    const void *who;            /* the wallet (its coin), NULL for global events */
} _bce_sent_t;

typedef struct _bce_twin_t {
    uint64_t h;
    const void *who;
    long long t;
} _bce_twin_t;

typedef struct _bce_seen_t {
    const bce_allocator_t *alloc;
    _bce_sent_t *ring;          /* circular, oldest at ring[first] */
    _bce_twin_t *q;             /* queue-delivered, websocket copy possibly in flight; oldest first */
    uint32_t first, n, cap, max;
    uint32_t qn, qcap, qmax;
    int nomem_logged;
    uint64_t pushes;            /* entries ever pushed */
    uint64_t mark;              /* pushes when the current get_updates call went out */
} _bce_seen_t;

static uint64_t _bce_update_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    size_t i = 0;
    int in_str = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n) {
                h = (h ^ c) * 1099511628211ull;
                c = (unsigned char)s[++i];
            } else if (c == '"') in_str = 0;
        } else if (c == '"') in_str = 1;
        else if (_bce_isws(c)) continue;
        h = (h ^ c) * 1099511628211ull;
    }
    return h | 1u;
}

/* Nothing is allocated until something is remembered. */
static void _bce_seen_init(_bce_seen_t *s, const bce_allocator_t *a, uint32_t max, uint32_t qmax) {
    memset(s, 0, sizeof *s);
    s->alloc = a;
    s->max = max;
    s->qmax = qmax;
}

/* per: entries per wallet; wallets: how many the owner holds. Clamped to what a uint32_t
   index and a size_t byte count can take. */
static uint32_t _bce_seen_bound(uint32_t per, size_t wallets) {
    size_t lim = ((size_t)-1 / 2) / sizeof(_bce_sent_t), n;
    if (lim > (1u << 30)) lim = 1u << 30;
    if (wallets < 1) wallets = 1;
    n = wallets > lim / (per ? per : 1) ? lim : per * wallets;
    return (uint32_t)(n > lim ? lim : n);
}

_BCE_OUTLINE void _bce_seen_release(_bce_seen_t *s) {
    _bce_mfree(s->alloc, s->ring);
    _bce_mfree(s->alloc, s->q);
    s->ring = NULL;
    s->q = NULL;
    s->first = s->n = s->cap = s->qn = s->qcap = s->max = s->qmax = 0;
}

static void _bce_seen_nomem(_bce_seen_t *s, const bce_logger_t *lg) {
    if (s->nomem_logged || !lg) return;
    s->nomem_logged = 1;
    _bce_log(lg, BCE_LOG_WARN, "out of memory for the deduplication record: an update may be delivered twice");
}

/* Drops used-up entries, keeping the order (in place: a slot is only written at or before the
   one read). */
static void _bce_seen_compact(_bce_seen_t *s) {
    uint32_t i, j = 0;
    for (i = 0; i < s->n; i++) {
        const _bce_sent_t *e = &s->ring[(s->first + i) % s->cap];
        if (e->h & 1) s->ring[(s->first + j++) % s->cap] = *e;
    }
    s->n = j;
}

static void _bce_seen_push(_bce_seen_t *s, const void *who, uint64_t h, const bce_logger_t *lg) {
    _bce_sent_t *e;
    if (!s->max) return;
    if (s->n == s->cap) _bce_seen_compact(s);
    if (s->n == s->cap && s->cap < s->max) {
        /* full: grow; the part from first to the old end moves to the new end, so that the
           free slots come right after the newest entry */
        void *buf = s->ring;
        size_t cap = s->cap, hi = s->cap - s->first;
        if (_bce_grow(s->alloc, &buf, &cap, (size_t)s->cap + 1, sizeof *s->ring, s->max) == BCE_OK) {
            s->ring = (_bce_sent_t *)buf;
            memmove(s->ring + cap - hi, s->ring + s->first, hi * sizeof *s->ring);
            s->first = (uint32_t)((cap - hi) % cap);
            s->cap = (uint32_t)cap;
        } else {
            _bce_seen_nomem(s, lg);
        }
    }
    if (!s->cap) return;
    if (s->n == s->cap) {               /* full: forget the oldest */
        s->first = (s->first + 1) % s->cap;
        s->n--;
    }
    e = &s->ring[(s->first + s->n) % s->cap];
    e->h = h;
    e->seq = s->pushes++;
    e->who = who;
    s->n++;
}

/* A get_updates call for wallet who drains everything queued before it ran: entries the
   websocket delivered before the call went out and that the answer did not hold are no longer
   in any queue, so they must not match a later repeat. */
static void _bce_seen_settle(_bce_seen_t *s, const void *who) {
    uint32_t i;
    for (i = 0; i < s->n; i++) {
        _bce_sent_t *e = &s->ring[(s->first + i) % s->cap];
        if (e->seq < s->mark && e->who == who) e->h &= ~(uint64_t)1;
    }
}

/* Finds h of who among the unused entries, newest first; uses it up when consume is set. */
_BCE_OUTLINE int _bce_seen_take(_bce_seen_t *s, const void *who, uint64_t h, int consume) {
    uint32_t k;
    for (k = s->n; k-- > 0;) {
        _bce_sent_t *e = &s->ring[(s->first + k) % s->cap];
        if (e->h == h && e->who == who) {
            if (consume) e->h = h & ~(uint64_t)1;
            return 1;
        }
    }
    return 0;
}

static int _bce_seen_q_take(_bce_seen_t *s, const void *who, uint64_t h, long long now) {
    uint32_t i, o = 0;
    int found = 0;
    for (i = 0; i < s->qn; i++) {       /* drop expired entries on the way */
        if (now - s->q[i].t > BCE_DEDUP_TWIN_MS) continue;
        if (!found && s->q[i].h == h && s->q[i].who == who) { found = 1; continue; }
        s->q[o++] = s->q[i];
    }
    s->qn = o;
    return found;
}

static void _bce_seen_q_add(_bce_seen_t *s, const void *who, uint64_t h, long long now, const bce_logger_t *lg) {
    if (!s->qmax) return;
    if (s->qn == s->qcap) _bce_seen_q_take(s, NULL, 0, now);    /* drops the expired ones */
    if (s->qn == s->qcap && s->qcap < s->qmax) {
        void *buf = s->q;
        size_t cap = s->qcap;
        if (_bce_grow(s->alloc, &buf, &cap, (size_t)s->qn + 1, sizeof *s->q, s->qmax) == BCE_OK) {
            s->q = (_bce_twin_t *)buf;
            s->qcap = (uint32_t)cap;
        } else {
            _bce_seen_nomem(s, lg);
        }
    }
    if (!s->qcap) return;
    if (s->qn == s->qcap) {             /* full: forget the oldest */
        memmove(s->q, s->q + 1, (s->qcap - 1) * sizeof *s->q);
        s->qn--;
    }
    s->q[s->qn].h = h;
    s->q[s->qn].who = who;
    s->q[s->qn].t = now;
    s->qn++;
}

/* What the dispatcher consults: NULL in a route means no deduplication. */
typedef struct _bce_dedup_t {
    _bce_seen_t *wallet;        /* the record of wallet events, or NULL (a wallet not held) */
    _bce_seen_t *global;        /* the record of global events */
    const void *who;            /* the routed wallet */
    const bce_logger_t *logger;
    int from_ws;                /* 1: websocket path; 0: get_updates path */
    int ws_open;                /* get_updates path: the websocket may still deliver (handshake on) */
    long long now;
} _bce_dedup_t;

/* 1 when the update must be skipped as already delivered; records it otherwise. */
static int _bce_dedup_skip(const _bce_dedup_t *dd, int global, const char *text, size_t n) {
    uint64_t h;
    if (!dd) return 0;
    h = _bce_update_hash(text, n);
    if (global) {
        if (!dd->global) return 0;
        if (dd->from_ws) {
            if (_bce_seen_q_take(dd->global, NULL, h, dd->now)) return 1;
        } else {
            if (_bce_seen_take(dd->global, NULL, h, 0)) return 1;
            if (dd->ws_open) _bce_seen_q_add(dd->global, NULL, h, dd->now, dd->logger);
        }
        _bce_seen_push(dd->global, NULL, h, dd->logger);
        return 0;
    }
    if (!dd->wallet) return 0;
    if (dd->from_ws) {
        if (_bce_seen_q_take(dd->wallet, dd->who, h, dd->now)) return 1;
        _bce_seen_push(dd->wallet, dd->who, h, dd->logger);
        return 0;
    }
    if (_bce_seen_take(dd->wallet, dd->who, h, 1)) return 1;
    if (dd->ws_open) _bce_seen_q_add(dd->wallet, dd->who, h, dd->now, dd->logger);
    return 0;
}

/* Order across the two paths: after a (re)connect, websocket messages are held (copied here)
   until the catch-up answer has been dispatched, then fed to the dispatcher in arrival order;
   the twins of what the answer held are skipped by the records above. Each message is kept as
   its length (a size_t) and its bytes. Bounded by BCE_CATCHUP_HOLD_BYTES. */
typedef struct _bce_hold_t {
    char *buf;
    size_t len, cap;
    int on;                     /* holding: a catch-up answer is awaited */
} _bce_hold_t;

/* BCE_OK: kept. Otherwise (over the bound, no memory) the caller releases what is held and
   delivers this message at once. */
static int _bce_hold_add(_bce_hold_t *h, const bce_allocator_t *a, const char *text, size_t n) {
    void *buf = h->buf;
    int r;
    if (n > BCE_CATCHUP_HOLD_BYTES || h->len + sizeof n + n > BCE_CATCHUP_HOLD_BYTES) return BCE_ERR_LIMIT;
    r = _bce_grow(a, &buf, &h->cap, h->len + sizeof n + n, 1, BCE_CATCHUP_HOLD_BYTES);
    if (r != BCE_OK) return r;
    h->buf = (char *)buf;
    memcpy(h->buf + h->len, &n, sizeof n);
    memcpy(h->buf + h->len + sizeof n, text, n);
    h->len += sizeof n + n;
    return BCE_OK;
}

/* Ends holding and feeds every held message to deliver, oldest first. */
static void _bce_hold_release(_bce_hold_t *h, void *owner,
                              int (*deliver)(void *owner, const char *text, size_t len, long long now),
                              long long now) {
    size_t off = 0, n;
    h->on = 0;
    while (off < h->len) {
        memcpy(&n, h->buf + off, sizeof n);
        deliver(owner, h->buf + off + sizeof n, n, now);
        off += sizeof n + n;
    }
    h->len = 0;
}

static void _bce_hold_log_full(const bce_logger_t *lg) {
    _bce_log(lg, BCE_LOG_WARN, "websocket updates held for the catch-up reached BCE_CATCHUP_HOLD_BYTES; "
                               "dispatched now, before the catch-up answer");
}

// >>coin ===================================================================================
/* A coin: its wallet, its settings and handlers; how it is made and freed. */

typedef struct _bce_handler_t {
    bce_handler_fn fn;
    void *user_data;
} _bce_handler_t;

/* Parses an event list into a bit mask; 0 when empty or when a name is unknown. */
static unsigned _bce_event_mask(const char *events) {
    unsigned mask = 0;
    const char *p = events;
    if (!events) return 0;
    for (;;) {
        const char *q;
        size_t n;
        int k, found = -1;
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        if (!*p) break;
        q = p;
        while (*q && *q != ',' && *q != ' ' && *q != '\t') q++;
        n = (size_t)(q - p);
        for (k = 0; k < _BCE_EV_COUNT; k++)
            if (strlen(_bce_event_names[k]) == n && memcmp(_bce_event_names[k], p, n) == 0) found = k;
        if (found < 0) return 0;
        mask |= 1u << found;
        p = q;
    }
    return mask;
}

static int _bce_set_handlers(_bce_handler_t *table, const char *events, bce_handler_fn fn,
                             void *user_data) {
    unsigned mask = _bce_event_mask(events);
    int k;
    if (!mask) return BCE_ERR_INVALID_ARG;
    for (k = 0; k < _BCE_EV_COUNT; k++) {
        if (!(mask & (1u << k))) continue;
        table[k].fn = fn;
        table[k].user_data = fn ? user_data : NULL;
    }
    return BCE_OK;
}

typedef struct _bce_solo_t _bce_solo_t;

/* A coin is a wallet (or none) and how to reach its daemon. What runs it, the link and its
   run state, is a separate _bce_solo_t: made by bce_coin_create, and for a manager's wallet
   only when a call needs it (bce_rpc and the like); a manager's wallets are otherwise routing
   targets of the manager's per-currency links and cost only this struct and its strings. */
struct bce_coin_t {
    /* pointers and sizes first, then the desc, then the ints (no padding holes) */
    char *xpub, *key;           /* into strings (a manager's stand-in coin: the event's key, lent) */
    char *wallet_json;          /* the value sent as "xpub": null, a string or an object */
    char *strings;              /* one block: the desc's strings, the key and wallet_json */
    bce_manager_t *manager;     /* owner, or NULL */
    _bce_solo_t *solo;          /* the coin's own runtime, or NULL (not made yet) */
    char *spec;                 /* the daemon's exceptions (bce_rpc_error_name), once fetched */
    size_t spec_len;
    char *err_msg;              /* the last JSON-RPC error answer's message (BCE_RPC_MESSAGE_MAX) */
    bce_coin_desc_t desc;       /* defaults filled; its strings point into strings */
    _bce_handler_t handlers[_BCE_EV_COUNT];
    int cur;                    /* index in _bce_currencies */
    int borrowed;               /* a manager's stand-in coin: xpub/key point at event data */
    int in_handler;
    int wallet_errors;          /* a listening run's consecutive -32005/-32000 answers */
    int err_code;               /* ... and that answer's code */
    char last_error[BCE_LOG_LINE_MAX];
};

static int _bce_check_desc(const bce_coin_desc_t *d, const bce_logger_t *lg) {
    if (d->currency && _bce_currency_or_log(lg, d->currency) < 0) return BCE_ERR_UNSUPPORTED;
    if (d->user && strchr(d->user, ':')) {
        _bce_log(lg, BCE_LOG_ERROR, "the user name must not contain ':' (HTTP Basic auth cannot carry it)");
        return BCE_ERR_INVALID_ARG;
    }
    if (d->connect_timeout_ms < 0 || d->rpc_timeout_ms < 0 || d->limits.max_json_depth < 0
        || d->limits.max_json_depth > BCE_JSON_MAX_DEPTH_LIMIT) {
        _bce_log(lg, BCE_LOG_ERROR, "negative timeout or max_json_depth out of range");
        return BCE_ERR_INVALID_ARG;
    }
    if ((d->allocator.alloc == NULL) != (d->allocator.free == NULL)) {
        _bce_log(lg, BCE_LOG_ERROR, "allocator: set both alloc and free, or neither");
        return BCE_ERR_INVALID_ARG;
    }
    {
        bce_coin_desc_t f = *d;
        char urlbuf[_BCE_URLBUF];
        const char *why;
        _bce_coin_desc_defaults(&f, urlbuf);
        why = _bce_rpc_limits_bad(f.limits.max_header_bytes, f.limits.max_response_bytes);
        if (why) {
            _bce_log(lg, BCE_LOG_ERROR, why);
            return BCE_ERR_INVALID_ARG;
        }
    }
    if (d->url) {
        _bce_url_t u;
        const char *why = _bce_url_parse(d->url, &u);
        if (why) {
            _bce_msg_t m;
            m.len = 0;
            _bce_msg_str(&m, "bad url: ");
            _bce_msg_str(&m, why);
            _bce_log(lg, BCE_LOG_ERROR, m.buf);
            return BCE_ERR_INVALID_ARG;
        }
    }
    return BCE_OK;
}

/* The daemon splits the decoded Basic credentials on ':' into exactly two parts: a password
   holding ':' makes every request fail with HTTP 500. Valid HTTP, so a warning, not a refusal. */
static void _bce_warn_colon_pw(const bce_coin_desc_t *d, const bce_logger_t *lg) {
    if (d->password && strchr(d->password, ':'))
        _bce_log(lg, BCE_LOG_WARN, "the password contains ':', which the Bitcart daemon cannot parse: "
                                   "it answers every request with HTTP 500");
}


/* Exactly what _bce_wallet_json writes, its NUL and _bce_json_quote's slack; 0: too long. */
static size_t _bce_wallet_json_cap(const char *xpub, const char *contract, const char *address) {
    size_t x = _bce_json_quoted_len(xpub), o = contract ? _bce_json_quoted_len(contract)
                                                        : address ? _bce_json_quoted_len(address) : 2;
    if (!x || !o) return 0;
    return 8 + x + 12 + o + 1 + 1 + 8;
}

/* The JSON value sent as "xpub" in every call, written at b (cap from _bce_wallet_json_cap):
   null, the xpub string, or the object form for token (contract) and XMR (address) wallets. */
static void _bce_wallet_json(char *b, size_t cap, const char *xpub, const char *contract, const char *address) {
    size_t o;
    if (!xpub) {
        memcpy(b, "null", 5);
        return;
    }
    if (!contract && !address) {
        o = _bce_json_quote(b, 0, cap, xpub);
    } else {
        memcpy(b, "{\"xpub\":", 8);
        o = _bce_json_quote(b, 8, cap, xpub);
        memcpy(b + o, contract ? ",\"contract\":" : ",\"address\":", contract ? 12 : 11);
        o += contract ? 12 : 11;
        o = _bce_json_quote(b, o, cap, contract ? contract : address);
        b[o++] = '}';
    }
    b[o] = 0;
}

/* The desc's strings a coin keeps, by their place in it. */
static const size_t _bce_desc_strings[] = {
    offsetof(bce_coin_desc_t, url), offsetof(bce_coin_desc_t, user), offsetof(bce_coin_desc_t, password),
    offsetof(bce_coin_desc_t, xpub), offsetof(bce_coin_desc_t, contract), offsetof(bce_coin_desc_t, address),
    offsetof(bce_coin_desc_t, tls.ca_file), offsetof(bce_coin_desc_t, tls.ca_pem)};
#define _BCE_DESC_STR(d, k) ((const char **)(void *)((char *)(d) + _bce_desc_strings[k]))

/* Builds a coin (no runtime yet) from a checked desc: one allocation for the struct, one for
   every string it keeps (the desc's, the token key xpub_contract, wallet_json). */
static bce_coin_t *_bce_coin_alloc(const bce_coin_desc_t *desc) {
    bce_coin_t *c;
    char urlbuf[_BCE_URLBUF];
    bce_coin_desc_t d = *desc;
    size_t need = 0, o = 0, jcap, k, n;
    _bce_coin_desc_defaults(&d, urlbuf);
    for (k = 0; k < sizeof _bce_desc_strings / sizeof _bce_desc_strings[0]; k++) {
        const char *str = *_BCE_DESC_STR(&d, k);
        if (str && (n = strlen(str) + 1) > (size_t)-1 / 4 - need) return NULL;     /* 32-bit: the sum must fit */
        if (str) need += n;
    }
    if (d.xpub && d.contract) need += strlen(d.xpub) + strlen(d.contract) + 2;
    jcap = _bce_wallet_json_cap(d.xpub, d.contract, d.address);
    if (!jcap || jcap > (size_t)-1 / 4 - need) return NULL;
    c = (bce_coin_t *)_bce_malloc(&d.allocator, sizeof *c);
    if (!c) return NULL;
    memset(c, 0, sizeof *c);
    c->strings = (char *)_bce_malloc(&d.allocator, need + jcap);
    if (!c->strings) {
        _bce_mfree(&d.allocator, c);
        return NULL;
    }
    c->desc = d;
    for (k = 0; k < sizeof _bce_desc_strings / sizeof _bce_desc_strings[0]; k++) {
        const char **str = _BCE_DESC_STR(&c->desc, k);
        if (!*str) continue;
        n = strlen(*str) + 1;
        memcpy(c->strings + o, *str, n);
        *str = c->strings + o;
        o += n;
    }
    c->xpub = c->key = (char *)(uintptr_t)c->desc.xpub; /* the key is the xpub ... */
    if (d.xpub && d.contract) {                         /* ... or xpub_contract for token wallets */
        size_t a = strlen(d.xpub);
        c->key = c->strings + o;
        memcpy(c->key, d.xpub, a);
        c->key[a] = '_';
        n = strlen(d.contract) + 1;
        memcpy(c->key + a + 1, d.contract, n);
        o += a + 1 + n;
    }
    c->wallet_json = c->strings + o;
    _bce_wallet_json(c->wallet_json, jcap, d.xpub, d.contract, d.address);
    c->cur = _bce_currency_find(d.currency);
    return c;
}

static void _bce_solo_free(bce_coin_t *c);

static void _bce_coin_free(bce_coin_t *c) {
    bce_allocator_t a = c->desc.allocator;
    if (c->solo) _bce_solo_free(c);
    _bce_mfree(&a, c->spec);
    _bce_mfree(&a, c->err_msg);
    if (c->desc.password) _bce_wipe((void *)(uintptr_t)c->desc.password, strlen(c->desc.password));
    _bce_mfree(&a, c->strings);
    _bce_mfree(&a, c);
}

// >>dispatch ===============================================================================
/* Update objects to handlers: the route (whose handlers, which instance, which records), one
   update, a list, a whole document; the event accessors handlers use; websocket messages. */

/* Decoding state shared by the dispatch paths: tokens plus an arena for decoded strings.
   Both grow to the largest input seen (bounded by the limits) and are reused. */
typedef struct _bce_disp_t {
    bce_json_t json;
    char *arena;
    size_t arena_cap;
    size_t arena_used;
    char *aux;                  /* a websocket message's decoded wallet key */
    size_t aux_cap;
    const bce_logger_t *logger;
} _bce_disp_t;

struct bce_event_t {
    int index;                  /* _BCE_EV_* */
    bce_coin_t *instance;
    const char *currency;
    const char *wallet;
    const char *json;
    bce_json_token_t *toks;
    uint32_t obj;
    uint32_t first;             /* the object's first key still worth comparing (past "event") */
    uint32_t first_i;           /* its member index */
    _bce_disp_t *disp;
};

static void _bce_disp_init(_bce_disp_t *d, const bce_logger_t *lg, const bce_allocator_t *a,
                           uint32_t max_tokens, int max_depth) {
    bce_json_desc_t jd;
    memset(&jd, 0, sizeof jd);
    jd.max_tokens = max_tokens;
    jd.max_depth = max_depth;
    jd.allocator = *a;
    memset(d, 0, sizeof *d);
    bce_json_init(&d->json, &jd);   /* limits were checked by the caller */
    d->logger = lg;
}

static void _bce_disp_release(_bce_disp_t *d) {
    _bce_mfree(&d->json.desc.allocator, d->aux);
    d->aux = NULL;
    _bce_mfree(&d->json.desc.allocator, d->arena);
    d->arena = NULL;
    d->arena_cap = 0;
    bce_json_release(&d->json);
}

/* Where handlers are found and what the event reports. */
typedef struct _bce_route_t {
    const _bce_handler_t *first;    /* manager handlers (precedence), or NULL */
    bce_coin_t *instance;
    const char *currency;
    const char *wallet;             /* wallet key of wallet events; global events get NULL */
    unsigned accepted;
    const _bce_dedup_t *dedup;      /* websocket + catch-up deduplication, or NULL */
} _bce_route_t;

static void _bce_log_invalid_event(const bce_logger_t *lg, const char *json, const bce_json_token_t *t) {
    _bce_msg_t m;
    if (!_bce_log_on(lg, BCE_LOG_WARN)) return;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, "Invalid event from server: ");
    if (!t) _bce_msg_str(&m, "None");           /* the SDK's wording for a missing event */
    else _bce_msg_untrusted(&m, json + t->start, t->end - t->start);
    _bce_log(lg, BCE_LOG_WARN, m.buf);
}

/* Dispatches the update object at toks[obj]. Returns 1 when a handler ran, 0 when none did,
   or BCE_ERR_NOMEM. */
static int _bce_dispatch_one(_bce_disp_t *d, const _bce_route_t *rt, const char *json,
                             bce_json_token_t *toks, uint32_t obj) {
    uint32_t v = _bce_json_find_n(json, toks, obj, "event", 5);
    const _bce_handler_t *h = NULL;
    bce_event_t ev;
    int k, found = -1;
    size_t need;
    bce_coin_t *inst = rt->instance;
    if (v && toks[v].type == BCE_JSON_STRING && !toks[v].escaped) {
        /* the plain spelling: its length picks the only candidate */
        const char *e = json + toks[v].start;
        switch (toks[v].end - toks[v].start) {     /* constant-size compares: no library call */
        case 9: if (memcmp(e, "new_block", 9) == 0) found = _BCE_EV_NEW_BLOCK; break;
        case 15: if (memcmp(e, "new_transaction", 15) == 0) found = _BCE_EV_NEW_TRANSACTION; break;
        case 11:
            if (memcmp(e, "new_payment", 11) == 0) found = _BCE_EV_NEW_PAYMENT;
            else if (memcmp(e, "verified_tx", 11) == 0) found = _BCE_EV_VERIFIED_TX;
            break;
        default: break;
        }
    } else if (v) {
        for (k = 0; k < _BCE_EV_COUNT && found < 0; k++)
            if (_bce_json_str_eq(json, &toks[v], _bce_event_names[k], _bce_event_name_lens[k])) found = k;
    }
    if (found < 0 || !(rt->accepted & (1u << found))) {
        _bce_log_invalid_event(d->logger, json, v ? &toks[v] : NULL);
        return 0;
    }
    if (rt->dedup && _bce_dedup_skip(rt->dedup, found == _BCE_EV_NEW_BLOCK, json + toks[obj].start,
                                     (size_t)(toks[obj].end - toks[obj].start)))
        return 0;
    if (rt->first && rt->first[found].fn) h = &rt->first[found];
    else if (inst->handlers[found].fn) h = &inst->handlers[found];
    if (!h) return 0;
    /* every decoded string fits in the update's own length (quotes make room for the NULs) */
    need = (size_t)(toks[obj].end - toks[obj].start) + 1;
    if (need > d->arena_cap && _bce_scratch(&d->json.desc.allocator, &d->arena, &d->arena_cap, need) != BCE_OK) {
        _bce_log(d->logger, BCE_LOG_ERROR, "out of memory while delivering an event; skipped");
        return BCE_ERR_NOMEM;
    }
    d->arena_used = 0;
    ev.index = found;
    ev.instance = inst;
    ev.currency = rt->currency;
    ev.wallet = found == _BCE_EV_NEW_BLOCK ? NULL : rt->wallet;
    ev.json = json;
    ev.toks = toks;
    ev.obj = obj;
    /* "event" is no argument: when it is the first member, lookups start after it */
    ev.first = obj + 1;
    ev.first_i = 0;
    if (v == obj + 2 && toks[obj].size > 1) {
        ev.first = toks[v].next;
        ev.first_i = 1;
    }
    ev.disp = d;
    inst->in_handler++;
    h->fn(&ev, h->user_data);
    inst->in_handler--;
    return 1;
}

/* Dispatches every object item of the array at t[arr] of validated text; returns the number
   of handler calls. */
_BCE_INLINE int _bce_dispatch_list(_bce_disp_t *d, const _bce_route_t *rt, const char *json, bce_json_token_t *t,
                                   uint32_t arr) {
    uint32_t k, n;
    int calls = 0;
    if (t[arr].type != BCE_JSON_ARRAY) {
        _bce_log(d->logger, BCE_LOG_WARN, "updates are not a list; ignored");
        return 0;
    }
    for (n = 0, k = arr + 1; n < t[arr].size; n++, k = t[k].next) {
        if (t[k].type != BCE_JSON_OBJECT) {
            _bce_log(d->logger, BCE_LOG_DEBUG, "update that is not an object ignored");
            continue;
        }
        if (_bce_dispatch_one(d, rt, json, t, k) > 0 && calls < INT_MAX) calls++;
    }
    return calls;
}

/* Validates the whole text, then dispatches every object item of a top-level array. */
static int _bce_dispatch_array(_bce_disp_t *d, const _bce_route_t *rt, const char *json, size_t len) {
    size_t i = 0, err_off = 0;
    int r, calls = 0;
    _bce_scan_t sc;
    if (!json && len) return BCE_ERR_INVALID_ARG;
    if (!json) json = "";
    /* One pass when the whole document fits in the token limit (a get_updates answer holds at
       most 100 updates): validation makes every token, and dispatch reads them. Over a limit
       (tokens, depth, memory), the two-pass path below decides and reports. Documents longer
       than 16 bytes per allowed token (realistic updates average 16-20) go there directly, so
       that a large document rarely pays for a one-pass attempt that runs out of tokens. */
    r = len / 16 <= d->json.desc.max_tokens ? _bce_json_parse_d(&d->json, json, len) : BCE_ERR_LIMIT;
    if (r > 0) return _bce_dispatch_list(d, rt, json, d->json.tokens, 0);
    if (r == BCE_ERR_JSON) err_off = d->json.error_offset;
    else r = bce_json_validate(json, len, d->json.desc.max_depth, &err_off);
    if (r != BCE_OK) {
        _bce_msg_t m;
        m.len = 0;
        _bce_msg_str(&m, r == BCE_ERR_LIMIT ? "updates nest too deep at byte " : "malformed JSON in updates at byte ");
        _bce_msg_long(&m, (long long)err_off);
        _bce_msg_str(&m, "; nothing delivered");
        _bce_log(d->logger, BCE_LOG_WARN, m.buf);
        return r;
    }
    while (_bce_isws((unsigned char)json[i])) i++;
    if (json[i] != '[') {
        _bce_log(d->logger, BCE_LOG_WARN, "updates are not a list; ignored");
        return 0;
    }
    i++;
    memset(&sc, 0, sizeof sc);
    sc.s = json;
    sc.len = len;
    sc.max_depth = d->json.desc.max_depth;
    sc.p = &d->json;
    d->json.parses_++;
    sc.last = _bce_json_last_bracket(json, 0, len);     /* the array's ']' */
    for (;;) {
        size_t end = i;
        while (_bce_isws((unsigned char)json[i]) || json[i] == ',') i++;
        if (json[i] == ']') break;
        if (json[i] != '{') {
            _bce_log(d->logger, BCE_LOG_DEBUG, "update that is not an object ignored");
            i = _bce_json_skip(json, len, i);
            continue;
        }
        sc.ntok = 0;
        r = _bce_json_scan_at(&sc, i, &end);    /* valid text: only the token limit or memory can stop it */
        if (r != BCE_OK) {
            _bce_log(d->logger, BCE_LOG_WARN, r == BCE_ERR_LIMIT ? "update with too many tokens skipped"
                                                                 : "update skipped: out of memory");
            i = _bce_json_skip(json, len, i);
            continue;
        }
        r = _bce_dispatch_one(d, rt, json, d->json.tokens, 0);
        if (r > 0 && calls < INT_MAX) calls++;
        i = end;
    }
    return calls;
}

/* ---- events ---- */

_BCE_DEF const char *bce_event_name(const bce_event_t *ev) { return ev ? _bce_event_names[ev->index] : NULL; }
_BCE_DEF bce_coin_t *bce_event_instance(const bce_event_t *ev) { return ev ? ev->instance : NULL; }
_BCE_DEF const char *bce_event_currency(const bce_event_t *ev) { return ev ? ev->currency : NULL; }
_BCE_DEF const char *bce_event_wallet(const bce_event_t *ev) { return ev ? ev->wallet : NULL; }

/* Index of the argument's value token, or 0. */
static uint32_t _bce_event_arg(const bce_event_t *ev, const char *arg) {
    const bce_json_token_t *tokens;
    const char *json;
    uint32_t k, i, size;
    if (!ev || !arg || (arg[0] == 'e' && strcmp(arg, "event") == 0)) return 0;
    /* its own compare, not _bce_json_find_from + strlen: most keys differ in their first byte
       (bench/RESULTS.md, "Why the code looks like this") */
    tokens = ev->toks;
    json = ev->json;
    size = tokens[ev->obj].size;
    for (k = ev->first, i = ev->first_i; i < size; i++, k = tokens[k + 1].next) {
        const bce_json_token_t *t = &tokens[k];
        const char *a = json + t->start;
        size_t j, n = (size_t)(t->end - t->start);
        if (!t->escaped) {
            if (n && a[0] != arg[0]) continue;
            for (j = 1; j < n && a[j] == arg[j]; j++) {}
            if (j >= n && arg[n] == 0) return k + 1;
        } else if (_bce_json_str_eq(json, t, arg, strlen(arg))) {
            return k + 1;
        }
    }
    return 0;
}

_BCE_DEF int bce_event_has(const bce_event_t *ev, const char *arg) { return _bce_event_arg(ev, arg) != 0; }

_BCE_DEF const char *bce_event_str(const bce_event_t *ev, const char *arg) {
    uint32_t v = _bce_event_arg(ev, arg);
    bce_json_token_t *t;
    _bce_disp_t *d;
    char *out;
    size_t n;
    if (!v) return NULL;
    t = &ev->toks[v];
    if (t->type != BCE_JSON_STRING) return NULL;
    d = ev->disp;
    if (t->memo_) return d->arena + (t->memo_ - 1);
    /* the arena holds the update's length + 1; each string is decoded once into it */
    out = d->arena + d->arena_used;
    n = t->escaped ? _bce_json_decode(ev->json, t->start, t->end, out) : (size_t)(t->end - t->start);
    if (!t->escaped) memcpy(out, ev->json + t->start, n);
    out[n] = 0;
    t->memo_ = (uint32_t)d->arena_used + 1;
    d->arena_used += n + 1;
    return out;
}

_BCE_DEF int bce_event_int(const bce_event_t *ev, const char *arg, long long *out) {
    uint32_t v = _bce_event_arg(ev, arg);
    return v ? bce_json_int(ev->json, &ev->toks[v], out) : 0;
}

_BCE_DEF const char *bce_event_json(const bce_event_t *ev, const char *arg, size_t *len) {
    const bce_json_token_t *t;
    uint32_t v;
    if (!ev) return NULL;
    if (!arg) v = ev->obj;
    else if (!(v = _bce_event_arg(ev, arg))) return NULL;
    t = &ev->toks[v];
    if (t->type == BCE_JSON_STRING) {   /* include the quotes */
        if (len) *len = (size_t)(t->end - t->start) + 2;
        return ev->json + t->start - 1;
    }
    if (len) *len = (size_t)(t->end - t->start);
    return ev->json + t->start;
}

/* ---- websocket messages into the dispatcher ---- */

typedef int (*_bce_ws_router_fn)(void *owner, const char *currency, size_t currency_len, const char *wallet,
                                 _bce_route_t *rt, _bce_dedup_t *dd, long long now);

/* One text message: {"updates":[...],"wallet":KEY|null,"currency":"BTC"}. Invalid JSON is
   logged and skipped; the connection stays. Returns 1 when the text is not valid UTF-8 (the
   connection fails with 1007), else 0: the scan of valid JSON checks the UTF-8 of its strings
   and allows nothing else above 0x7F, so only text that is not JSON is checked again. */
static int _bce_ws_deliver(_bce_disp_t *d, const char *text, size_t len, void *owner, _bce_ws_router_fn route,
                            long long now) {
    bce_json_t *p = &d->json;
    bce_json_token_t *t;
    uint32_t u, w, c;
    const char *wallet = NULL, *cur = "BTC";
    size_t cur_len = 3;
    _bce_route_t rt;
    _bce_dedup_t dd;
    int r;
    r = _bce_json_parse_d(p, text, len);
    if (r < 0) {
        _bce_msg_t m;
        if (!_bce_utf8_valid((const unsigned char *)text, len)) return 1;
        m.len = 0;
        m.buf[0] = 0;
        _bce_msg_str(&m, "websocket message skipped: ");
        _bce_msg_str(&m, r == BCE_ERR_JSON ? "not valid JSON (" : "over a limit (");
        _bce_msg_str(&m, p->error);
        _bce_msg_str(&m, " at byte ");
        _bce_msg_long(&m, (long long)p->error_offset);
        _bce_msg_str(&m, ")");
        _bce_log(d->logger, BCE_LOG_WARN, m.buf);
        return 0;
    }
    t = p->tokens;
    if (t[0].type != BCE_JSON_OBJECT || !(u = _bce_json_find_n(text, t, 0, "updates", 7)) || t[u].type != BCE_JSON_ARRAY) {
        _bce_log(d->logger, BCE_LOG_WARN, "websocket message without an updates list ignored");
        return 0;
    }
    if ((w = _bce_json_find_n(text, t, 0, "wallet", 6)) != 0 && t[w].type == BCE_JSON_STRING) {
        size_t need = (size_t)(t[w].end - t[w].start) + 1;
        if (need > d->aux_cap && _bce_scratch(&p->desc.allocator, &d->aux, &d->aux_cap, need) != BCE_OK) {
            _bce_log(d->logger, BCE_LOG_ERROR, "out of memory for a websocket message; skipped");
            return 0;
        }
        bce_json_string(text, &t[w], d->aux, d->aux_cap, NULL);
        wallet = d->aux;
    }
    if ((c = _bce_json_find_n(text, t, 0, "currency", 8)) != 0 && t[c].type == BCE_JSON_STRING) {
        cur = text + t[c].start;
        cur_len = t[c].end - t[c].start;
    }
    memset(&dd, 0, sizeof dd);
    if (route(owner, cur, cur_len, wallet, &rt, &dd, now) != BCE_OK) return 0;
    _bce_dispatch_list(d, &rt, text, t, u);
    return 0;
}

/* Wallet key -> {"xpub":"KEY"}, the filter a coin sends after connecting. */
static char *_bce_subscribe_json(const bce_allocator_t *a, const char *key) {
    size_t cap = strlen(key), o;
    char *b;
    if (cap > ((size_t)-1 - 16) / 6) return NULL;      /* 32-bit: the sum must fit */
    cap = 16 + 6 * cap;
    b = (char *)_bce_malloc(a, cap);
    if (!b) return NULL;
    memcpy(b, "{\"xpub\":", 8);
    o = _bce_json_quote(b, 8, cap, key);
    b[o++] = '}';
    b[o] = 0;
    return b;
}

// >>link ===================================================================================
/* The runtime, one for a coin and a manager. A link is everything that talks to one daemon for
   one currency: the endpoint, the JSON-RPC client and the websocket made from it, the order
   hold, the deduplication records, and a round over the wallets it serves (polling, catch-up
   after a connect, periodic drains). A run is what the links of one owner share: the activity
   (polling or websocket), its options, the stop flag and the wake-up pipe. A coin runs one
   link that serves its one wallet; a manager runs one link per currency serving that
   currency's wallets. The only code that differs is the manager's routing: which wallet a
   websocket message names (the held coin, or a stand-in coin for one not held) and in which
   currency (_bce_link_route). */

typedef struct _bce_link_t _bce_link_t;

typedef struct _bce_run_t {
    bce_ws_opts_t wsopts;       /* the websocket activity's options, defaults filled */
    const bce_logger_t *logger;
    const bce_allocator_t *alloc;
    _bce_disp_t *disp;
    bce_manager_t *m;           /* a manager's run, or NULL: a coin's */
    /* The manager's extra work, NULL for a coin (pointers, so that a program without a
       manager links none of its code): the instance for wallet of currency cur (a held coin
       or the stand-in coin lent the key); a websocket message's currency and wallet to its
       link and instance; taking the lent key back after a dispatch; a call's JSON-RPC error
       kept by the wallet it was made for. */
    bce_coin_t *(*instance)(bce_manager_t *m, int cur, const char *wallet);
    int (*route)(bce_manager_t *m, const char *cur, size_t cur_len, const char *wallet, bce_coin_t **inst,
                 _bce_link_t **to);
    void (*unborrow)(bce_manager_t *m);
    void (*take_error)(bce_coin_t *c, const _bce_rpc_t *rpc);
    _bce_link_t *links;
    int nlinks;
    int mode;                   /* _BCE_MODE_* */
    int interval_ms;            /* polling: a round over every wallet this often */
    int fatal;                  /* what ends the activity */
    int catch_up;               /* websocket: get_updates per wallet after every connect, then drains */
    int loading;                /* catch-up off: getbalance per wallet after every connect */
    int drain_gap_ms;           /* drains: at least this long between two calls of one link */
    int in_handler;
    volatile sig_atomic_t stop_requested;
    int wake[2];
} _bce_run_t;

struct _bce_link_t {
    _bce_run_t *run;
    bce_coin_t *solo;           /* a coin's link: the coin, its one wallet; NULL: a manager's */
    bce_coin_t **slots;         /* a manager's: its wallets, open addressing on key, 2^k slots */
    size_t nslots, count;
    bce_coin_t *current;        /* the wallet whose call is in flight */
    size_t cursor;              /* the round's next slot */
    long long next_round;       /* when the next round starts; -1: none planned */
    long long next_call;        /* a paced round: its next call not before this */
    _bce_endpoint_t ep;         /* what rpc and ws share */
    _bce_rpc_t rpc;
    _bce_ws_t ws;
    _bce_hold_t hold;           /* websocket messages held until the catch-up round was dispatched */
    _bce_seen_t seen;           /* wallet events delivered lately, keyed by wallet */
    _bce_seen_t gseen;          /* global events delivered lately */
    int cur;                    /* index in _bce_currencies */
    int ready;                  /* ep and rpc made */
    int active;                 /* part of the current activity */
    int ws_ready;               /* ws made */
    int in_round;
    int paced;                  /* the round is a periodic drain: calls drain_gap_ms apart */
    int load_failed;            /* a call of this round failed: the next round after BCE_CATCHUP_RETRY_MS */
    int retry;                  /* the next timed round retries a failed one: not paced */
};

/* Makes the link's endpoint and JSON-RPC client from d (defaults filled; of its strings only
   tls.ca_file and tls.ca_pem must outlive the link). Failures are described in error. */
static int _bce_link_init(_bce_link_t *l, _bce_run_t *run, const bce_coin_desc_t *d, char *error, size_t error_cap) {
    int r = _bce_endpoint_init(&l->ep, d, run->alloc, run->logger, error, error_cap);
    if (r != BCE_OK) {
        _bce_endpoint_release(&l->ep);
        return r;
    }
    _bce_rpc_init(&l->rpc, &l->ep, &run->disp->json);
    l->rpc.stop = &run->stop_requested;
    _bce_seen_init(&l->seen, run->alloc, 0, 0);
    _bce_seen_init(&l->gseen, run->alloc, BCE_DEDUP_GLOBAL, BCE_DEDUP_GLOBAL);
    l->ready = 1;
    if (l->ep.skip_verify)
        _bce_log(run->logger, BCE_LOG_WARN, "TLS certificate verification is OFF (tls.skip_verify): "
                                            "anyone on the path can impersonate the daemon");
    return BCE_OK;
}

/* Releases what _bce_link_init and the websocket made; the wallets stay. */
static void _bce_link_release(_bce_link_t *l) {
    if (l->ws_ready) _bce_ws_release(&l->ws);
    if (l->ready) {
        _bce_rpc_release(&l->rpc);
        _bce_endpoint_release(&l->ep);                  /* after both connections */
    }
    _bce_mfree(l->run->alloc, l->hold.buf);
    l->hold.buf = NULL;
    l->hold.len = l->hold.cap = 0;
    _bce_seen_release(&l->seen);
    _bce_seen_release(&l->gseen);
    l->ready = l->ws_ready = 0;
}

/* ---- the wallets a link serves ---- */

static size_t _bce_hash(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
    return (size_t)h;
}

static bce_coin_t **_bce_link_slot(_bce_link_t *l, const char *key) {
    size_t mask, i;
    if (!l->nslots) return NULL;
    mask = l->nslots - 1;
    for (i = _bce_hash(key) & mask;; i = (i + 1) & mask)
        if (!l->slots[i] || strcmp(l->slots[i]->key, key) == 0) return &l->slots[i];
}

/* The held wallet of that key, or NULL. */
static bce_coin_t *_bce_link_find(_bce_link_t *l, const char *key) {
    bce_coin_t **s;
    if (!key) return NULL;
    if (l->solo) return l->solo->key && strcmp(l->solo->key, key) == 0 ? l->solo : NULL;
    s = _bce_link_slot(l, key);
    return s ? *s : NULL;
}

static int _bce_link_put(_bce_link_t *l, bce_coin_t *c) {
    if ((l->count + 1) * 2 > l->nslots) {
        size_t n = l->nslots ? l->nslots * 2 : 16, k;
        bce_coin_t **old = l->slots;
        size_t oldn = l->nslots;
        bce_coin_t **slots;
        if (n > ((size_t)-1) / sizeof(bce_coin_t *)) return BCE_ERR_NOMEM;
        slots = (bce_coin_t **)_bce_malloc(l->run->alloc, n * sizeof(bce_coin_t *));
        if (!slots) return BCE_ERR_NOMEM;
        memset(slots, 0, n * sizeof(bce_coin_t *));
        l->slots = slots;
        l->nslots = n;
        for (k = 0; k < oldn; k++)
            if (old[k]) *_bce_link_slot(l, old[k]->key) = old[k];
        _bce_mfree(l->run->alloc, old);
        l->cursor = 0;                  /* a round walking the old table starts over: none skipped */
    }
    *_bce_link_slot(l, c->key) = c;
    l->count++;
    return BCE_OK;
}

/* The round's next wallet (advancing the cursor), or NULL at the end of the round. */
static bce_coin_t *_bce_link_next_wallet(_bce_link_t *l) {
    if (l->solo) return l->cursor++ == 0 && l->solo->key ? l->solo : NULL;
    while (l->cursor < l->nslots && !l->slots[l->cursor]) l->cursor++;
    return l->cursor < l->nslots ? l->slots[l->cursor++] : NULL;
}

static size_t _bce_link_wallets(const _bce_link_t *l) {
    return l->solo ? (l->solo->key != NULL) : l->count;
}

/* ---- calls for a wallet ---- */

static void _bce_log_call_failure(const bce_logger_t *lg, const char *what, int r, const char *detail) {
    _bce_msg_t m;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, what);
    _bce_msg_str(&m, " failed: ");
    _bce_msg_str(&m, bce_result_str(r));
    if (detail && *detail) {
        _bce_msg_str(&m, " (");
        _bce_msg_str(&m, detail);
        _bce_msg_str(&m, ")");
    }
    _bce_log(lg, r == BCE_ERR_AUTH || r == BCE_ERR_WALLET ? BCE_LOG_ERROR : BCE_LOG_WARN, m.buf);
}

/* A listener's call that retrying cannot mend ends the run: a wrong password (-32600), a
   daemon without the method (-32601: not a Bitcart daemon). Anything else is retried; a
   wallet the daemon cannot load is counted by _bce_wallet_tries. */
static int _bce_rpc_fatal(const _bce_rpc_t *rpc, int r) {
    return r == BCE_ERR_AUTH || (r == BCE_ERR_RPC && rpc->rpc_code == -32601);
}

/* The daemon could not load the wallet: -32005 (LoadingWalletError: a key it does not
   recognise, but also its answer to any failure while loading, such as a network error of
   an ETH token lookup) or -32000 (WalletNotLoadedError). */
static int _bce_rpc_wallet_error(const _bce_rpc_t *rpc, int r) {
    return r == BCE_ERR_RPC && (rpc->rpc_code == -32005 || rpc->rpc_code == -32000);
}

/* Counts the outcome r of a listening call for wallet coin c (rpc: its client). A success
   resets the count; a wallet error is logged, naming the wallet, and once it came
   BCE_WALLET_ERROR_TRIES times in a row the run ends: BCE_ERR_WALLET. Else BCE_OK. */
static int _bce_wallet_tries(bce_coin_t *c, const bce_logger_t *lg, const _bce_rpc_t *rpc, int r) {
    _bce_msg_t m;
    size_t kl;
    if (!c) return BCE_OK;
    if (!_bce_rpc_wallet_error(rpc, r)) {
        if (r == BCE_OK) c->wallet_errors = 0;
        return BCE_OK;
    }
    if (c->wallet_errors < BCE_WALLET_ERROR_TRIES) c->wallet_errors++;
    m.len = 0;
    m.buf[0] = 0;
    _bce_msg_str(&m, "the daemon cannot load wallet ");
    kl = c->key ? strlen(c->key) : 0;           /* the start of the key only: it may be a seed */
    _bce_msg_untrusted(&m, c->key ? c->key : "", kl > 12 ? 8 : kl);
    if (kl > 12) _bce_msg_str(&m, "...");
    _bce_msg_str(&m, " (JSON-RPC error ");
    _bce_msg_long(&m, rpc->rpc_code);
    _bce_msg_str(&m, "): attempt ");
    _bce_msg_long(&m, c->wallet_errors);
    _bce_msg_str(&m, " of ");
    _bce_msg_long(&m, BCE_WALLET_ERROR_TRIES);
    if (c->wallet_errors >= BCE_WALLET_ERROR_TRIES) {
        _bce_msg_str(&m, ", giving up (BCE_ERR_WALLET)");
        _bce_log(lg, BCE_LOG_ERROR, m.buf);
        return BCE_ERR_WALLET;
    }
    _bce_msg_str(&m, ", retrying");
    _bce_log(lg, BCE_LOG_WARN, m.buf);
    return BCE_OK;
}

/* A call made for wallet c ended with a JSON-RPC error: c keeps it (bce_coin_last_rpc_error
   and bce_coin_last_error name the wallet that ended a run). */
static void _bce_coin_take_error(bce_coin_t *c, const _bce_rpc_t *rpc) {
    size_t n = strlen(rpc->ep->error);
    if (!rpc->rpc_code || c->borrowed) return;
    c->err_code = rpc->err_code;
    if (!c->err_msg) c->err_msg = (char *)_bce_malloc(&c->desc.allocator, BCE_RPC_MESSAGE_MAX);
    if (c->err_msg) memcpy(c->err_msg, rpc->err_msg ? rpc->err_msg : "", rpc->err_msg ? strlen(rpc->err_msg) + 1 : 1);
    if (rpc->ep->error == c->last_error) return;
    if (n >= sizeof c->last_error) n = sizeof c->last_error - 1;
    memcpy(c->last_error, rpc->ep->error, n);
    c->last_error[n] = 0;
}

/* Hands a finished get_updates call to the dispatcher; returns a fatal result or BCE_OK. */
static int _bce_poll_collect(_bce_rpc_t *rpc, _bce_disp_t *d, const _bce_route_t *rt) {
    int r = rpc->result;
    rpc->state = _BCE_RPC_IDLE;
    if (r == BCE_OK) {
        /* the answer was validated and tokenized whole: dispatch from its tokens, unless a
           websocket message or another call has parsed since (then from its text) */
        if (rpc->json == &d->json && d->json.parses_ == rpc->result_parse && rpc->result_tok != _BCE_RPC_NO_TOKENS)
            _bce_dispatch_list(d, rt, rpc->result_body, d->json.tokens, rpc->result_tok);
        else
            _bce_dispatch_array(d, rt, rpc->result_json, rpc->result_len);
        return BCE_OK;
    }
    _bce_log_call_failure(d->logger, "get_updates", r, rpc->ep->error);
    return _bce_rpc_fatal(rpc, r) ? r : BCE_OK;
}

static const _bce_handler_t *_bce_manager_handlers(bce_manager_t *m);

/* Events of wallet c (a held coin, or a stand-in) go to its handlers, after its manager's. */
static void _bce_coin_route(bce_coin_t *c, _bce_route_t *rt) {
    rt->first = c->manager ? _bce_manager_handlers(c->manager) : NULL;
    rt->instance = c;
    rt->currency = _bce_currencies[c->cur].name;
    rt->wallet = c->key;
    rt->accepted = _bce_currencies[c->cur].events;
    rt->dedup = NULL;
}

static int _bce_link_feed(void *owner, const char *text, size_t len, long long now);

/* A finished call of the link's round. */
static void _bce_link_collect(_bce_link_t *l, long long now) {
    _bce_run_t *run = l->run;
    _bce_rpc_t *rpc = &l->rpc;
    bce_coin_t *c = l->current;
    int ws = run->mode == _BCE_MODE_WS, r = rpc->result, ok = r == BCE_OK;
    l->current = NULL;
    if (c && !ok && run->take_error) run->take_error(c, rpc);
    if (ws && !run->catch_up) {         /* getbalance: only whether the daemon loaded the wallet */
        rpc->state = _BCE_RPC_IDLE;
        if (!ok) {
            _bce_log_call_failure(run->logger, "getbalance (loading the wallet)", r, rpc->ep->error);
            l->load_failed = 1;
        }
        if (_bce_rpc_fatal(rpc, r)) { run->fatal = r; return; }
        if ((r = _bce_wallet_tries(c, run->logger, rpc, r)) != BCE_OK) run->fatal = r;
        return;
    }
    if (c) {
        _bce_route_t rt;
        _bce_dedup_t dd;
        _bce_coin_route(c, &rt);
        if (ws) {
            memset(&dd, 0, sizeof dd);
            dd.wallet = &l->seen;
            dd.global = &l->gseen;
            dd.who = c;
            dd.logger = run->logger;
            dd.ws_open = _bce_ws_may_deliver(&l->ws) || l->hold.len > 0;
            dd.now = now;
            rt.dedup = &dd;
        }
        run->in_handler++;
        r = _bce_poll_collect(rpc, run->disp, &rt);
        run->in_handler--;
        if (ws && ok) _bce_seen_settle(&l->seen, c);
        if (r == BCE_OK) r = _bce_wallet_tries(c, run->logger, rpc, rpc->result);
    } else {
        r = BCE_OK;
    }
    rpc->state = _BCE_RPC_IDLE;
    if (r != BCE_OK) { run->fatal = r; return; }
    if (ws && !ok) {                    /* retried after BCE_CATCHUP_RETRY_MS; the held updates go now */
        l->load_failed = 1;
        if (l->hold.on) _bce_hold_release(&l->hold, l, _bce_link_feed, now);
    }
}

/* Collects a finished call and starts the calls that are due: a round over the link's
   wallets, one call at a time. Polling: every interval_ms. Websocket: a round at every
   connect (catch-up, or getbalance to load the wallets), then drains every
   drain_interval_ms, paced at drain_gap_ms per call. */
static void _bce_link_tick(_bce_link_t *l, long long now) {
    _bce_run_t *run = l->run;
    _bce_rpc_t *rpc = &l->rpc;
    int ws = run->mode == _BCE_MODE_WS;
    if (!l->active) return;
    if (ws) {
        if (!l->ws_ready) return;
        _bce_ws_tick(&l->ws, now);      /* a failed first connect or auth ended it in I/O: result says */
        if (l->ws.result != BCE_OK) { run->fatal = l->ws.result; return; }
    }
    if (rpc->state == _BCE_RPC_DONE || rpc->state == _BCE_RPC_FAILED) {
        _bce_link_collect(l, now);
        if (run->fatal) return;
    }
    if (ws && (!(run->catch_up || run->loading) || l->ws.state != _BCE_WS_OPEN)) return;
    while (rpc->state == _BCE_RPC_IDLE && !run->stop_requested
           && (l->in_round || (l->next_round >= 0 && now >= l->next_round))) {
        bce_coin_t *c;
        if (!l->in_round) {             /* a timed round: polling, or a drain (paced) */
            l->in_round = 1;
            l->cursor = 0;
            l->paced = ws && run->drain_gap_ms > 0 && !l->retry;
            l->next_call = now;
        }
        if (l->paced && now < l->next_call) break;
        if (!(c = _bce_link_next_wallet(l))) {
            l->in_round = 0;
            l->cursor = 0;
            l->next_round = !ws ? now + run->interval_ms : l->load_failed ? now + BCE_CATCHUP_RETRY_MS : !run->catch_up ? -1
                            : run->wsopts.drain_interval_ms > 0 ? now + run->wsopts.drain_interval_ms : -1;
            l->retry = l->load_failed;
            l->load_failed = 0;
            if (l->hold.on) _bce_hold_release(&l->hold, l, _bce_link_feed, now);
            break;
        }
        l->current = c;
        if (l->paced) l->next_call = now + run->drain_gap_ms;
        if (ws && run->catch_up) l->seen.mark = l->seen.pushes;
        if (_bce_rpc_begin(rpc, ws && !run->catch_up ? "getbalance" : "get_updates", NULL, 0, c->wallet_json, now) != BCE_OK) {
            _bce_log_call_failure(run->logger, ws && !run->catch_up ? "getbalance (loading the wallet)" : "get_updates",
                                  rpc->result, rpc->ep->error);
            rpc->state = _BCE_RPC_IDLE;
            l->current = NULL;
            if (ws) {
                l->load_failed = 1;
                if (l->hold.on) _bce_hold_release(&l->hold, l, _bce_link_feed, now);
            }
        }
    }
}

/* When the link needs a step at the latest (-1: never on its own). */
static long long _bce_link_deadline(const _bce_link_t *l) {
    const _bce_run_t *run = l->run;
    long long dl = -1;
    if (!l->active) return -1;
    if (_bce_rpc_busy(&l->rpc)) dl = _bce_rpc_deadline(&l->rpc);
    if (run->mode == _BCE_MODE_WS) {
        if (!l->ws_ready) return dl;
        dl = _bce_min_deadline(dl, _bce_ws_deadline(&l->ws));
        if (l->ws.state != _BCE_WS_OPEN || !(run->catch_up || run->loading)) return dl;
    }
    if (_bce_rpc_busy(&l->rpc)) return dl;
    return _bce_min_deadline(dl, l->in_round ? (l->paced ? l->next_call : 0) : l->next_round);
}

/* Ends the link's activity: a call in flight is abandoned (its connection closed), held
   messages are dropped (see "Order" in the manual). */
static void _bce_link_end(_bce_link_t *l) {
    if (l->ws_ready) {
        _bce_ws_stop(&l->ws);
        l->ws.result = BCE_OK;          /* not carried into a later run */
    }
    l->active = 0;
    if (!l->ready) return;
    if (_bce_rpc_busy(&l->rpc)) _bce_rpc_disconnect(&l->rpc);
    l->rpc.state = _BCE_RPC_IDLE;
    l->current = NULL;
    l->in_round = 0;
    l->hold.on = 0;
    l->hold.len = 0;
}

/* ---- the websocket's owner ---- */


/* The coin a connection callback reports: the coin, or the currency's stand-in coin. */
static void _bce_link_notify(_bce_link_t *l, int open, int code, const char *reason) {
    _bce_run_t *run = l->run;
    bce_coin_t *inst = l->solo ? l->solo : run->instance(run->m, l->cur, NULL);
    if (!inst) return;
    run->in_handler++;
    inst->in_handler++;             /* blocking calls on it are refused (BCE_ERR_STATE) */
    if (open) run->wsopts.on_connect(inst, _bce_currencies[l->cur].name, run->wsopts.user_data);
    else run->wsopts.on_disconnect(inst, code, reason, run->wsopts.user_data);
    inst->in_handler--;
    run->in_handler--;
}

static void _bce_link_ws_open(void *owner, long long now) {
    _bce_link_t *l = (_bce_link_t *)owner;
    _bce_run_t *run = l->run;
    _BCE_UNUSED(now);
    if (run->catch_up || run->loading) {    /* a round over every wallet, starting now; a call in
                                               flight is collected first, and its wallet asked again */
        l->in_round = 1;
        l->cursor = 0;
        l->paced = 0;
        l->load_failed = 0;
        if (run->catch_up && !run->wsopts.disable_catch_up_hold) l->hold.on = 1;   /* nothing to wait for when only loading */
    }
    if (run->wsopts.on_connect) _bce_link_notify(l, 1, 0, NULL);
}

static void _bce_link_ws_closed(void *owner, int code, const char *reason) {
    _bce_link_t *l = (_bce_link_t *)owner;
    if (l->run->wsopts.on_disconnect) _bce_link_notify(l, 0, code, reason);
}

static int _bce_link_ws_refused(void *owner, int status, const char *body, size_t len) {
    _bce_link_t *l = (_bce_link_t *)owner;
    return _bce_rpc_refused_upgrade(&l->ep, &l->run->disp->json, status, body, len);
}

/* Where a websocket message goes. A coin: to itself, unless it names another wallet (a daemon
   sends everything until it has read the coin's filter). A manager: to the held coin of the
   message's currency and wallet, or to that currency's stand-in coin. */
static int _bce_link_route(void *owner, const char *cur, size_t cur_len, const char *wallet, _bce_route_t *rt,
                           _bce_dedup_t *dd, long long now) {
    _bce_link_t *l = (_bce_link_t *)owner, *to = l;
    _bce_run_t *run = l->run;
    bce_coin_t *c;
    if (l->solo) {
        c = l->solo;
        if (c->key && wallet && strcmp(wallet, c->key) != 0) {
            _bce_log(run->logger, BCE_LOG_DEBUG, "websocket event for another wallet ignored");
            return BCE_ERR_STATE;
        }
    } else {
        int r = run->route(run->m, cur, cur_len, wallet, &c, &to);
        if (r != BCE_OK) return r;
    }
    _bce_coin_route(c, rt);
    rt->wallet = wallet;
    if (run->catch_up) {
        if (!to->active) to = l;        /* a currency outside this run: its records are not kept */
        dd->wallet = wallet && !c->borrowed && c->key && strcmp(wallet, c->key) == 0 ? &to->seen : NULL;
        dd->global = &to->gseen;
        dd->who = c;
        dd->logger = run->logger;
        dd->from_ws = 1;
        dd->now = now;
        rt->dedup = dd;
    }
    return BCE_OK;
}

static int _bce_link_feed(void *owner, const char *text, size_t len, long long now) {
    _bce_link_t *l = (_bce_link_t *)owner;
    _bce_run_t *run = l->run;
    int bad;
    run->in_handler++;
    bad = _bce_ws_deliver(run->disp, text, len, l, _bce_link_route, now);
    run->in_handler--;
    if (run->unborrow) run->unborrow(run->m);
    return bad;
}

/* The websocket's on_text: nonzero when the text is not valid UTF-8 (checked here for what is
   held, by the delivery for the rest: text that is not, never JSON, is refused there). */
static int _bce_link_ws_text(void *owner, const char *text, size_t len, long long now) {
    _bce_link_t *l = (_bce_link_t *)owner;
    if (l->hold.on && _bce_utf8_valid((const unsigned char *)text, len)) {
        if (_bce_hold_add(&l->hold, l->run->alloc, text, len) == BCE_OK) return 0;
        _bce_hold_log_full(l->run->logger);
        _bce_hold_release(&l->hold, l, _bce_link_feed, now);
    }
    return _bce_link_feed(l, text, len, now);
}

/* The link's websocket, made on first use; subscribe: the filter sent after every connect. */
_BCE_OUTLINE int _bce_link_ws(_bce_link_t *l, const char *subscribe_key) {
    if (l->ws_ready) return BCE_OK;
    _bce_ws_init(&l->ws, &l->ep);
    if (subscribe_key && !(l->ws.subscribe = _bce_subscribe_json(l->run->alloc, subscribe_key))) return BCE_ERR_NOMEM;
    l->ws.owner = l;
    l->ws.on_open = _bce_link_ws_open;
    l->ws.on_text = _bce_link_ws_text;
    l->ws.on_closed = _bce_link_ws_closed;
    l->ws.on_refused = _bce_link_ws_refused;
    l->ws.stop = &l->run->stop_requested;
    l->ws_ready = 1;
    return BCE_OK;
}

/* ---- the run: one step, one descriptor list, one deadline over its links ---- */

/* Starts an activity: polling every interval_ms (0: the default), or the websocket (wsopts
   filled). */
static int _bce_run_begin(_bce_run_t *run, int mode, int interval_ms, const bce_ws_opts_t *opts) {
    if (_bce_wake_open(run->wake) != BCE_OK) return BCE_ERR_NOMEM;
    _bce_wake_drain(run->wake[0]);
    run->interval_ms = interval_ms ? interval_ms : _BCE_DEFAULT_POLL_INTERVAL_MS;
    if (mode == _BCE_MODE_WS) {         /* the websocket activity's options, defaults filled */
        if (opts) run->wsopts = *opts;
        else memset(&run->wsopts, 0, sizeof run->wsopts);
        _bce_ws_defaults(&run->wsopts);
        run->catch_up = !run->wsopts.disable_catch_up;
        run->loading = run->wsopts.disable_catch_up && !run->wsopts.disable_wallet_load;
        int r = run->wsopts.drain_rate;     /* whole milliseconds: above 1000 the same as 1000 */
        run->drain_gap_ms = r > 0 ? 1000 / r + (1000 % r != 0) : 0;
    }
    run->stop_requested = 0;
    run->fatal = BCE_OK;
    run->mode = mode;
    return BCE_OK;
}

/* The wallet records' bounds follow the wallets the link serves (also when one is added while
   it runs). */
static void _bce_link_bounds(_bce_link_t *l) {
    size_t w = _bce_link_wallets(l);
    l->seen.max = l->run->catch_up ? _bce_seen_bound(l->run->wsopts.dedup_entries, w) : 0;
    l->seen.qmax = l->run->catch_up ? _bce_seen_bound(BCE_DEDUP_TWINS, w) : 0;
}

/* Makes the link part of the activity that run begins. Every run counts wallet errors afresh. */
static void _bce_link_start(_bce_link_t *l, long long first_round) {
    size_t k;
    if (l->solo) l->solo->wallet_errors = 0;
    for (k = 0; k < l->nslots; k++)
        if (l->slots[k]) l->slots[k]->wallet_errors = 0;
    l->active = 1;
    l->cursor = 0;
    l->in_round = 0;
    l->paced = 0;
    l->load_failed = 0;
    l->current = NULL;
    l->next_round = first_round;
    l->retry = 0;
    _bce_link_bounds(l);
}

static void _bce_run_end(_bce_run_t *run) {
    int i;
    for (i = 0; i < run->nlinks; i++) _bce_link_end(&run->links[i]);
    run->mode = _BCE_MODE_NONE;
}

/* fds/cap checked by the caller */
static int _bce_run_fds(_bce_run_t *run, bce_fd_t *fds, int cap) {
    int i, n = 0;
    if (run->mode == _BCE_MODE_NONE) return 0;
    for (i = 0; i < run->nlinks; i++) {
        _bce_link_t *l = &run->links[i];
        if (!l->active) continue;
        if (run->mode == _BCE_MODE_WS && l->ws_ready) n = _bce_fd_add(fds, cap, n, l->ws.conn.fd, _bce_ws_events(&l->ws));
        if (l->ready && _bce_rpc_busy(&l->rpc)) n = _bce_fd_add(fds, cap, n, l->rpc.conn.fd, _bce_rpc_events(&l->rpc));
    }
    return _bce_fd_add(fds, cap, n, run->wake[0], BCE_WANT_READ);
}

static long long _bce_run_deadline(const _bce_run_t *run) {
    long long dl = -1;
    int i;
    if (run->mode == _BCE_MODE_NONE) return -1;
    for (i = 0; i < run->nlinks; i++) dl = _bce_min_deadline(dl, _bce_link_deadline(&run->links[i]));
    return dl;
}

static int _bce_run_timeout_ms(const _bce_run_t *run) {
    if (run->stop_requested && run->mode != _BCE_MODE_NONE) return 0;
#ifdef BCE_USE_LWIP
    return _bce_wait_ms(_bce_run_deadline(run), _bce_now_ms(), BCE_LWIP_WAKE_MS);    /* no wake-up descriptor */
#else
    return _bce_wait_ms(_bce_run_deadline(run), _bce_now_ms(), -1);
#endif
}

/* One step: advance every link, wait (at most timeout_ms) for their descriptors, do the I/O
   that is ready, advance them again. 1: running; 0: stopped; < 0: what ended the run. */
static int _bce_run_step(_bce_run_t *run, int timeout_ms) {
    struct pollfd pf[2 * _BCE_NCUR + 1];
    _bce_link_t *owner[2 * _BCE_NCUR + 1];
    int kind[2 * _BCE_NCUR + 1];
    long long now;
    size_t n = 0, k;
    int i;
    if (run->mode == _BCE_MODE_NONE) return 0;
    now = _bce_now_ms();
    for (i = 0; i < run->nlinks && !run->stop_requested && !run->fatal; i++) _bce_link_tick(&run->links[i], now);
    if (!run->stop_requested && !run->fatal) {
        for (i = 0; i < run->nlinks; i++) {
            _bce_link_t *l = &run->links[i];
            int ev;
            if (!l->active) continue;
            if (run->mode == _BCE_MODE_WS && l->ws_ready && (ev = _bce_ws_events(&l->ws)) != 0 && l->ws.conn.fd >= 0) {
                pf[n].fd = l->ws.conn.fd;
                pf[n].events = _bce_poll_events(ev);
                pf[n].revents = 0;
                owner[n] = l;
                kind[n++] = 1;
            }
            if (l->ready && _bce_rpc_busy(&l->rpc)) {
                pf[n].fd = l->rpc.conn.fd;
                pf[n].events = _bce_poll_events(_bce_rpc_events(&l->rpc));
                pf[n].revents = 0;
                owner[n] = l;
                kind[n++] = 0;
            }
        }
        pf[n].fd = run->wake[0];
        pf[n].events = POLLIN;
        pf[n].revents = 0;
        owner[n] = NULL;
        kind[n++] = -1;
        _bce_poll(pf, n, _bce_wait_ms(_bce_run_deadline(run), now, timeout_ms));
        _bce_wake_drain(run->wake[0]);
        /* per link the websocket first: an update there is matched before its get_updates twin;
           each read looks at a fresh clock */
        for (k = 0; k + 1 < n && !run->stop_requested; k++) {
            _bce_link_t *l = owner[k];
            if (kind[k] == 1 && (pf[k].revents || l->ws.more)) _bce_ws_io(&l->ws, pf[k].revents, _bce_now_ms());
            else if (kind[k] == 0 && _bce_rpc_busy(&l->rpc)) _bce_rpc_io(&l->rpc, pf[k].revents, _bce_now_ms());
        }
        now = _bce_now_ms();
        for (i = 0; i < run->nlinks && !run->stop_requested && !run->fatal; i++) _bce_link_tick(&run->links[i], now);
    }
    if (run->fatal) {
        int r = run->fatal;
        _bce_run_end(run);
        return r;
    }
    if (run->stop_requested) {
        _bce_run_end(run);
        return 0;
    }
    return 1;
}

static void _bce_run_stop(_bce_run_t *run) {
    run->stop_requested = 1;
    _bce_wake(run->wake[1]);
}

// >>solo ===================================================================================
/* A coin's own runtime (one run, one link) and the coin's public functions over it. */

struct _bce_solo_t {
    _bce_run_t run;
    _bce_link_t link;
    _bce_disp_t disp;
};

/* Makes the coin's run and link (a manager's wallet: on the first call that needs them). */
static int _bce_coin_solo(bce_coin_t *c) {
    _bce_solo_t *s;
    int r;
    if (c->solo) return BCE_OK;
    s = (_bce_solo_t *)_bce_malloc(&c->desc.allocator, sizeof *s);
    if (!s) return BCE_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    s->run.logger = &c->desc.logger;
    s->run.alloc = &c->desc.allocator;
    s->run.disp = &s->disp;
    s->run.links = &s->link;
    s->run.nlinks = 1;
    s->run.wake[0] = s->run.wake[1] = -1;
    s->link.run = &s->run;
    s->link.solo = c;
    s->link.cur = c->cur;
    _bce_disp_init(&s->disp, &c->desc.logger, &c->desc.allocator, c->desc.limits.max_json_tokens,
                   c->desc.limits.max_json_depth);
    r = _bce_link_init(&s->link, &s->run, &c->desc, c->last_error, sizeof c->last_error);
    if (r != BCE_OK) {
        _bce_disp_release(&s->disp);
        _bce_mfree(&c->desc.allocator, s);
        return r;
    }
    c->solo = s;
    return BCE_OK;
}

static void _bce_solo_free(bce_coin_t *c) {
    _bce_solo_t *s = c->solo;
    _bce_link_release(&s->link);
    _bce_close_fd(&s->run.wake[0]);
    _bce_close_fd(&s->run.wake[1]);
    _bce_disp_release(&s->disp);
    _bce_mfree(&c->desc.allocator, s);
    c->solo = NULL;
}

_BCE_DEF bce_coin_t *bce_coin_create(const bce_coin_desc_t *desc) {
    bce_coin_desc_t d;
    bce_logger_t lg;
    bce_coin_t *c;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    lg = d.logger;
    _bce_logger_defaults(&lg);
    if (_bce_check_desc(&d, &lg) != BCE_OK) return NULL;
    _bce_warn_colon_pw(&d, &lg);
    if (!(c = _bce_coin_alloc(&d))) return NULL;
    if (_bce_coin_solo(c) != BCE_OK) {
        _bce_coin_free(c);
        return NULL;
    }
    return c;
}

_BCE_DEF void bce_coin_destroy(bce_coin_t *coin) {
    if (!coin) return;
    if (coin->manager) {
        _bce_log(&coin->desc.logger, BCE_LOG_ERROR, "bce_coin_destroy: this coin belongs to a manager; "
                                                    "bce_manager_destroy frees it");
        return;
    }
    if (coin->in_handler) {
        _bce_log(&coin->desc.logger, BCE_LOG_ERROR, "bce_coin_destroy: not allowed inside a handler");
        return;
    }
    _bce_coin_free(coin);
}

_BCE_DEF const char *bce_coin_currency(const bce_coin_t *coin) {
    return coin ? _bce_currencies[coin->cur].name : NULL;
}
_BCE_DEF const char *bce_coin_xpub(const bce_coin_t *coin) { return coin ? coin->xpub : NULL; }
_BCE_DEF const char *bce_coin_wallet_key(const bce_coin_t *coin) { return coin ? coin->key : NULL; }
_BCE_DEF const char *bce_coin_url(const bce_coin_t *coin) { return coin ? coin->desc.url : NULL; }
_BCE_DEF const char *bce_coin_last_error(const bce_coin_t *coin) { return coin ? coin->last_error : ""; }

_BCE_DEF int bce_on(bce_coin_t *coin, const char *events, bce_handler_fn fn, void *user_data) {
    if (!coin) return BCE_ERR_INVALID_ARG;
    return _bce_set_handlers(coin->handlers, events, fn, user_data);
}

_BCE_DEF int bce_add_event_handler(bce_coin_t *coin, const char *events, bce_handler_fn fn,
                                   void *user_data) {
    return bce_on(coin, events, fn, user_data);
}

_BCE_DEF int bce_process_updates(bce_coin_t *coin, const char *json, size_t len) {
    _bce_route_t rt;
    int r;
    if (!coin) return BCE_ERR_INVALID_ARG;
    if (coin->in_handler) return BCE_ERR_STATE;
    if ((r = _bce_coin_solo(coin)) != BCE_OK) return r;
    _bce_coin_route(coin, &rt);
    return _bce_dispatch_array(&coin->solo->disp, &rt, json, len);
}

/* ---- JSON-RPC ---- */

/* Runs the call begun on the coin's own client to its end; bce_stop ends it. */
static int _bce_coin_call(bce_coin_t *coin, int r) {
    _bce_solo_t *s = coin->solo;
    if (r != BCE_OK) { s->link.rpc.state = _BCE_RPC_IDLE; return r; }
    _bce_rpc_wait(&s->link.rpc, s->run.wake[0], &s->run.stop_requested);
    r = s->link.rpc.result;
    s->link.rpc.state = _BCE_RPC_IDLE;
    if (r != BCE_OK && coin->manager) _bce_coin_take_error(coin, &s->link.rpc);
    return r;
}

/* Readies the coin's own client for a blocking call: BCE_OK, or why not. */
static int _bce_coin_call_ready(bce_coin_t *coin) {
    int r;
    if (coin->in_handler) return BCE_ERR_STATE;
    if ((r = _bce_coin_solo(coin)) != BCE_OK) return r;
    if (_bce_rpc_busy(&coin->solo->link.rpc)) return BCE_ERR_STATE;
    /* bce_stop during the call ends it; a stop left over from an activity that ended is old */
    if (coin->solo->run.mode == _BCE_MODE_NONE) coin->solo->run.stop_requested = 0;
    if (_bce_wake_open(coin->solo->run.wake) == BCE_OK) _bce_wake_drain(coin->solo->run.wake[0]);
    return BCE_OK;
}

_BCE_DEF int bce_rpc(bce_coin_t *coin, const char *method, const char *params_json,
                     char *out, size_t out_cap, size_t *out_len) {
    _bce_rpc_t *rpc;
    size_t plen = 0;
    int r;
    if (!coin || !method || !*method || (!out && out_cap)) return BCE_ERR_INVALID_ARG;
    if ((r = _bce_coin_call_ready(coin)) != BCE_OK) return r;
    rpc = &coin->solo->link.rpc;
    if (params_json) {
        size_t i = 0;
        plen = strlen(params_json);
        if (bce_json_validate(params_json, plen, 0, NULL) != BCE_OK) {
            _bce_rpc_error(rpc, "bce_rpc: params_json is not valid JSON", NULL);
            return BCE_ERR_INVALID_ARG;
        }
        while (_bce_isws((unsigned char)params_json[i])) i++;
        if (params_json[i] != '[') {
            _bce_rpc_error(rpc, "bce_rpc: params_json must be a JSON array", NULL);
            return BCE_ERR_INVALID_ARG;
        }
    }
    r = _bce_coin_call(coin, _bce_rpc_begin(rpc, method, params_json, plen, coin->wallet_json, _bce_now_ms()));
    if (r != BCE_OK) return r;
    if (out_len) *out_len = rpc->result_len + 1;
    if (!out || out_cap < rpc->result_len + 1) return BCE_ERR_LIMIT;
    if (rpc->result_json && rpc->result_len) memcpy(out, rpc->result_json, rpc->result_len);
    out[rpc->result_len] = 0;
    if (out_len) *out_len = rpc->result_len;
    return BCE_OK;
}

/* A coin's own calls keep their error in its client; a manager's wallet keeps a copy of the
   last error of any call made for it (the manager's or its own). */
_BCE_DEF int bce_coin_last_rpc_error(const bce_coin_t *coin, const char **message) {
    const char *msg = coin && coin->manager ? coin->err_msg : coin && coin->solo ? coin->solo->link.rpc.err_msg : NULL;
    if (message) *message = msg ? msg : "";
    return !coin ? 0 : coin->manager ? coin->err_code : coin->solo ? coin->solo->link.rpc.err_code : 0;
}

/* The kept /spec table: records of code (decimal text), NUL, name, NUL, docstring, NUL. */
#define _BCE_SPEC_MAX 16384
#define _BCE_SPEC_NAME_MAX 63
#define _BCE_SPEC_DOC_MAX 255

/* Appends the string token t (decoded, printable ASCII only, at most max bytes) and a NUL. */
static size_t _bce_spec_put(char *out, size_t o, const char *json, const bce_json_token_t *t, size_t max) {
    char tmp[_BCE_SPEC_DOC_MAX + 1];
    size_t n = 0, i;
    if (t && t->type == BCE_JSON_STRING && bce_json_string(json, t, tmp, sizeof tmp, &n) != BCE_OK) {
        n = max;                        /* too long to decode here: its first bytes as written */
        memcpy(tmp, json + t->start, n);
    }
    if (n > max) n = max;
    for (i = 0; i < n; i++) {
        char ch = '?';
        if ((unsigned char)tmp[i] >= 0x20 && (unsigned char)tmp[i] < 0x7f) ch = tmp[i];
        out[o++] = ch;
    }
    out[o++] = 0;
    return o;
}

/* Fetches /spec and keeps its exceptions table in coin->spec (the coin's client is ready). */
static int _bce_spec_fetch(bce_coin_t *coin) {
    _bce_rpc_t *rpc = &coin->solo->link.rpc;
    bce_json_t *p = &coin->solo->disp.json;
    const char *body;
    uint32_t ex, k, i;
    size_t o = 0;
    char *buf;
    int r = _bce_coin_call(coin, _bce_rpc_begin_spec(rpc, _bce_now_ms()));
    rpc->spec_get = 0;
    if (r != BCE_OK) return r;
    body = rpc->result_body;
    if (!(buf = (char *)_bce_malloc(&coin->desc.allocator, _BCE_SPEC_MAX))) return BCE_ERR_NOMEM;
    ex = bce_json_find(body, p->tokens, 0, "exceptions");
    if (ex && p->tokens[ex].type == BCE_JSON_OBJECT) {
        for (i = 0, k = ex + 1; i < p->tokens[ex].size; i++, k = p->tokens[k + 1].next) {
            const bce_json_token_t *key = &p->tokens[k];
            uint32_t v = k + 1, nm, dc;
            if (p->tokens[v].type != BCE_JSON_OBJECT || key->end - key->start > 11) continue;
            if (o + 12 + _BCE_SPEC_NAME_MAX + _BCE_SPEC_DOC_MAX + 3 > _BCE_SPEC_MAX) break;
            nm = bce_json_find(body, p->tokens, v, "exc_name");
            dc = bce_json_find(body, p->tokens, v, "docstring");
            o = _bce_spec_put(buf, o, body, key, 11);
            o = _bce_spec_put(buf, o, body, nm ? &p->tokens[nm] : NULL, _BCE_SPEC_NAME_MAX);
            o = _bce_spec_put(buf, o, body, dc ? &p->tokens[dc] : NULL, _BCE_SPEC_DOC_MAX);
        }
    }
    coin->spec = (char *)_bce_malloc(&coin->desc.allocator, o);   /* only what it holds */
    if (coin->spec) memcpy(coin->spec, buf, o);
    _bce_mfree(&coin->desc.allocator, buf);
    coin->spec_len = o;
    return coin->spec ? BCE_OK : BCE_ERR_NOMEM;
}

static int _bce_copy_out(char *out, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (!out) return BCE_OK;
    if (n + 1 > cap) return BCE_ERR_LIMIT;
    memcpy(out, s, n + 1);
    return BCE_OK;
}

_BCE_DEF int bce_rpc_error_name(bce_coin_t *coin, int code, char *name, size_t name_cap,
                                char *docstring, size_t doc_cap) {
    _bce_msg_t want;
    const char *nm = NULL, *dc = "";
    size_t o;
    int r;
    if (!coin || !name || (!docstring && doc_cap)) return BCE_ERR_INVALID_ARG;
    if (!coin->spec) {
        if ((r = _bce_coin_call_ready(coin)) != BCE_OK) return r;
        if ((r = _bce_spec_fetch(coin)) != BCE_OK) return r;
    } else if (coin->in_handler || (coin->solo && _bce_rpc_busy(&coin->solo->link.rpc))) {
        return BCE_ERR_STATE;
    }
    want.len = 0;
    _bce_msg_long(&want, code);
    for (o = 0; o < coin->spec_len && !nm;) {
        const char *c = coin->spec + o, *n = c + strlen(c) + 1, *d = n + strlen(n) + 1;
        if (strcmp(c, want.buf) == 0) { nm = n; dc = d; }
        o = (size_t)(d + strlen(d) + 1 - coin->spec);
    }
    if (!nm && code == -32600) { nm = "UnauthorizedError"; dc = "Unauthorized"; }   /* the SDK's fallback */
    if (!nm) return BCE_ERR_UNSUPPORTED;
    if (_bce_copy_out(name, name_cap, nm) != BCE_OK) return BCE_ERR_LIMIT;
    if (doc_cap && _bce_copy_out(docstring, doc_cap, dc) != BCE_OK) return BCE_ERR_LIMIT;
    return BCE_OK;
}

/* ---- a coin's activities: thin over its run ---- */

_BCE_DEF int bce_coin_start_polling(bce_coin_t *coin, int interval_ms) {
    _bce_solo_t *s;
    int r;
    if (!coin || interval_ms < 0) return BCE_ERR_INVALID_ARG;
    if (coin->in_handler) return BCE_ERR_STATE;
    if (!coin->key) {
        _bce_log(&coin->desc.logger, BCE_LOG_ERROR, "polling needs a wallet: set xpub in the desc");
        return BCE_ERR_INVALID_ARG;
    }
    if ((r = _bce_coin_solo(coin)) != BCE_OK) return r;
    s = coin->solo;
    if (s->run.mode != _BCE_MODE_NONE || _bce_rpc_busy(&s->link.rpc)) return BCE_ERR_STATE;
    if (_bce_run_begin(&s->run, _BCE_MODE_POLL, interval_ms, NULL) != BCE_OK) return BCE_ERR_NOMEM;
    _bce_link_start(&s->link, _bce_now_ms());
    return BCE_OK;
}

_BCE_DEF int bce_coin_begin_websocket(bce_coin_t *coin, const bce_ws_opts_t *opts) {
    _bce_solo_t *s;
    const char *why;
    int r;
    if (!coin) return BCE_ERR_INVALID_ARG;
    if (coin->in_handler) return BCE_ERR_STATE;
    if ((r = _bce_coin_solo(coin)) != BCE_OK) return r;
    s = coin->solo;
    if (s->run.mode != _BCE_MODE_NONE || _bce_rpc_busy(&s->link.rpc)) return BCE_ERR_STATE;
    if (_bce_ws_opts_bad(opts)) return BCE_ERR_INVALID_ARG;
    if ((why = _bce_ws_limits_bad(opts, s->link.ep.max_header)) != NULL) {
        _bce_rpc_error(&s->link.rpc, why, NULL);
        _bce_log(&coin->desc.logger, BCE_LOG_ERROR, coin->last_error);
        return BCE_ERR_INVALID_ARG;
    }
    if (_bce_link_ws(&s->link, coin->key) != BCE_OK) return BCE_ERR_NOMEM;
    if (_bce_run_begin(&s->run, _BCE_MODE_WS, 0, opts) != BCE_OK) return BCE_ERR_NOMEM;
    if (!coin->key) s->run.catch_up = s->run.loading = 0;      /* no wallet to catch up or load */
    _bce_link_start(&s->link, -1);
    _bce_ws_start(&s->link.ws, &s->run.wsopts, _bce_now_ms());
    return BCE_OK;
}

_BCE_DEF int bce_start_websocket(bce_coin_t *coin, const bce_ws_opts_t *opts) {
    int r = bce_coin_begin_websocket(coin, opts);
    if (r != BCE_OK) return r;
    while ((r = bce_coin_step(coin, -1)) > 0) {}
    return r;
}

_BCE_DEF int bce_coin_fds(bce_coin_t *coin, bce_fd_t *fds, int cap) {
    if (!coin || cap < 0 || (!fds && cap)) return BCE_ERR_INVALID_ARG;
    return coin->solo ? _bce_run_fds(&coin->solo->run, fds, cap) : 0;
}

_BCE_DEF int bce_coin_timeout_ms(bce_coin_t *coin) {
    if (!coin || !coin->solo) return -1;
    return _bce_run_timeout_ms(&coin->solo->run);
}

_BCE_DEF int bce_coin_step(bce_coin_t *coin, int timeout_ms) {
    if (!coin) return BCE_ERR_INVALID_ARG;
    if (coin->in_handler) return BCE_ERR_STATE;
    return coin->solo ? _bce_run_step(&coin->solo->run, timeout_ms) : 0;
}

_BCE_DEF int bce_poll_updates(bce_coin_t *coin, int interval_ms) {
    int r = bce_coin_start_polling(coin, interval_ms);
    if (r != BCE_OK) return r;
    while ((r = bce_coin_step(coin, -1)) > 0) {}
    return r;
}

_BCE_DEF void bce_stop(bce_coin_t *coin) {
    if (!coin || !coin->solo) return;
    _bce_run_stop(&coin->solo->run);
}

// >>manager ================================================================================

typedef struct _bce_mconf_t {   /* a currency's settings in a manager */
    bce_coin_desc_t params;     /* owned copies of the strings */
    int configured;             /* bce_manager_configure was called */
    bce_coin_t *spare;          /* stand-in instance for events of wallets not held */
    char last_error[BCE_LOG_LINE_MAX];  /* the currency link's failures */
} _bce_mconf_t;

struct bce_manager_t {
    _bce_run_t run;
    bce_logger_t logger;
    bce_allocator_t allocator;
    size_t total_wallets;
    uint32_t max_wallets;
    _bce_handler_t handlers[_BCE_EV_COUNT];
    _bce_link_t cur[_BCE_NCUR];         /* one link per currency; its wallets are the held coins */
    _bce_mconf_t conf[_BCE_NCUR];
    _bce_disp_t disp;
};

static const _bce_handler_t *_bce_manager_handlers(bce_manager_t *m) { return m->handlers; }
static bce_coin_t *_bce_manager_instance(bce_manager_t *m, int cur, const char *wallet);
static void _bce_manager_unborrow(bce_manager_t *m);
static int _bce_manager_route(bce_manager_t *m, const char *cur, size_t cur_len, const char *wallet,
                              bce_coin_t **inst, _bce_link_t **to);

_BCE_DEF bce_manager_t *bce_manager_create(const bce_manager_desc_t *desc) {
    bce_manager_t *m;
    bce_manager_desc_t d;
    int i;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    _bce_manager_desc_defaults(&d);
    if ((d.allocator.alloc == NULL) != (d.allocator.free == NULL)) {
        _bce_log(&d.logger, BCE_LOG_ERROR, "allocator: set both alloc and free, or neither");
        return NULL;
    }
    if (d.limits.max_json_depth < 0 || d.limits.max_json_depth > BCE_JSON_MAX_DEPTH_LIMIT) {
        _bce_log(&d.logger, BCE_LOG_ERROR, "limits.max_json_depth out of range");
        return NULL;
    }
    m = (bce_manager_t *)_bce_malloc(&d.allocator, sizeof *m);
    if (!m) return NULL;
    memset(m, 0, sizeof *m);
    m->logger = d.logger;
    m->allocator = d.allocator;
    m->max_wallets = d.limits.max_wallets;
    m->run.logger = &m->logger;
    m->run.alloc = &m->allocator;
    m->run.disp = &m->disp;
    m->run.m = m;
    m->run.instance = _bce_manager_instance;
    m->run.unborrow = _bce_manager_unborrow;
    m->run.route = _bce_manager_route;
    m->run.take_error = _bce_coin_take_error;
    m->run.links = m->cur;
    m->run.nlinks = _BCE_NCUR;
    m->run.wake[0] = m->run.wake[1] = -1;
    for (i = 0; i < _BCE_NCUR; i++) {
        m->cur[i].run = &m->run;
        m->cur[i].cur = i;
    }
    _bce_disp_init(&m->disp, &m->logger, &m->allocator, d.limits.max_json_tokens, d.limits.max_json_depth);
    return m;
}

static void _bce_params_free(bce_manager_t *m, bce_coin_desc_t *p) {
    size_t k;
    for (k = 0; k < sizeof _bce_desc_strings / sizeof _bce_desc_strings[0]; k++)    /* wiped: the password */
        _bce_free_secret(&m->allocator, (char *)(uintptr_t)*_BCE_DESC_STR(p, k));
    memset(p, 0, sizeof *p);
}

/* Drops what the manager built from a currency's settings: its link's connections, their TLS
   configuration and the stand-in coin. The next start builds them again. */
static void _bce_mcur_drop_clients(bce_manager_t *m, int cur) {
    _bce_mconf_t *mc = &m->conf[cur];
    _bce_link_release(&m->cur[cur]);
    if (mc->spare) {
        mc->spare->xpub = mc->spare->key = NULL;
        _bce_coin_free(mc->spare);
        mc->spare = NULL;
    }
}

_BCE_DEF void bce_manager_destroy(bce_manager_t *m) {
    int i;
    size_t k;
    bce_allocator_t a;
    if (!m) return;
    if (m->run.in_handler) {
        _bce_log(&m->logger, BCE_LOG_ERROR, "bce_manager_destroy: not allowed inside a handler");
        return;
    }
    for (i = 0; i < _BCE_NCUR; i++) {
        _bce_link_t *l = &m->cur[i];
        for (k = 0; k < l->nslots; k++)
            if (l->slots[k]) _bce_coin_free(l->slots[k]);
        _bce_mfree(&m->allocator, l->slots);
        _bce_mcur_drop_clients(m, i);                   /* the stand-in coin too */
        _bce_params_free(m, &m->conf[i].params);
    }
    _bce_close_fd(&m->run.wake[0]);
    _bce_close_fd(&m->run.wake[1]);
    _bce_disp_release(&m->disp);
    a = m->allocator;
    _bce_mfree(&a, m);
}

_BCE_DEF int bce_manager_configure(bce_manager_t *m, const char *currency, const bce_coin_desc_t *params) {
    int cur, nomem = 0;
    size_t k;
    bce_coin_desc_t p, old;
    const bce_allocator_t *a;
    if (!m || !currency) return BCE_ERR_INVALID_ARG;
    if (m->run.in_handler || m->run.mode != _BCE_MODE_NONE) {
        _bce_log(&m->logger, BCE_LOG_ERROR, "bce_manager_configure: not while the manager runs or inside a "
                                            "handler (stop it first; the settings apply at the next start)");
        return BCE_ERR_STATE;
    }
    if ((cur = _bce_currency_or_log(&m->logger, currency)) < 0) return BCE_ERR_UNSUPPORTED;
    if (params) p = *params;
    else memset(&p, 0, sizeof p);
    p.currency = _bce_currencies[cur].name;
    p.xpub = NULL;
    if (!p.logger.fn && !p.logger.level) p.logger = m->logger;
    if (!p.allocator.alloc) p.allocator = m->allocator;
    if (_bce_check_desc(&p, &m->logger) != BCE_OK) return BCE_ERR_INVALID_ARG;
    {
        bce_logger_t lg = p.logger;
        _bce_logger_defaults(&lg);
        _bce_warn_colon_pw(&p, &lg);
    }
    a = &m->allocator;
    old = m->conf[cur].params;
    for (k = 0; k < sizeof _bce_desc_strings / sizeof _bce_desc_strings[0]; k++) {   /* xpub is NULL */
        const char **str = _BCE_DESC_STR(&p, k);
        if (*str && !(*str = _bce_strdup(a, *str))) nomem = 1;
    }
    if (nomem) {
        _bce_params_free(m, &p);
        return BCE_ERR_NOMEM;
    }
    _bce_mcur_drop_clients(m, cur);     /* they may point into the old settings */
    _bce_params_free(m, &old);
    m->conf[cur].params = p;
    m->conf[cur].configured = 1;
    return BCE_OK;
}

/* The desc for a new coin of currency cur: the configured params or the manager's defaults. */
static bce_coin_desc_t _bce_manager_desc(bce_manager_t *m, int cur, const char *xpub) {
    bce_coin_desc_t d;
    if (m->conf[cur].configured) d = m->conf[cur].params;
    else {
        memset(&d, 0, sizeof d);
        d.logger = m->logger;
        d.allocator = m->allocator;
    }
    d.currency = _bce_currencies[cur].name;
    d.xpub = xpub;
    return d;
}

_BCE_DEF bce_coin_t *bce_manager_wallet(bce_manager_t *m, const char *currency, const char *xpub) {
    int cur;
    _bce_link_t *l;
    bce_coin_t *c;
    size_t k;
    if (!m || !xpub || (cur = _bce_currency_find(currency)) < 0) return NULL;
    l = &m->cur[cur];
    if ((c = _bce_link_find(l, xpub)) != NULL) return c;
    for (k = 0; k < l->nslots; k++)     /* token wallets are keyed by xpub_contract */
        if (l->slots[k] && strcmp(l->slots[k]->xpub, xpub) == 0) return l->slots[k];
    return NULL;
}

_BCE_DEF bce_coin_t *bce_manager_add_wallet(bce_manager_t *m, const char *currency, const char *xpub) {
    int cur;
    bce_coin_t *c, *old;
    bce_coin_desc_t d;
    if (!m || !xpub || !*xpub) return NULL;
    if ((cur = _bce_currency_or_log(&m->logger, currency)) < 0) return NULL;
    d = _bce_manager_desc(m, cur, xpub);
    if (!(c = _bce_coin_alloc(&d))) return NULL;
    if ((old = _bce_link_find(&m->cur[cur], c->key)) != NULL) {
        _bce_coin_free(c);
        return old;
    }
    if (m->total_wallets >= m->max_wallets) {
        _bce_log(&m->logger, BCE_LOG_ERROR, "bce_manager_add_wallet: limits.max_wallets reached");
        _bce_coin_free(c);
        return NULL;
    }
    if (_bce_link_put(&m->cur[cur], c) != BCE_OK) { _bce_coin_free(c); return NULL; }
    if (m->cur[cur].active) _bce_link_bounds(&m->cur[cur]);
    m->total_wallets++;
    c->manager = m;
    return c;
}

_BCE_DEF int bce_manager_add_wallets(bce_manager_t *m, const char *currency,
                                     const char *const *xpubs, size_t count) {
    size_t i, held = 0;
    if (!m || (!xpubs && count)) return BCE_ERR_INVALID_ARG;
    if (_bce_currency_find(currency) < 0) return BCE_ERR_UNSUPPORTED;
    for (i = 0; i < count; i++)
        if (bce_manager_add_wallet(m, currency, xpubs[i])) held++;
    if (count && !held) return BCE_ERR_INVALID_ARG;
    return held > INT_MAX ? INT_MAX : (int)held;
}

_BCE_DEF int bce_manager_on(bce_manager_t *m, const char *events, bce_handler_fn fn, void *user_data) {
    if (!m) return BCE_ERR_INVALID_ARG;
    return _bce_set_handlers(m->handlers, events, fn, user_data);
}

_BCE_DEF int bce_manager_add_event_handler(bce_manager_t *m, const char *events, bce_handler_fn fn,
                                           void *user_data) {
    return bce_manager_on(m, events, fn, user_data);
}

/* The instance for events of `wallet` in currency cur: the held coin, else the currency's
   stand-in coin lent the wallet key for the duration of the dispatch. NULL: no memory. */
static bce_coin_t *_bce_manager_instance(bce_manager_t *m, int cur, const char *wallet) {
    _bce_mconf_t *mc = &m->conf[cur];
    bce_coin_t *c = _bce_link_find(&m->cur[cur], wallet);
    if (c) return c;
    if (!mc->spare) {
        bce_coin_desc_t d = _bce_manager_desc(m, cur, NULL);
        mc->spare = _bce_coin_alloc(&d);
        if (!mc->spare) return NULL;
        mc->spare->manager = m;
        mc->spare->borrowed = 1;
    }
    mc->spare->xpub = mc->spare->key = (char *)(uintptr_t)wallet;
    return mc->spare;
}

/* A websocket message's currency (its name as sent) and wallet: the link of that currency and
   the instance its events go to. */
static int _bce_manager_route(bce_manager_t *m, const char *cur, size_t cur_len, const char *wallet,
                              bce_coin_t **inst, _bce_link_t **to) {
    char name[16];
    int idx = -1;
    if (cur_len < sizeof name) {
        memcpy(name, cur, cur_len);
        name[cur_len] = 0;
        idx = memchr(name, '\\', cur_len) ? -1 : _bce_currency_find(name);
    }
    if (idx < 0) {
        _bce_log_unsupported(&m->logger, cur, cur_len);
        return BCE_ERR_UNSUPPORTED;
    }
    *to = &m->cur[idx];
    return (*inst = _bce_manager_instance(m, idx, wallet)) != NULL ? BCE_OK : BCE_ERR_NOMEM;
}

static void _bce_manager_unborrow(bce_manager_t *m) {
    int i;
    for (i = 0; i < _BCE_NCUR; i++)
        if (m->conf[i].spare) m->conf[i].spare->xpub = m->conf[i].spare->key = NULL;
}


_BCE_DEF int bce_manager_process_updates(bce_manager_t *m, const char *currency, const char *wallet,
                                         const char *json, size_t len) {
    int cur, r;
    _bce_route_t rt;
    bce_coin_t *inst;
    if (!m) return BCE_ERR_INVALID_ARG;
    if (m->run.in_handler) return BCE_ERR_STATE;
    cur = _bce_currency_find(currency);
    if (cur < 0) {
        _bce_log_unsupported(&m->logger, currency, strlen(currency));
        return BCE_ERR_UNSUPPORTED;
    }
    if (!(inst = _bce_manager_instance(m, cur, wallet))) return BCE_ERR_NOMEM;
    _bce_coin_route(inst, &rt);
    rt.wallet = wallet;
    m->run.in_handler++;
    r = _bce_dispatch_array(&m->disp, &rt, json, len);
    m->run.in_handler--;
    _bce_manager_unborrow(m);
    return r;
}

/* ---- a manager's activities: its run over the links of the currencies it serves ---- */

/* The currency's link, its endpoint and client made on first use from its settings. */
static int _bce_mcur_link(bce_manager_t *m, int cur) {
    _bce_link_t *l = &m->cur[cur];
    bce_coin_desc_t d;
    char urlbuf[_BCE_URLBUF];
    if (l->ready) return BCE_OK;
    d = _bce_manager_desc(m, cur, NULL);
    _bce_coin_desc_defaults(&d, urlbuf);
    return _bce_link_init(l, &m->run, &d, m->conf[cur].last_error, sizeof m->conf[cur].last_error);
}

_BCE_DEF int bce_manager_start_polling(bce_manager_t *m, int interval_ms) {
    int i, any = 0, r;
    long long now = _bce_now_ms();
    if (!m || interval_ms < 0) return BCE_ERR_INVALID_ARG;
    if (m->run.in_handler || m->run.mode != _BCE_MODE_NONE) return BCE_ERR_STATE;
    for (i = 0; i < _BCE_NCUR; i++) {
        if (!m->cur[i].count) continue;
        if (_bce_mcur_link(m, i) != BCE_OK) return BCE_ERR_INVALID_ARG;
        any = 1;
    }
    if (!any) {
        _bce_log(&m->logger, BCE_LOG_ERROR, "polling needs at least one wallet");
        return BCE_ERR_INVALID_ARG;
    }
    if ((r = _bce_run_begin(&m->run, _BCE_MODE_POLL, interval_ms, NULL)) != BCE_OK) return r;
    for (i = 0; i < _BCE_NCUR; i++)
        if (m->cur[i].count) _bce_link_start(&m->cur[i], now);
    return BCE_OK;
}

_BCE_DEF int bce_manager_begin_websocket(bce_manager_t *m, const char *currency, const bce_ws_opts_t *opts) {
    int i, only = -1, any = 0, r;
    long long now = _bce_now_ms();
    if (!m) return BCE_ERR_INVALID_ARG;
    if (m->run.in_handler || m->run.mode != _BCE_MODE_NONE) return BCE_ERR_STATE;
    if (_bce_ws_opts_bad(opts)) return BCE_ERR_INVALID_ARG;
    if (currency && (only = _bce_currency_find(currency)) < 0) {
        _bce_log_unsupported(&m->logger, currency, strlen(currency));
        return BCE_ERR_UNSUPPORTED;
    }
#define _BCE_SERVED(i) (only >= 0 ? (i) == only : (m->cur[i].count || m->conf[i].configured))
    for (i = 0; i < _BCE_NCUR; i++) {   /* the links, and their limits checked, before any starts */
        const char *why;
        if (!_BCE_SERVED(i)) continue;
        if (_bce_mcur_link(m, i) != BCE_OK) return BCE_ERR_INVALID_ARG;
        if ((why = _bce_ws_limits_bad(opts, m->cur[i].ep.max_header)) != NULL) {
            _bce_msg_t msg;
            msg.len = 0;
            _bce_msg_str(&msg, _bce_currencies[i].name);
            _bce_msg_str(&msg, ": ");
            _bce_msg_str(&msg, why);
            _bce_log(&m->logger, BCE_LOG_ERROR, msg.buf);
            return BCE_ERR_INVALID_ARG;
        }
    }
    for (i = 0; i < _BCE_NCUR; i++) {
        if (!_BCE_SERVED(i)) continue;
        if (_bce_link_ws(&m->cur[i], NULL) != BCE_OK) return BCE_ERR_NOMEM;   /* no filter: every wallet */
        any = 1;
    }
    if (!any) {
        _bce_log(&m->logger, BCE_LOG_ERROR, "websocket: no currency has wallets or settings");
        return BCE_ERR_INVALID_ARG;
    }
    if ((r = _bce_run_begin(&m->run, _BCE_MODE_WS, 0, opts)) != BCE_OK) return r;
    for (i = 0; i < _BCE_NCUR; i++) {
        if (!_BCE_SERVED(i)) continue;
        _bce_link_start(&m->cur[i], -1);
        _bce_ws_start(&m->cur[i].ws, &m->run.wsopts, now);
    }
#undef _BCE_SERVED
    return BCE_OK;
}

_BCE_DEF int bce_manager_start_websocket(bce_manager_t *m, const bce_ws_opts_t *opts) {
    int r = bce_manager_begin_websocket(m, NULL, opts);
    if (r != BCE_OK) return r;
    while ((r = bce_manager_step(m, -1)) > 0) {}
    return r;
}

_BCE_DEF int bce_manager_start_websocket_for_currency(bce_manager_t *m, const char *currency,
                                                      const bce_ws_opts_t *opts) {
    int r;
    if (!currency) return BCE_ERR_INVALID_ARG;
    r = bce_manager_begin_websocket(m, currency, opts);
    if (r != BCE_OK) return r;
    while ((r = bce_manager_step(m, -1)) > 0) {}
    return r;
}

_BCE_DEF int bce_manager_fds(bce_manager_t *m, bce_fd_t *fds, int cap) {
    if (!m || cap < 0 || (!fds && cap)) return BCE_ERR_INVALID_ARG;
    return _bce_run_fds(&m->run, fds, cap);
}

_BCE_DEF int bce_manager_timeout_ms(bce_manager_t *m) {
    return m ? _bce_run_timeout_ms(&m->run) : -1;
}

_BCE_DEF int bce_manager_step(bce_manager_t *m, int timeout_ms) {
    if (!m) return BCE_ERR_INVALID_ARG;
    if (m->run.in_handler) return BCE_ERR_STATE;
    return _bce_run_step(&m->run, timeout_ms);
}

_BCE_DEF int bce_manager_poll_updates(bce_manager_t *m, int interval_ms) {
    int r = bce_manager_start_polling(m, interval_ms);
    if (r != BCE_OK) return r;
    while ((r = bce_manager_step(m, -1)) > 0) {}
    return r;
}

_BCE_DEF void bce_manager_stop(bce_manager_t *m) {
    if (!m) return;
    _bce_run_stop(&m->run);
}
#ifdef __cplusplus
}
#endif
#ifdef _WIN32
#undef pollfd
#endif
#endif /* BITCART_EVENTS_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 The bitcart_events.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
