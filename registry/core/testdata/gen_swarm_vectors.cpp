// Computes the expected outputs of swarm_vectors.json: an independent C++
// implementation of oxen-core's calc_swarm_changes, written for this project
// from the rules in shared/reference/network.md §2 and registry/core/README.md
// ("Swarm assignment"), using the real C++ library for everything whose exact
// behaviour matters: std::mt19937_64 for the random numbers, std::map for the
// swarm order and, above all, std::sort for "sort swarms by size" (element
// {uint64 swarm_id, size_t size}, comparator a.size < b.size, as upstream's
// calc_swarm_sizes). Built with g++ against libstdc++, as oxend's Linux builds
// are, it gives the order of equal-size swarms the real network uses.
//
// gen_swarm_vectors.ts builds the inputs and runs this program; from the
// repository root:
//
//     g++ -O2 -std=c++17 -o /tmp/gen_swarm_vectors registry/core/testdata/gen_swarm_vectors.cpp
//     node_modules/.bin/deno run --allow-run=/tmp/gen_swarm_vectors
//       --allow-write=registry/core/testdata
//       registry/core/testdata/gen_swarm_vectors.ts /tmp/gen_swarm_vectors
//
// (the deno command is one line).
//
// Protocol (text, one item a line). Input, repeated until end of file:
//
//     case <name>
//     seed <uint64>
//     swarm <id> <count>      then <count> lines of 64 hex digits
//     end
//
// Output, for each case:
//
//     case <name>
//     deviation               only when the port's one deviation applied
//     swarm <id> <count>      then the members, in result order
//     end
//
// The one deviation (registry/core/README.md): when step 4 would dissolve
// the last remaining swarm while it still has nodes, upstream calls
// assign_snodes on an empty map and throws std::out_of_range; the port (and
// this program, which then prints "deviation") keeps that swarm.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Key = std::array<uint8_t, 32>;  // compared bytewise, like memcmp
using SwarmMap = std::map<uint64_t, std::vector<Key>>;

constexpr uint64_t UNASSIGNED_SWARM_ID = UINT64_MAX;
constexpr uint64_t MAX_ID = UINT64_MAX - 1;
constexpr size_t MIN_SWARM_SIZE = 5;
constexpr size_t IDEAL_SWARM_MARGIN = 2;
constexpr size_t EXCESS_BASE = 5;
constexpr size_t NEW_SWARM_SIZE = 7;
constexpr size_t FILL_SWARM_LOWER_PERCENTILE = 25;
constexpr size_t DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE = 0;
constexpr size_t STEALING_SWARM_UPPER_PERCENTILE = 75;

struct swarm_size {
    uint64_t swarm_id;
    size_t size;
};

struct pool_entry {
    Key key;
    uint64_t swarm_id;
};

// network.md §2 "Random index in [0, n)"
uint64_t uniform(std::mt19937_64& rng, uint64_t n) {
    const uint64_t secure_max = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng();
    while (x >= secure_max);
    return x / (secure_max / n);
}

// network.md §2 get_new_swarm_id; map keys are already ascending.
uint64_t new_swarm_id(const SwarmMap& swarms) {
    if (swarms.empty()) return 0;
    std::vector<uint64_t> ids;
    for (const auto& [id, nodes] : swarms) ids.push_back(id);
    uint64_t max_gap = 0;
    size_t best = 0;
    for (size_t i = 0; i + 1 < ids.size(); i++) {
        if (ids[i + 1] - ids[i] > max_gap) {
            max_gap = ids[i + 1] - ids[i];
            best = i;
        }
    }
    const uint64_t wrap = MAX_ID - ids.back() + ids.front() + 1;
    if (wrap > max_gap) {
        max_gap = wrap;
        best = ids.size() - 1;
    }
    const uint64_t diff = max_gap / 2;
    const uint64_t to_max = MAX_ID - ids[best];
    return diff > to_max ? diff - to_max - 1 : ids[best] + diff;
}

size_t total_excess(const SwarmMap& swarms) {
    size_t e = 0;
    for (const auto& [id, nodes] : swarms)
        if (nodes.size() > EXCESS_BASE) e += nodes.size() - EXCESS_BASE;
    return e;
}

// The swarms in map order, sorted by size with std::sort (unstable).
std::vector<swarm_size> sorted_by_size(const SwarmMap& swarms) {
    std::vector<swarm_size> out;
    for (const auto& [id, nodes] : swarms) out.push_back({id, nodes.size()});
    std::sort(out.begin(), out.end(), [](const swarm_size& a, const swarm_size& b) {
        return a.size < b.size;
    });
    return out;
}

// Every node of every swarm larger than `threshold`, map order then vector
// order; `excess` sums size - MIN_SWARM_SIZE over those swarms.
std::vector<pool_entry> excess_pool(size_t threshold, const SwarmMap& swarms, size_t& excess) {
    std::vector<pool_entry> pool;
    excess = 0;
    for (const auto& [id, nodes] : swarms) {
        if (nodes.size() > threshold) {
            excess += nodes.size() - MIN_SWARM_SIZE;
            for (const auto& k : nodes) pool.push_back({k, id});
        }
    }
    return pool;
}

void take(const pool_entry& e, SwarmMap& swarms) {
    auto& nodes = swarms.at(e.swarm_id);
    nodes.erase(std::remove(nodes.begin(), nodes.end(), e.key), nodes.end());
}

void create_from_excess(SwarmMap& swarms, std::mt19937_64& rng) {
    for (const auto& [id, nodes] : swarms)
        if (nodes.size() < MIN_SWARM_SIZE) return;
    while (total_excess(swarms) >= NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * swarms.size()) {
        std::vector<Key> fresh;
        while (fresh.size() < NEW_SWARM_SIZE) {
            size_t excess;
            const auto pool = excess_pool(EXCESS_BASE, swarms, excess);
            if (pool.empty()) throw std::logic_error("empty excess pool");
            const pool_entry e = pool.at(uniform(rng, pool.size()));
            fresh.push_back(e.key);
            take(e, swarms);
        }
        const uint64_t id = new_swarm_id(swarms);
        if (!swarms.emplace(id, std::move(fresh)).second)
            throw std::logic_error("new swarm id already in use");
    }
}

void assign(const std::vector<Key>& keys, SwarmMap& swarms, std::mt19937_64& rng, size_t percentile) {
    for (const auto& k : keys) {
        const auto sorted = sorted_by_size(swarms);
        const size_t index = percentile * (sorted.size() - 1) / 100;
        const size_t value = sorted.at(index).size;  // throws on an empty map
        size_t upper = sorted.size() - 1;
        for (size_t i = index; i < sorted.size(); i++) {
            if (sorted[i].size > value) {
                upper = i - 1;
                break;
            }
        }
        swarms.at(sorted[uniform(rng, upper + 1)].swarm_id).push_back(k);
        create_from_excess(swarms, rng);
    }
}

void calc_swarm_changes(SwarmMap& swarms, uint64_t seed, bool& deviation) {
    deviation = false;
    if (swarms.empty()) return;
    std::mt19937_64 rng(seed);
    std::vector<Key> unassigned;
    if (auto it = swarms.find(UNASSIGNED_SWARM_ID); it != swarms.end()) {
        unassigned = it->second;
        swarms.erase(it);
    }
    if (swarms.empty()) swarms.emplace(new_swarm_id(swarms), std::vector<Key>{});

    // 1. newcomers
    assign(unassigned, swarms, rng, FILL_SWARM_LOWER_PERCENTILE);

    // 2. Robin Hood, over one sorted snapshot
    const auto sorted = sorted_by_size(swarms);
    for (const auto& poor : sorted) {
        if (poor.size >= MIN_SWARM_SIZE) break;
        auto& poor_nodes = swarms.at(poor.swarm_id);
        bool insufficient = false;
        do {
            const size_t index = STEALING_SWARM_UPPER_PERCENTILE * (sorted.size() - 1) / 100;
            const size_t threshold = std::max(MIN_SWARM_SIZE, sorted.at(index).size - 1);
            size_t excess;
            const auto pool = excess_pool(threshold, swarms, excess);
            insufficient = excess < MIN_SWARM_SIZE - poor_nodes.size();
            if (insufficient) break;
            const pool_entry e = pool.at(uniform(rng, pool.size()));
            take(e, swarms);
            poor_nodes.push_back(e.key);
        } while (poor_nodes.size() < MIN_SWARM_SIZE);
        if (insufficient) break;
    }

    // 3. new swarms from excess
    create_from_excess(swarms, rng);

    // 4. dissolve starving swarms
    if (swarms.size() > 1) {
        for (;;) {
            auto it = std::find_if(swarms.begin(), swarms.end(),
                                   [](const auto& e) { return e.second.size() < MIN_SWARM_SIZE; });
            if (it == swarms.end()) break;
            if (swarms.size() == 1 && !it->second.empty()) {
                deviation = true;  // upstream: std::out_of_range
                break;
            }
            std::vector<Key> nodes = std::move(it->second);
            swarms.erase(it);
            assign(nodes, swarms, rng, DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE);
        }
    }
}

Key parse_key(const std::string& hex) {
    if (hex.size() != 64) throw std::runtime_error("bad key: " + hex);
    Key k;
    for (size_t i = 0; i < 32; i++) k[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    return k;
}

void print_key(const Key& k) {
    for (uint8_t b : k) std::printf("%02x", b);
    std::printf("\n");
}

}  // namespace

int main() {
    std::string word;
    while (std::cin >> word) {
        if (word != "case") throw std::runtime_error("expected case, got " + word);
        std::string name;
        std::cin >> name >> word;
        if (word != "seed") throw std::runtime_error("expected seed");
        uint64_t seed;
        std::cin >> seed;
        SwarmMap swarms;
        while (std::cin >> word && word == "swarm") {
            uint64_t id;
            size_t count;
            std::cin >> id >> count;
            auto& nodes = swarms[id];
            for (size_t i = 0; i < count; i++) {
                std::string hex;
                std::cin >> hex;
                nodes.push_back(parse_key(hex));
            }
            // upstream fills each swarm from the pubkey-sorted node list
            std::sort(nodes.begin(), nodes.end());
        }
        if (word != "end") throw std::runtime_error("expected end");
        bool deviation;
        calc_swarm_changes(swarms, seed, deviation);
        std::printf("case %s\n", name.c_str());
        if (deviation) std::printf("deviation\n");
        for (const auto& [id, nodes] : swarms) {
            std::printf("swarm %llu %zu\n", static_cast<unsigned long long>(id), nodes.size());
            for (const auto& k : nodes) print_key(k);
        }
        std::printf("end\n");
    }
    return 0;
}
