#pragma once
// SplitMix64: a small, fast generator whose sequence is the same on every
// platform and standard library, so seeded splits, the sample project and
// training runs repeat exactly.
#include <cstdint>

namespace core {

struct SplitMix64 {
    std::uint64_t s = 0;
    std::uint64_t next()
    {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; } // [0, 1)
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

} // namespace core
