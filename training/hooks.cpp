#include "training/hooks.h"

#include "core/fileio.h"
#include "training/config.h"
#include "training/describe.h"
#include "training/models/state_dict.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

std::string oneDecimal(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

} // namespace

double scheduledLr(const TrainConfig &c, int epochs, std::int64_t step, std::int64_t stepsPerEpoch)
{
    const double total = static_cast<double>(epochs) * static_cast<double>(stepsPerEpoch);
    const double warm = static_cast<double>(c.warmupEpochs) * static_cast<double>(stepsPerEpoch);
    const double t = static_cast<double>(step);
    if (warm > 0 && t < warm) return c.lr * (t + 1) / warm;
    if (c.schedule == "cosine") return c.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (t - warm) / std::max(1.0, total - warm))));
    if (c.schedule == "step") return c.lr * std::pow(0.1, std::floor(3 * t / std::max(1.0, total)));
    return c.lr;
}

core::Status ControlHook::beforeStep(TrainLoop &loop)
{
    const auto *pause = loop.run.pause, *cancel = loop.run.cancel;
    while (pause && pause->load() && !(cancel && cancel->load())) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (cancel && cancel->load()) loop.state.stop = loop.state.cancelled = true;
    return {};
}

void ControlHook::afterTrain(TrainLoop &loop, const core::Status &)
{
    if (loop.state.cancelled) loop.run.callbacks->log("stopped at step " + std::to_string(loop.state.step) + "; " + loop.keptCheckpoint());
}

core::Status LrScheduleHook::beforeStep(TrainLoop &loop)
{
    loop.state.lr = scheduledLr(loop.run.config, loop.state.epochs, loop.state.step, loop.state.stepsPerEpoch);
    for (auto &g : loop.run.optimizer->param_groups()) g.options().set_lr(loop.state.lr);
    return {};
}

core::Status EvalHook::afterStep(TrainLoop &loop)
{
    if (!loop.state.epochEnded) return {};
    LoopState &s = loop.state;
    double score;
    if (loop.run.valData && loop.run.valData->size() > 0) {
        const int batch = loop.run.task == Task::Classification ? 256 : 16;
        TrainCallbacks *cb = loop.run.callbacks;
        std::vector<ValPreview> previews;
        EvalObserver observe;
        if (cb && cb->wantsPredictions())
            observe = [&](std::size_t first, const Predictions &p) {
                const Mapper &m = *loop.run.valData;
                for (std::size_t i = first; i < m.size() && previews.size() < kValPreviews; ++i) {
                    const Record &r = m.cache().record(i);
                    ValPreview v;
                    v.image = r.path;
                    if (r.label >= 0 && static_cast<std::size_t>(r.label) < loop.run.classes.size()) v.truth = loop.run.classes[static_cast<std::size_t>(r.label)];
                    v.truthRegions = r.regions.size();
                    v.prediction = describePrediction(loop.run.task, loop.run.classes, p, i - first, m.cache(), i, 0.5);
                    previews.push_back(std::move(v));
                }
            };
        s.val = runEvaluation(*loop.run.model, *loop.run.valData, *loop.run.evaluator, batch, observe);
        if (!previews.empty()) cb->predictions(s.epoch, previews);
        score = s.val->score;
    } else {
        s.val.reset();
        score = -s.epochLoss / static_cast<double>(s.stepsPerEpoch);
    }
    s.improved = s.best == -1.0 || score > s.best;
    if (s.improved) {
        s.best = score;
        s.badEpochs = 0;
    } else {
        ++s.badEpochs;
    }
    return {};
}

MetricsSample MetricsHook::sample(const TrainLoop &loop) const
{
    MetricsSample m;
    m.epoch = loop.state.epoch;
    m.step = loop.state.step;
    m.fold = loop.run.config.folds > 0 ? loop.run.config.fold + 1 : 0;
    m.folds = loop.run.config.folds;
    m.lr = loop.state.lr;
    return m;
}

core::Status MetricsHook::afterStep(TrainLoop &loop)
{
    const LoopState &s = loop.state;
    m_loss += s.loss;
    m_images += static_cast<double>(s.images);
    m_seconds += s.stepSeconds;
    ++m_steps;
    for (const auto &[name, v] : s.losses) {
        m_terms[name] += v;
        m_epochTerms[name] += v;
    }
    if (m_steps == loop.run.config.logEvery || s.epochEnded) {
        MetricsSample m = sample(loop);
        m.loss = m_loss / m_steps;
        for (const auto &[name, v] : m_terms) m.losses[name] = v / m_steps;
        m.imagesPerS = m_seconds > 0 ? m_images / m_seconds : 0;
        m.progress = static_cast<double>(s.step) / (static_cast<double>(s.epochs) * static_cast<double>(s.stepsPerEpoch));
        loop.run.metrics->put(m);
        m_loss = m_images = m_seconds = 0;
        m_steps = 0;
        m_terms.clear();
    }
    if (!s.epochEnded) return {};
    MetricsSample m = sample(loop);
    const double steps = static_cast<double>(s.stepsPerEpoch);
    m.loss = s.epochLoss / steps;
    for (const auto &[name, v] : m_epochTerms) m.losses[name] = v / steps;
    m_epochTerms.clear();
    m.imagesPerS = loop.run.metrics->imagesPerS();
    m.epochEnd = true;
    m.progress = static_cast<double>(s.epoch) / s.epochs;
    std::string line = "epoch " + std::to_string(s.epoch) + ": loss " + std::to_string(m.loss);
    if (s.val) {
        m.val = s.val->scalars;
        auto get = [&](const char *k) { return m.val.count(k) ? m.val.at(k) : -1.0; };
        m.valLoss = get("loss");
        m.valAccuracy = m.val.count("accuracy") ? get("accuracy") : get("pixel_accuracy");
        m.valMiou = get("miou");
        if (m.val.count("bbox_AP")) // detection, instance segmentation
            line += ", val box AP " + std::to_string(get("bbox_AP")) + " AP50 " + std::to_string(get("bbox_AP50")) +
                    (m.val.count("segm_AP") ? ", mask AP " + std::to_string(get("segm_AP")) + " AP50 " + std::to_string(get("segm_AP50")) : std::string());
        else
            line += m.valMiou >= 0 ? ", val mIoU " + std::to_string(m.valMiou) + ", pixel accuracy " + std::to_string(m.valAccuracy)
                                   : ", val accuracy " + std::to_string(m.valAccuracy);
    }
    loop.run.metrics->put(m);
    loop.run.callbacks->log(line);
    return {};
}

core::Status CheckpointHook::afterStep(TrainLoop &loop)
{
    if (!loop.state.epochEnded) return {};
    const std::string dir = loop.run.outDir;
    const StateDict model = modelStateDict(loop.run.model->module());
    if (loop.state.improved) {
        m_best.clear();
        for (const auto &[name, t] : model) m_best.emplace_back(name, t.detach().to(torch::kCPU).clone());
    }
    const auto now = std::chrono::steady_clock::now();
    const bool final = loop.state.stop || loop.state.epoch >= loop.state.epochs;
    const double since = std::chrono::duration<double>(now - m_lastSave).count();
    if (m_saved && !final && since < std::max(10.0, 20 * m_saveSeconds)) return {};
    if (auto s = writeBest(dir); !s) return s;
    const std::string last = dir + "/checkpoint-last.pt";
    if (auto err = saveStateDict(model, last); !err.empty()) return makeError(ErrorCode::Io, last, {}, err);
    const RunProgress progress{loop.state.epoch, loop.state.step, loop.state.best, loop.state.badEpochs};
    if (auto s = saveRunState(dir + "/train-state.pt", loop.run.model->module(), *loop.run.optimizer, loop.run.config.optimizer, progress); !s) return s;
    loop.state.savedEpoch = loop.state.epoch;
    m_lastSave = std::chrono::steady_clock::now();
    m_saveSeconds = std::chrono::duration<double>(m_lastSave - now).count();
    m_saved = true;
    return {};
}

void CheckpointHook::afterTrain(TrainLoop &loop, const core::Status &)
{
    (void)writeBest(loop.run.outDir); // a best epoch not written yet (the run was cancelled or failed after it)
}

core::Status CheckpointHook::writeBest(const std::string &dir)
{
    if (m_best.empty()) return {};
    const std::string best = dir + "/checkpoint-best.pt";
    if (auto err = saveStateDict(m_best, best); !err.empty()) return makeError(ErrorCode::Io, best, {}, err);
    m_best.clear();
    return {};
}

BudgetHook::BudgetHook(std::chrono::steady_clock::time_point start, bool sizeEpochs, int maxEpochs)
    : m_start(start), m_sizeEpochs(sizeEpochs), m_maxEpochs(maxEpochs)
{
}

core::Status BudgetHook::beforeTrain(TrainLoop &)
{
    m_epochStart = std::chrono::steady_clock::now();
    return {};
}

core::Status BudgetHook::afterStep(TrainLoop &loop)
{
    if (!loop.state.epochEnded) return {};
    LoopState &s = loop.state;
    const auto now = std::chrono::steady_clock::now();
    m_epochSeconds.push_back(std::chrono::duration<double>(now - m_epochStart).count());
    m_epochStart = now;
    double perEpoch = 0;
    const std::size_t from = m_epochSeconds.size() > 1 ? 1 : 0;
    for (std::size_t i = from; i < m_epochSeconds.size(); ++i) perEpoch += m_epochSeconds[i];
    perEpoch /= static_cast<double>(m_epochSeconds.size() - from);
    const double left = loop.run.config.timeBudget - std::chrono::duration<double>(now - m_start).count();
    if (m_sizeEpochs) {
        const int planned = std::clamp(s.epoch + static_cast<int>(std::floor(std::max(0.0, left) / perEpoch)), s.epoch, m_maxEpochs);
        if (planned != s.epochs) {
            s.epochs = planned;
            loop.run.config.epochs = planned;
            const RunInfo info{loop.run.config, loop.run.task, loop.run.classes, loop.run.trainData->channels(), loop.run.trainData->imageSize()};
            if (auto st = core::writeFileAtomic(loop.run.outDir + "/config.json", runInfoJson(info).dump(2)); !st) return st;
            if (m_loggedPlan == 0 || std::abs(planned - m_loggedPlan) * 10 >= m_loggedPlan) {
                loop.run.callbacks->log("time budget: an epoch takes " + oneDecimal(perEpoch) + " s and " + oneDecimal(std::max(0.0, left)) + " s are left: " +
                                        std::to_string(planned) + " epochs in all");
                m_loggedPlan = planned;
            }
        }
    }
    if (s.epoch < s.epochs && left < perEpoch) {
        s.stop = true;
        loop.run.callbacks->log("time budget: " + oneDecimal(std::max(0.0, left)) + " s left, less than an epoch (" + oneDecimal(perEpoch) + " s): stopping after epoch " +
                                std::to_string(s.epoch));
    }
    return {};
}

core::Status EarlyStopHook::afterStep(TrainLoop &loop)
{
    const int patience = loop.run.config.patience;
    if (!loop.state.epochEnded || patience <= 0 || loop.state.badEpochs < patience) return {};
    loop.state.stop = loop.state.stoppedEarly = true;
    loop.run.callbacks->log("early stop: no better validation " + std::string(loop.run.task == Task::Segmentation ? "mIoU" : "accuracy") + " for " +
                            std::to_string(patience) + " epochs");
    return {};
}

core::Status HistoryHook::beforeTrain(TrainLoop &loop)
{
    m_record.dir = fs::absolute(loop.run.outDir).lexically_normal().string();
    m_record.name = fs::path(m_record.dir).filename().string();
    auto store = core::ProjectStore::open(loop.run.config.project);
    if (!store) {
        warn(loop, store.error().toString());
        return {};
    }
    m_store = std::make_unique<core::ProjectStore>(std::move(*store));
    auto runs = m_store->runs();
    if (!runs) {
        warn(loop, runs.error().toString());
        m_store.reset();
        return {};
    }
    for (const auto &r : *runs)
        if (r.dir == m_record.dir) m_record = r;
    record(loop, "running", 0);
    return {};
}

core::Status HistoryHook::afterStep(TrainLoop &loop)
{
    if (!loop.state.epochEnded) return {};
    m_lastLoss = loop.state.epochLoss / static_cast<double>(loop.state.stepsPerEpoch);
    record(loop, "running", m_lastLoss);
    return {};
}

void HistoryHook::afterTrain(TrainLoop &loop, const core::Status &outcome)
{
    const LoopState &s = loop.state;
    const std::string status = s.diverged ? "diverged" : !outcome ? "failed" : s.cancelled ? "stopped" : s.stoppedEarly ? "stopped early" : "finished";
    record(loop, status, s.diverged ? s.loss : m_lastLoss);
}

void HistoryHook::record(TrainLoop &loop, const std::string &status, double lastLoss)
{
    if (!m_store) return;
    const bool val = loop.run.valData && loop.run.valData->size() > 0;
    nlohmann::json summary = {{"status", status}, {"epochs_done", loop.state.epochsDone + (loop.state.epochEnded ? 1 : 0)},
                              {"metric", loop.run.task == Task::Segmentation ? "val_miou" : "val_accuracy"}, {"final_loss", lastLoss}};
    if (val && loop.state.best != -1.0) summary["best"] = loop.state.best;
    m_record.config = configJson(loop.run.config);
    m_record.summary = summary;
    if (m_record.id == 0) {
        auto id = m_store->addRun(m_record);
        if (!id) return warn(loop, id.error().toString());
        m_record.id = *id;
    } else if (auto st = m_store->updateRun(m_record); !st) {
        warn(loop, st.error().toString());
    }
}

void HistoryHook::warn(TrainLoop &loop, const std::string &why)
{
    if (!m_warned) loop.run.callbacks->log("warning: the run is not recorded in the project's history: " + why);
    m_warned = true;
}

} // namespace training
