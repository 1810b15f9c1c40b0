#include "training/train_loop.h"

#include "training/models/torch_error.h"

#include <chrono>
#include <cmath>

using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

// Runs a hook or a step; an exception becomes an Error of the run.
template <typename F>
core::Status guarded(const std::string &dir, F &&f)
{
    try {
        return f();
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Internal, dir, {}, "training failed: " + exceptionText(e));
    }
}

} // namespace

TrainLoop::TrainLoop(TrainRun &r) : run(r)
{
    state.epoch = r.resumed.epoch + 1;
    state.epochsDone = r.resumed.epoch;
    state.epochs = r.config.epochs;
    state.step = r.resumed.step;
    state.best = r.resumed.best;
    state.badEpochs = r.resumed.badEpochs;
    state.savedEpoch = r.resumed.epoch;
    state.stepsPerEpoch = r.loader->stepsPerEpoch();
}

std::string TrainLoop::keptCheckpoint() const
{
    return state.savedEpoch > 0 ? "the checkpoint of epoch " + std::to_string(state.savedEpoch) + " is kept" : std::string("no checkpoint was written");
}

core::Status TrainLoop::train()
{
    core::Status status;
    for (auto &h : m_hooks)
        if (status) status = guarded(run.outDir, [&] { return h->beforeTrain(*this); });
    while (status && !state.stop && state.epoch <= state.epochs) {
        for (auto &h : m_hooks)
            if (status && !state.stop) status = guarded(run.outDir, [&] { return h->beforeStep(*this); });
        if (!status || state.stop) break;
        status = guarded(run.outDir, [&] { return runStep(); });
        for (auto &h : m_hooks)
            if (status) status = guarded(run.outDir, [&] { return h->afterStep(*this); });
        if (state.epochEnded) {
            state.lastEpochLoss = state.epochLoss / static_cast<double>(state.stepsPerEpoch);
            state.epochsDone = state.epoch++;
            state.stepInEpoch = 0;
            state.epochEnded = false;
        }
    }
    run.loader->stop();
    for (auto &h : m_hooks) {
        try {
            h->afterTrain(*this, status);
        } catch (const std::exception &) {
            // The run's outcome is already decided; a failing after-train hook must not hide it.
        }
    }
    return status;
}

core::Status TrainLoop::runStep()
{
    if (state.stepInEpoch == 0) {
        // Every epoch draws from streams seeded by (seed, epoch): a resumed run repeats an uninterrupted one.
        torch::manual_seed(run.config.seed * 1000003ULL + static_cast<std::uint64_t>(state.epoch));
        run.loader->startEpoch(state.epoch);
        state.epochLoss = 0;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Batch batch = run.loader->next();
    run.optimizer->zero_grad();
    const LossTerms terms = run.model->losses(batch);
    torch::Tensor total;
    state.losses.clear();
    state.loss = 0;
    for (const auto &[name, t] : terms) {
        const double v = t.item<double>();
        state.losses[name] = v;
        state.loss += v;
        if (!std::isfinite(v)) {
            state.diverged = true;
            return makeError(ErrorCode::Invalid, run.outDir, {},
                             "the loss became " + std::to_string(v) + (terms.size() > 1 ? " (" + name + ")" : std::string()) + " at epoch " +
                                 std::to_string(state.epoch) + " step " + std::to_string(state.step) + "; try a smaller --lr; " + keptCheckpoint());
        }
        total = total.defined() ? total + t : t;
    }
    total.backward();
    if (run.config.clipNorm > 0) torch::nn::utils::clip_grad_norm_(run.params, run.config.clipNorm);
    run.optimizer->step();
    ++state.step;
    ++state.stepInEpoch;
    state.epochEnded = state.stepInEpoch == state.stepsPerEpoch;
    state.images = static_cast<std::size_t>(batch.images.size(0));
    state.stepSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.epochLoss += state.loss;
    run.metrics->addSteps(static_cast<double>(state.images), state.stepSeconds);
    return {};
}

} // namespace training
