#include "training/run_state.h"

#include "training/models/models.h"
#include "training/models/state_dict.h"

#include <cmath>
#include <map>

using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

constexpr std::int64_t kFormat = 1;

int kindOf(const std::string &name) { return name == "adam" ? 1 : name == "adamw" ? 2 : 0; }

// The optimizer's key for a parameter's state, as LibTorch's optimizers compute it.
std::string stateKey(const torch::Tensor &p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

template <typename State>
void saveAdamLike(const State &s, const std::string &prefix, StateDict &out)
{
    out.emplace_back(prefix + "step", torch::tensor(static_cast<std::int64_t>(s.step()), torch::kLong));
    out.emplace_back(prefix + "exp_avg", s.exp_avg());
    out.emplace_back(prefix + "exp_avg_sq", s.exp_avg_sq());
    if (s.max_exp_avg_sq().defined()) out.emplace_back(prefix + "max_exp_avg_sq", s.max_exp_avg_sq());
}

} // namespace

core::Status saveRunState(const std::string &path, const torch::nn::Module &model, const torch::optim::Optimizer &optimizer,
                          const std::string &optimizerName, const RunProgress &progress)
{
    StateDict out;
    for (auto &[name, t] : modelStateDict(model)) out.emplace_back("model." + name, t);
    const auto &params = optimizer.param_groups().at(0).params();
    const auto &state = optimizer.state();
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto it = state.find(stateKey(params[i]));
        if (it == state.end()) continue; // no step taken for it yet
        const std::string prefix = "optimizer." + std::to_string(i) + ".";
        if (const auto *sgd = dynamic_cast<const torch::optim::SGDParamState *>(it->second.get())) {
            if (sgd->momentum_buffer().defined()) out.emplace_back(prefix + "momentum_buffer", sgd->momentum_buffer());
        } else if (const auto *adam = dynamic_cast<const torch::optim::AdamParamState *>(it->second.get())) {
            saveAdamLike(*adam, prefix, out);
        } else if (const auto *adamw = dynamic_cast<const torch::optim::AdamWParamState *>(it->second.get())) {
            saveAdamLike(*adamw, prefix, out);
        } else {
            return makeError(ErrorCode::Internal, path, {}, "an optimizer state of an unknown kind");
        }
    }
    out.emplace_back("optimizer.kind", torch::tensor(static_cast<std::int64_t>(kindOf(optimizerName)), torch::kLong));
    out.emplace_back("optimizer.parameters", torch::tensor(static_cast<std::int64_t>(params.size()), torch::kLong));
    out.emplace_back("run.format", torch::tensor(kFormat, torch::kLong));
    out.emplace_back("run.epoch", torch::tensor(static_cast<std::int64_t>(progress.epoch), torch::kLong));
    out.emplace_back("run.step", torch::tensor(progress.step, torch::kLong));
    out.emplace_back("run.best", torch::tensor(progress.best, torch::kDouble));
    out.emplace_back("run.bad_epochs", torch::tensor(static_cast<std::int64_t>(progress.badEpochs), torch::kLong));
    if (auto err = saveStateDict(out, path); !err.empty()) return makeError(ErrorCode::Io, path, {}, err);
    return {};
}

core::Result<RunProgress> loadRunState(const std::string &path, torch::nn::Module &model, torch::optim::Optimizer &optimizer,
                                       const std::string &optimizerName)
{
    auto bad = [&](const std::string &why) -> core::Error { return makeError(ErrorCode::Invalid, path, {}, why); };
    auto file = loadStateDict(path);
    if (!file.ok()) return bad(file.error);
    std::map<std::string, torch::Tensor> byName;
    StateDict weights;
    for (auto &[name, t] : file.tensors) {
        if (name.rfind("model.", 0) == 0) weights.emplace_back(name.substr(6), t);
        else byName[name] = t;
    }
    // A whole number stored as a one-element integer tensor.
    auto integer = [&](const std::string &name, std::int64_t lo, std::int64_t hi) -> core::Result<std::int64_t> {
        auto it = byName.find(name);
        if (it == byName.end() || it->second.numel() != 1 || it->second.is_floating_point() || it->second.scalar_type() == torch::kBool)
            return bad("'" + name + "' is missing or not a whole number");
        const std::int64_t v = it->second.item<std::int64_t>();
        if (v < lo || v > hi) return bad("'" + name + "' is " + std::to_string(v) + ", out of range");
        return v;
    };
    auto format = integer("run.format", kFormat, kFormat);
    if (!format) return format.error();
    auto kind = integer("optimizer.kind", 0, 2);
    if (!kind) return kind.error();
    if (*kind != kindOf(optimizerName)) return bad("holds the state of another optimizer than " + optimizerName);
    const auto &params = optimizer.param_groups().at(0).params();
    auto count = integer("optimizer.parameters", 0, 1 << 24);
    if (!count) return count.error();
    if (static_cast<std::size_t>(*count) != params.size()) return bad("its optimizer steps another number of parameters than this run's model");
    RunProgress p;
    auto epoch = integer("run.epoch", 0, 1000000), step = integer("run.step", 0, std::int64_t(1) << 50), badEpochs = integer("run.bad_epochs", 0, 1000000);
    if (!epoch) return epoch.error();
    if (!step) return step.error();
    if (!badEpochs) return badEpochs.error();
    p.epoch = static_cast<int>(*epoch);
    p.step = *step;
    p.badEpochs = static_cast<int>(*badEpochs);
    auto best = byName.find("run.best");
    if (best == byName.end() || best->second.numel() != 1 || !best->second.is_floating_point() || !std::isfinite(best->second.item<double>()))
        return bad("'run.best' is missing or not a number");
    p.best = best->second.item<double>();

    const LoadReport rep = loadWeights(model, weights);
    if (!rep.missing.empty() || !rep.mismatched.empty() || !rep.unexpected.empty())
        return bad("its model does not fit this run (" + std::to_string(rep.missing.size()) + " missing, " + std::to_string(rep.mismatched.size()) +
                   " mismatched, " + std::to_string(rep.unexpected.size()) + " unexpected tensors)");
    // A buffer of the optimizer: present, the parameter's shape, moved to its device.
    auto buffer = [&](const std::string &name, const torch::Tensor &param, bool required) -> core::Result<torch::Tensor> {
        auto it = byName.find(name);
        if (it == byName.end()) {
            if (required) return bad("'" + name + "' is missing");
            return torch::Tensor();
        }
        if (it->second.sizes() != param.sizes() || !it->second.is_floating_point()) return bad("'" + name + "' does not fit its parameter");
        return it->second.to(param.device(), param.scalar_type()).clone();
    };
    auto &state = optimizer.state();
    state.clear();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string prefix = "optimizer." + std::to_string(i) + ".";
        const bool any = byName.lower_bound(prefix) != byName.end() && byName.lower_bound(prefix)->first.rfind(prefix, 0) == 0;
        if (!any) continue;
        if (*kind == 0) {
            auto m = buffer(prefix + "momentum_buffer", params[i], true);
            if (!m) return m.error();
            auto s = std::make_unique<torch::optim::SGDParamState>();
            s->momentum_buffer(*m);
            state[stateKey(params[i])] = std::move(s);
            continue;
        }
        auto st = integer(prefix + "step", 0, std::int64_t(1) << 50);
        if (!st) return st.error();
        auto avg = buffer(prefix + "exp_avg", params[i], true), sq = buffer(prefix + "exp_avg_sq", params[i], true);
        auto mx = buffer(prefix + "max_exp_avg_sq", params[i], false);
        if (!avg) return avg.error();
        if (!sq) return sq.error();
        if (!mx) return mx.error();
        auto fill = [&](auto s) {
            s->step(*st);
            s->exp_avg(*avg);
            s->exp_avg_sq(*sq);
            if (mx->defined()) s->max_exp_avg_sq(*mx);
            state[stateKey(params[i])] = std::move(s);
        };
        if (*kind == 1) fill(std::make_unique<torch::optim::AdamParamState>());
        else fill(std::make_unique<torch::optim::AdamWParamState>());
    }
    return p;
}

} // namespace training
