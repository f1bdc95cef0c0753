// Generates sort_vectors.json: orderings produced by the C++ library's own
// std::sort, to check registry/core/introsort.ts (our port of libstdc++'s
// std::sort) against the real thing. Written for this project; it contains no
// library source, it only calls std::sort.
//
// Build and run with Debian's g++ (libstdc++), from the repository root:
//
//     g++ -O2 -std=c++17 -o /tmp/gen_sort_vectors registry/core/testdata/gen_sort_vectors.cpp
//     /tmp/gen_sort_vectors > registry/core/testdata/sort_vectors.json
//
// The elements are oxen-core's `swarm_size` ({uint64 swarm_id, size_t size})
// and the comparator is oxen-core's `a.size < b.size` (service_node_swarm.cpp
// calc_swarm_sizes), so the orderings are what oxend would compute. Inputs
// come from std::mt19937_64 (whose output the C++ standard fixes) using only
// raw outputs and `%`, so they are the same on every platform; the orderings
// depend only on the std::sort implementation.
//
// Output: {"generator": ..., "cases": [{"name", "keys", "order"}]} where
// `keys` holds the size of element i (its swarm_id is i) and `order` the
// swarm_ids in the order std::sort leaves them, both as decimal numbers
// separated by single spaces.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

struct swarm_size {
    uint64_t swarm_id;
    size_t size;
};

std::vector<size_t> sorted_ids(const std::vector<size_t>& keys) {
    std::vector<swarm_size> v;
    v.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); i++) v.push_back({i, keys[i]});
    std::sort(v.begin(), v.end(), [](const swarm_size& a, const swarm_size& b) {
        return a.size < b.size;
    });
    std::vector<size_t> out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(e.swarm_id);
    return out;
}

// McIlroy's adversary ("A Killer Adversary for Quicksort", 1999): answers the
// sort's comparisons lazily so that quicksort partitions badly, then fixes
// the values. Sorting the resulting keys again drives std::sort into its
// depth limit and heap-sort fallback. With `frozen_max < n`, at most that
// many elements get distinct values and the rest ("gas") stay equal, so the
// heap sort also has equal keys to reorder.
std::vector<size_t> killer(size_t n, size_t frozen_max) {
    const size_t gas = SIZE_MAX;
    std::vector<size_t> val(n, gas);
    size_t solid = 0;
    size_t candidate = 0;
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
        if (val[x] == gas && val[y] == gas && solid < frozen_max) {
            if (x == candidate)
                val[x] = solid++;
            else
                val[y] = solid++;
        }
        if (val[x] == gas)
            candidate = x;
        else if (val[y] == gas)
            candidate = y;
        return val[x] < val[y];
    });
    for (auto& v : val)
        if (v == gas) v = solid;
    return val;
}

std::vector<size_t> make_keys(const std::string& pattern, size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<size_t> k(n);
    if (pattern.rfind("random", 0) == 0) {
        // "random<d>": uniform over d values
        const uint64_t d = std::stoull(pattern.substr(6));
        for (auto& x : k) x = rng() % d;
    } else if (pattern == "swarm") {
        // swarm sizes as in a growing network: 5-8, mostly 7 and 8
        for (auto& x : k) {
            const uint64_t r = rng() % 100;
            x = r < 6 ? 5 : r < 24 ? 6 : r < 67 ? 7 : 8;
        }
    } else if (pattern == "ascending") {
        for (size_t i = 0; i < n; i++) k[i] = i / 3;
    } else if (pattern == "descending") {
        for (size_t i = 0; i < n; i++) k[i] = (n - i) / 3;
    } else if (pattern == "organ") {
        for (size_t i = 0; i < n; i++) k[i] = std::min(i, n - 1 - i) / 2;
    } else if (pattern == "sawtooth") {
        for (size_t i = 0; i < n; i++) k[i] = i % 7;
    } else if (pattern == "mostly-equal") {
        for (auto& x : k) x = rng() % 16 == 0 ? rng() % 3 : 1;
    } else if (pattern == "killer") {
        k = killer(n, n);
    } else if (pattern == "killer-ties") {
        // half the elements distinct, then pairs of values merged: many ties
        k = killer(n, n / 2);
        for (auto& x : k) x /= 2;
    }
    return k;
}

// Numbers as one space-separated string keep the file small (and stable
// under `deno fmt`, which would put every array element on its own line).
void print_numbers(const char* field, const std::vector<size_t>& v, const char* end) {
    std::printf("      \"%s\": \"", field);
    for (size_t i = 0; i < v.size(); i++) std::printf("%s%zu", i ? " " : "", v[i]);
    std::printf("\"%s\n", end);
}

void print_case(bool first, const std::string& name, const std::vector<size_t>& keys) {
    std::printf("%s\n    {\n      \"name\": \"%s\",\n", first ? "" : ",", name.c_str());
    print_numbers("keys", keys, ",");
    print_numbers("order", sorted_ids(keys), "");
    std::printf("    }");
}

}  // namespace

int main() {
    std::printf("{\n  \"description\": \"std::sort orderings of swarm_size {id, size} by a.size < "
                "b.size; see gen_sort_vectors.cpp\",\n");
    std::printf("  \"generator\": \"g++ %s, libstdc++ %d (%d)\",\n", __VERSION__,
                _GLIBCXX_RELEASE, __GLIBCXX__);
    std::printf("  \"cases\": [");
    bool first = true;
    uint64_t seed = 1;
    // Every length from 1 to 40 (the insertion-sort limit 16 and the first
    // partitions), over few keys.
    for (size_t n = 1; n <= 40; n++) {
        for (const char* p : {"random2", "random3", "swarm"}) {
            print_case(first, std::string(p) + "-" + std::to_string(n), make_keys(p, n, seed++));
            first = false;
        }
    }
    // Longer ranges, many patterns.
    const std::vector<size_t> lengths = {47, 64, 100, 129, 257, 2000};
    const std::vector<std::string> patterns = {
            "random1", "random2", "random3", "random5",    "random64",     "random100000",
            "swarm",   "ascending", "descending", "organ", "sawtooth", "mostly-equal",
            "killer",  "killer-ties"};
    for (size_t n : lengths) {
        for (const auto& p : patterns) {
            print_case(false, p + "-" + std::to_string(n), make_keys(p, n, seed++));
        }
    }
    std::printf("\n  ]\n}\n");
    return 0;
}
