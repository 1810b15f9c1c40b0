#include "training/batch_loader.h"

#include "core/random.h"

#include <algorithm>
#include <stdexcept>

namespace training {

BatchLoader::BatchLoader(const Mapper &mapper, const Augment &aug, int batch, int workers, std::uint64_t seed)
    : m_mapper(mapper), m_aug(aug), m_batch(static_cast<std::size_t>(std::max(1, batch))), m_workers(std::max(1, workers)), m_seed(seed)
{
}

std::int64_t BatchLoader::stepsPerEpoch() const { return static_cast<std::int64_t>((m_mapper.size() + m_batch - 1) / m_batch); }

void BatchLoader::startEpoch(int epoch)
{
    stop();
    core::SplitMix64 order{m_seed ^ (0x5bd1e995ULL * static_cast<std::uint64_t>(epoch))};
    const std::size_t n = m_mapper.size();
    m_perm.resize(n);
    for (std::size_t i = 0; i < n; ++i) m_perm[i] = i;
    for (std::size_t i = n; i > 1; --i) std::swap(m_perm[i - 1], m_perm[order.next() % i]);
    m_orderSeed = order.s;
    m_queued = 0;
    refill();
}

void BatchLoader::refill()
{
    while (m_queued < stepsPerEpoch() && static_cast<int>(m_ahead.size()) < m_workers) {
        const std::int64_t b = m_queued++;
        const std::size_t lo = static_cast<std::size_t>(b) * m_batch;
        std::vector<std::size_t> idx(m_perm.begin() + static_cast<long>(lo), m_perm.begin() + static_cast<long>(std::min(m_perm.size(), lo + m_batch)));
        const std::uint64_t seed = m_orderSeed + static_cast<std::uint64_t>(b) * 7919ULL;
        m_ahead.push_back(std::async(std::launch::async, [this, idx = std::move(idx), seed] { return m_mapper.map(idx, m_aug, seed); }));
    }
}

Batch BatchLoader::next()
{
    if (m_ahead.empty()) throw std::logic_error("BatchLoader::next past the end of the epoch");
    auto f = std::move(m_ahead.front());
    m_ahead.pop_front();
    refill();
    return f.get();
}

void BatchLoader::stop()
{
    for (auto &f : m_ahead) f.wait();
    m_ahead.clear();
}

} // namespace training
