#pragma once
// The training batches of an epoch, in an order drawn from (seed, epoch), made by
// the mapper `workers` batches ahead on their own threads while the current one
// trains. Every batch draws its augmentation from its own seed, so the batches do
// not depend on how many are in flight, and a run resumed at an epoch repeats an
// uninterrupted one.
#include "training/mapper.h"

#include <deque>
#include <future>

namespace training {

class BatchLoader {
public:
    BatchLoader(const Mapper &mapper, const Augment &aug, int batch, int workers, std::uint64_t seed);
    ~BatchLoader() { stop(); }
    std::int64_t stepsPerEpoch() const;
    void startEpoch(int epoch);
    // The next batch of the epoch; the mapper's exceptions come out here.
    Batch next();
    // Waits for the batches in flight and drops them.
    void stop();

private:
    void refill();
    const Mapper &m_mapper;
    Augment m_aug;
    std::size_t m_batch;
    int m_workers;
    std::uint64_t m_seed, m_orderSeed = 0;
    std::vector<std::size_t> m_perm;
    std::int64_t m_queued = 0;
    std::deque<std::future<Batch>> m_ahead;
};

} // namespace training
