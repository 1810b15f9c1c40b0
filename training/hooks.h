#pragma once
// The hooks of the train loop (detectron2's engine/hooks.py), in the order the
// trainer adds them. Before each step: ControlHook (pause, cancel), LrScheduleHook.
// After each step: EvalHook (at epoch ends), MetricsHook (metric lines, the epoch
// log line), CheckpointHook (checkpoints and train-state.pt at epoch ends),
// EarlyStopHook, HistoryHook (the run's entry in the project). Their afterTrain
// always runs: the history records how the run ended, a cancel says what is kept.
#include "core/project_store.h"
#include "training/train_loop.h"

#include <memory>

namespace training {

// The learning rate at `step`: linear warm-up over warmupEpochs, then constant, a
// step decay (x0.1 at each third of the run) or a cosine to 0 over `epochs`.
double scheduledLr(const TrainConfig &c, int epochs, std::int64_t step, std::int64_t stepsPerEpoch);

class ControlHook : public Hook {
public:
    core::Status beforeStep(TrainLoop &loop) override;
    void afterTrain(TrainLoop &loop, const core::Status &outcome) override;
};

class LrScheduleHook : public Hook {
public:
    core::Status beforeStep(TrainLoop &loop) override;
};

// At each epoch's end: the evaluator over the val split (when there is one) and the
// best score so far (validation score, else the negative training loss).
class EvalHook : public Hook {
public:
    core::Status afterStep(TrainLoop &loop) override;
};

// A metric line every `logEvery` steps and at each epoch's end (averages over the
// steps since the last line), an epoch line with the validation metrics, and a log
// line per epoch.
class MetricsHook : public Hook {
public:
    core::Status afterStep(TrainLoop &loop) override;

private:
    MetricsSample sample(const TrainLoop &loop) const;
    double m_loss = 0, m_images = 0, m_seconds = 0;
    int m_steps = 0;
    std::map<std::string, double> m_terms, m_epochTerms;
};

// At each epoch's end: checkpoint-last.pt (the model as a torchvision-style state
// dict), checkpoint-best.pt when it improved, then train-state.pt (what --resume
// reads), each replaced atomically; a crash between them resumes from the epoch before.
class CheckpointHook : public Hook {
public:
    core::Status afterStep(TrainLoop &loop) override;
};

class EarlyStopHook : public Hook {
public:
    core::Status afterStep(TrainLoop &loop) override;
};

// The run's entry in the project's history (the runs table), found again by its
// folder when a run resumes. The history is a convenience: when the project cannot
// be written the run goes on and says so once.
class HistoryHook : public Hook {
public:
    core::Status beforeTrain(TrainLoop &loop) override;
    core::Status afterStep(TrainLoop &loop) override;
    void afterTrain(TrainLoop &loop, const core::Status &outcome) override;

private:
    void record(TrainLoop &loop, const std::string &status, double lastLoss);
    void warn(TrainLoop &loop, const std::string &why);
    std::unique_ptr<core::ProjectStore> m_store;
    core::RunRecord m_record;
    double m_lastLoss = 0;
    bool m_warned = false;
};

} // namespace training
