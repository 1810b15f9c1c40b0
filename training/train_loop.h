#pragma once
// The trainer's skeleton (detectron2's TrainerBase): one loop for every task.
//
//   beforeTrain hooks
//   until stopped or done: beforeStep hooks, runStep, afterStep hooks
//   afterTrain hooks, always, whatever happened
//
// runStep asks the model for its named loss terms, sums them, steps the optimizer
// and records the terms in LoopState; everything else — the learning-rate
// schedule, pause and cancel, periodic evaluation, metrics, checkpoints, early
// stopping, the run's history, a time budget — is a hook (training/hooks.h). Any
// error or exception of a hook or a step stops the loop and becomes its Status.
#include "core/result.h"
#include "training/batch_loader.h"
#include "training/evaluator.h"
#include "training/metrics_storage.h"
#include "training/run_state.h"
#include "training/task_model.h"
#include "training/trainer.h"

#include <torch/torch.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace training {

// Everything a run trains with, built from its TrainConfig by the trainer.
struct TrainRun {
    TrainConfig config;                    // as the run uses it (a resumed run's own)
    Task task = Task::Classification;
    std::vector<std::string> classes;
    std::string outDir;
    std::unique_ptr<TaskModel> model;
    std::vector<torch::Tensor> params;     // what the optimizer steps
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::unique_ptr<Mapper> trainData, valData;
    std::unique_ptr<BatchLoader> loader;
    std::unique_ptr<Evaluator> evaluator;  // over valData
    std::unique_ptr<MetricsStorage> metrics;
    TrainCallbacks *callbacks = nullptr;
    const std::atomic<bool> *cancel = nullptr, *pause = nullptr;
    RunProgress resumed;                   // where a resumed run stood (zero for a new run)
};

// What the loop and its hooks share.
struct LoopState {
    int epoch = 1, epochs = 1;             // the epoch being trained (1-based) of how many
    std::int64_t step = 0;                 // optimiser steps since the run began
    std::int64_t stepInEpoch = 0, stepsPerEpoch = 0;
    bool epochEnded = false;               // the last step finished its epoch: after-step hooks evaluate, checkpoint, ...
    int epochsDone = 0;
    double lr = 0;
    double loss = 0;                       // the last step's total loss
    std::map<std::string, double> losses;  // and its terms
    std::size_t images = 0;                // in the last step
    double stepSeconds = 0;                // the last step's time, waiting for its batch included
    double epochLoss = 0;                  // sum of the step losses of this epoch
    double lastEpochLoss = 0;              // mean step loss of the last epoch finished
    std::optional<EvalMetrics> val;        // the evaluation of the epoch that just ended
    double best = -1;                      // best score so far (validation, else -loss); -1: none
    int badEpochs = 0;                     // epochs since it improved
    bool improved = false;                 // the epoch that just ended set a new best
    int savedEpoch = 0;                    // the epoch checkpoint-last.pt holds (0: none)
    bool stop = false, cancelled = false, stoppedEarly = false, diverged = false;
};

class TrainLoop;

class Hook {
public:
    virtual ~Hook() = default;
    virtual core::Status beforeTrain(TrainLoop &) { return {}; }
    virtual core::Status beforeStep(TrainLoop &) { return {}; }
    virtual core::Status afterStep(TrainLoop &) { return {}; }
    // Always runs once at the end; `outcome` is the error that ended the run, if any.
    virtual void afterTrain(TrainLoop &, const core::Status &outcome) { (void)outcome; }
};

class TrainLoop {
public:
    explicit TrainLoop(TrainRun &run);
    void add(std::unique_ptr<Hook> hook) { m_hooks.push_back(std::move(hook)); }
    core::Status train();

    TrainRun &run;
    LoopState state;
    // "the checkpoint of epoch N is kept" or "no checkpoint was written": for messages that end a run.
    std::string keptCheckpoint() const;

private:
    core::Status runStep();
    std::vector<std::unique_ptr<Hook>> m_hooks;
};

} // namespace training
