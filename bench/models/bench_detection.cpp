// Detection mode of bench_models: train-step and per-image inference time of our
// Faster/Mask R-CNN on the batch prepare_droplets.py writes, from the initial
// weights peer_detection.py writes, so both sides run the same model on the same
// pixels. See bench/README.md and run_detection.sh.
#include "bench/models/bench_detection.h"

#include "training/models/detection/rcnn.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

namespace {

using Clock = std::chrono::steady_clock;

const torch::Tensor &get(const training::StateDict &sd, const std::string &name)
{
    for (const auto &[k, t] : sd)
        if (k == name) return t;
    static const torch::Tensor none;
    return none;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace

int runDetectionBench(const DetectionBenchArgs &a)
{
    using namespace training;
    using namespace training::detection;
    auto data = loadStateDict(a.data);
    if (!data.ok()) {
        std::fprintf(stderr, "%s\n", data.error.c_str());
        return 2;
    }
    std::vector<torch::Tensor> images;
    std::vector<DetectionTarget> targets;
    for (int i = 0;; ++i) {
        const std::string s = std::to_string(i);
        const torch::Tensor &img = get(data.tensors, "image" + s);
        if (!img.defined()) break;
        images.push_back(img.to(torch::kFloat) / 255);
        targets.push_back({get(data.tensors, "boxes" + s), get(data.tensors, "labels" + s), get(data.tensors, "masks" + s)});
    }
    if (images.size() < 2) {
        std::fprintf(stderr, "%s: needs at least two images\n", a.data.c_str());
        return 2;
    }
    DetectionOptions o;
    o.arch = a.arch;
    o.numClasses = 2;
    o.transform.minSize = {a.size};
    o.transform.maxSize = a.size;
    torch::manual_seed(0);
    DetectionModel model(o);
    if (!a.weights.empty()) {
        auto w = loadStateDict(a.weights);
        if (!w.ok()) {
            std::fprintf(stderr, "%s\n", w.error.c_str());
            return 2;
        }
        const LoadReport r = loadDetectionWeights(*model, w.tensors);
        if (!r.missing.empty() || !r.mismatched.empty() || !r.unexpected.empty()) {
            std::fprintf(stderr, "%s: not a %s state dict for 2 classes\n", a.weights.c_str(), a.arch.c_str());
            return 2;
        }
    }
    model->setChannelsLast(a.channelsLast);
    const std::size_t n = images.size();
    std::vector<double> times;
    std::size_t detections = 0;
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    auto timed = [&](int steps, auto &&body) {
        for (int step = 0; step <= steps; ++step) { // the first step warms up
            if (step == steps && !a.profile.empty()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(a.profile);
            const auto t0 = Clock::now();
            body(step);
            if (step) times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        }
        profile.reset();
    };
    if (a.mode == "train") {
        model->train();
        std::vector<torch::Tensor> params;
        for (auto &p : model->parameters())
            if (p.requires_grad()) params.push_back(p);
        torch::optim::SGD opt(params, torch::optim::SGDOptions(0.005).momentum(0.9).weight_decay(1e-4));
        timed(a.steps, [&](int step) {
            const std::size_t i = (2 * static_cast<std::size_t>(step)) % n;
            const std::vector<torch::Tensor> batch{images[i], images[(i + 1) % n]};
            const auto losses = model->losses(batch, {targets[i], targets[(i + 1) % n]});
            torch::Tensor loss = torch::zeros({});
            for (const auto &[k, v] : losses) loss = loss + v;
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
    } else {
        model->eval();
        timed(a.steps, [&](int step) { detections = model->detect({images[static_cast<std::size_t>(step) % n]})[0].boxes.size(0); });
    }
    std::string list;
    for (double t : times) list += (list.empty() ? "" : ", ") + std::to_string(t);
    std::printf("{\"side\": \"ours\", \"arch\": \"%s\", \"mode\": \"%s\", \"threads\": %d, \"steps\": %d, \"channels_last\": %s, \"seconds\": [%s], "
                "\"median_s\": %.4f, \"detections\": %zu}\n",
                a.arch.c_str(), a.mode.c_str(), torch::get_num_threads(), a.steps, a.channelsLast ? "true" : "false", list.c_str(), median(times),
                detections);
    return 0;
}
