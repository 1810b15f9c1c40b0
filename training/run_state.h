#pragma once
// What `train --resume` continues from, as one plain state dict
// (RUN_DIR/train-state.pt) written and read by the project's own reader and writer
// (training/models/state_dict.h), never by torch::load: a TorchScript archive such
// as torch::save(optimizer) writes can run code when it is loaded, and a run folder
// may come from anyone. The file holds tensors by name:
//   model.<name>                 every parameter and buffer of the model
//   optimizer.<i>.<buffer>       the optimizer's state of its i-th parameter:
//                                momentum_buffer (sgd); step, exp_avg, exp_avg_sq,
//                                max_exp_avg_sq (adam, adamw)
//   optimizer.kind, .parameters  0 sgd, 1 adam, 2 adamw; how many parameters it steps
//   run.format, .epoch, .step, .best, .bad_epochs
// It is written atomically after each epoch, so a crash at any moment leaves a state
// from which the run continues to the same weights as an uninterrupted one.
#include "core/result.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace training {

struct RunProgress {
    int epoch = 0;              // epochs finished
    std::int64_t step = 0;      // optimiser steps taken
    double best = -1;           // best validation score so far (-1: none yet)
    int badEpochs = 0;          // epochs since it last improved (early stopping)
};

core::Status saveRunState(const std::string &path, const torch::nn::Module &model, const torch::optim::Optimizer &optimizer,
                          const std::string &optimizerName, const RunProgress &progress);
// Restores the model and the optimizer (built as for the run, same parameters in the
// same order) and returns the progress. Anything that does not fit is an error naming the file.
core::Result<RunProgress> loadRunState(const std::string &path, torch::nn::Module &model, torch::optim::Optimizer &optimizer,
                                       const std::string &optimizerName);

} // namespace training
