// bench/simdjson_ref.cpp - the same realistic updates, parsed and "dispatched" by simdjson, as
// a state-of-the-art reference for the dispatch row of `make bench` (bench/README.md).
//
// simdjson (Debian libsimdjson-dev) picks its fastest kernel at run time (AVX-512 "icelake",
// AVX2 "haswell", SSE4.2 "westmere", or its scalar fallback); the kernel is printed. It is a
// bench-only reference, like jsmn and cJSON: the library never uses it.
//
//   build/bench_dispatch 1000000 5 dump DIR     # writes DIR/one.json and DIR/batches.json, then runs
//   c++ -std=c++17 -O2 bench/simdjson_ref.cpp -o build/bench_simdjson -lsimdjson
//   build/bench_simdjson DIR [repetitions]
//
// Rows, each on one large document, on documents of 100 (one a line in batches.json) and, when
// DIR/ones.json is there, on one-update documents (one a line, the websocket's usual message):
// - DOM parse: full validation (UTF-8, strings, numbers) into simdjson's tape.
// - DOM parse + handler: then, per update, the same work as bench/dispatch.c's handler:
//   look up "event", then one string and one integer argument, and fold them into a checksum.
// - On-Demand + handler: the same handler work through simdjson's lazy API, which validates
//   UTF-8 and structure but not the values it skips (so it is not a full validation).
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace simdjson;

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct timing { double best, median; };

static timing summarize(std::vector<double> t) {
    std::sort(t.begin(), t.end());
    return timing{t[0], t[t.size() / 2]};
}

struct state {
    unsigned long long calls = 0, checksum = 0, missing = 0;
};

// The handler of bench/dispatch.c, on a DOM or an On-Demand object. In On-Demand, fields are
// looked up in any order (find_field_unordered, like the library's lookups); the strings it
// returns stay valid for the whole document.
template <class Object>
static void handle(Object o, state &st) {
    std::string_view name, s;
    int64_t v = 0;
    if (o["event"].get_string().get(name)) { st.missing++; return; }
    st.calls++;
    const char *skey, *ikey;
    if (name[0] == 'v') { skey = "tx"; ikey = "height"; }
    else if (name[4] == 'p') { skey = "address"; ikey = "status"; }
    else if (name[4] == 'b') { skey = nullptr; ikey = "height"; }
    else { skey = "tx"; ikey = "height"; }
    if (skey) {
        if (o[skey].get_string().get(s)) { st.missing++; return; }
    } else {
        s = name;
    }
    if (o[ikey].get_int64().get(v)) v = 0;
    st.checksum = st.checksum * 31 + (unsigned char)s[0] + (unsigned char)s[1] + (unsigned long long)v;
}

struct doc_span { size_t off, len; };

static void row(const char *what, timing t, double mb, double updates) {
    std::printf("%-40s %10.3f %10.3f %9.2f %9.1f %9.1f\n", what, t.best * 1e3, t.median * 1e3,
                updates / t.best * 1e-6, mb / t.best, mb / t.median);
}

// The documents of a file with one a line.
static void split_lines(const padded_string &s, std::vector<doc_span> &out) {
    for (size_t i = 0; i < s.size();) {
        size_t e = i;
        while (e < s.size() && s.data()[e] != '\n') e++;
        if (e > i) out.push_back(doc_span{i, e - i});
        i = e + 1;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR [repetitions]  (DIR from: bench_dispatch N REPS dump DIR)\n", argv[0]);
        return 2;
    }
    int reps = argc > 2 ? std::atoi(argv[2]) : 5;
    if (reps < 1 || reps > 1000) reps = 5;
    std::string dir = argv[1];
    padded_string one, batches, ones;
    if (padded_string::load(dir + "/one.json").get(one) || padded_string::load(dir + "/batches.json").get(batches)) {
        std::fprintf(stderr, "cannot read %s/one.json or %s/batches.json\n", dir.c_str(), dir.c_str());
        return 1;
    }
    bool have_ones = !padded_string::load(dir + "/ones.json").get(ones);   // older dumps have none
    std::vector<doc_span> docs, docs1;
    split_lines(batches, docs);
    if (have_ones) split_lines(ones, docs1);
    size_t batch_bytes = 0, ones_bytes = 0;
    for (const doc_span &d : docs) batch_bytes += d.len;
    for (const doc_span &d : docs1) ones_bytes += d.len;
    std::printf("simdjson %s reference, kernel: %s (%s)\n", SIMDJSON_STRINGIFY(SIMDJSON_VERSION),
                get_active_implementation()->name().c_str(), get_active_implementation()->description().c_str());
    std::printf("input: %zu bytes in one document; %zu documents of 100 updates (%zu bytes); %zu one-update documents (%zu bytes)\n",
                one.size(), docs.size(), batch_bytes, docs1.size(), ones_bytes);
    std::printf("%-40s %10s %10s %9s %9s %9s\n", "", "best ms", "median ms", "Mupd/s", "MB/s", "MB/s med");

    dom::parser dp;
    if (dp.allocate(one.size())) { std::fprintf(stderr, "allocate failed\n"); return 1; }
    ondemand::parser op(one.size());
    double mb1 = (double)one.size() / 1e6, mbb = (double)batch_bytes / 1e6, mbo = (double)ones_bytes / 1e6;
    double updates = (double)docs.size() * 100.0;

    for (int mode = 0; mode < (have_ones ? 9 : 6); mode++) {
        std::vector<double> t;
        state st;
        for (int r = -1; r < reps; r++) {
            st = state();
            double a = now_s();
            if (mode == 0 || mode == 1) {       // one document
                dom::element doc;
                if (dp.parse(one.data(), one.size(), false).get(doc)) { std::fprintf(stderr, "invalid\n"); return 1; }
                if (mode == 1)
                    for (dom::element e : dom::array(doc)) handle(dom::object(e), st);
            } else if (mode == 2 || mode == 3) { // documents of 100
                for (const doc_span &d : docs) {
                    dom::element doc;
                    if (dp.parse(batches.data() + d.off, d.len, false).get(doc)) { std::fprintf(stderr, "invalid\n"); return 1; }
                    if (mode == 3)
                        for (dom::element e : dom::array(doc)) handle(dom::object(e), st);
                }
            } else if (mode == 4) {
                ondemand::document doc = op.iterate(one);
                for (ondemand::object o : doc.get_array()) handle<ondemand::object &>(o, st);
            } else if (mode == 5) {
                for (const doc_span &d : docs) {
                    ondemand::document doc = op.iterate(batches.data() + d.off, d.len, batches.size() + SIMDJSON_PADDING - d.off);
                    for (ondemand::object o : doc.get_array()) handle<ondemand::object &>(o, st);
                }
            } else if (mode == 6 || mode == 7) { // one-update documents
                for (const doc_span &d : docs1) {
                    dom::element doc;
                    if (dp.parse(ones.data() + d.off, d.len, false).get(doc)) { std::fprintf(stderr, "invalid\n"); return 1; }
                    if (mode == 7)
                        for (dom::element e : dom::array(doc)) handle(dom::object(e), st);
                }
            } else {
                for (const doc_span &d : docs1) {
                    ondemand::document doc = op.iterate(ones.data() + d.off, d.len, ones.size() + SIMDJSON_PADDING - d.off);
                    for (ondemand::object o : doc.get_array()) handle<ondemand::object &>(o, st);
                }
            }
            if (r >= 0) t.push_back(now_s() - a);
        }
        static const char *const names[9] = {
            "DOM parse, one document", "DOM parse + handler, one document",
            "DOM parse, documents of 100", "DOM parse + handler, documents of 100",
            "On-Demand + handler, one document", "On-Demand + handler, documents of 100",
            "DOM parse, one-update documents", "DOM parse + handler, one-update documents",
            "On-Demand + handler, one-update documents"};
        bool single = mode == 0 || mode == 1 || mode == 4, per1 = mode >= 6;
        double mb = single ? mb1 : per1 ? mbo : mbb;
        timing tm = summarize(t);
        row(names[mode], tm, mb, per1 ? (double)docs1.size() : updates);
        if (mode == 1 || mode == 3 || mode == 4 || mode == 5 || mode == 7 || mode == 8) {
            if (st.missing) { std::fprintf(stderr, "%s: %llu lookups failed\n", names[mode], st.missing); return 1; }
            std::printf("  handler calls %llu, checksum of one pass %016llx\n", st.calls, st.checksum);
        }
        std::printf("ROWDATA\t%s\t%.1f\n", names[mode], mb / tm.best);
    }
    return 0;
}
