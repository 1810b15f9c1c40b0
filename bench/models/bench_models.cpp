// Training throughput of a model on synthetic data and the fraction of the
// machine's fp32 peak it reaches, the peak measured by a 2048 x 2048 matmul in the
// same run. Torch-only (training_models), so it also builds on the GPU machine.
// Usage: bench_models [--arch resnet18] [--size 224] [--batch 16] [--steps 10]
//                     [--device cpu|cuda] [--threads N] [--channels-last|--no-channels-last]
//                     [--cudnn-benchmark]
//        bench_models --arch maskrcnn_resnet50_fpn --data DROPLETS.pth [--weights INIT.pth]
//                     [--mode train|infer] [--size 512] [--steps 3] [--threads N] [--profile TRACE.json]
//        (detection: see bench_detection.cpp and run_detection.sh)
// The memory layout defaults to the trainer's choice (prefersChannelsLast).
// Prints one JSON line.
#include "bench/models/bench_detection.h"
#include "training/models/detection/rcnn.h"
#include "training/models/models.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

void sync(const torch::Device &d)
{
    if (d.is_cuda()) torch::cuda::synchronize();
}

// Best of several 2048^2 fp32 matmuls, in GFLOP/s (2 n^3 flops each).
double matmulPeak(const torch::Device &d)
{
    const long n = 2048;
    auto a = torch::randn({n, n}, torch::TensorOptions().device(d)), b = torch::randn({n, n}, torch::TensorOptions().device(d));
    auto c = torch::mm(a, b);
    sync(d);
    double best = 0;
    for (int rep = 0; rep < (d.is_cuda() ? 20 : 5); ++rep) {
        const auto t0 = Clock::now();
        const int inner = d.is_cuda() ? 20 : 1;
        for (int i = 0; i < inner; ++i) c = torch::mm(a, b);
        sync(d);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        best = std::max(best, inner * 2.0 * n * n * n / s / 1e9);
    }
    return best;
}

// Forward multiply-accumulates per image at 224 x 224, as torchvision publishes them ("GFLOPS").
double forwardGmacs224(const std::string &arch)
{
    if (arch == "resnet18") return 1.814;
    if (arch == "resnet34") return 3.664;
    if (arch == "resnet50") return 4.089;
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    std::string arch = "resnet18", device = "cpu";
    int size = 224, batch = 16, steps = 10, threads = static_cast<int>(std::thread::hardware_concurrency());
    int channelsLastFlag = -1;
    bool cudnnBenchmark = false;
    DetectionBenchArgs det;
    for (int i = 1; i < argc; ++i) {
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (!std::strcmp(argv[i], "--arch")) arch = next();
        else if (!std::strcmp(argv[i], "--size")) size = std::stoi(next());
        else if (!std::strcmp(argv[i], "--batch")) batch = std::stoi(next());
        else if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(next());
        else if (!std::strcmp(argv[i], "--device")) device = next();
        else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(next());
        else if (!std::strcmp(argv[i], "--channels-last")) channelsLastFlag = 1;
        else if (!std::strcmp(argv[i], "--no-channels-last")) channelsLastFlag = 0;
        else if (!std::strcmp(argv[i], "--cudnn-benchmark")) cudnnBenchmark = true;
        else if (!std::strcmp(argv[i], "--data")) det.data = next();
        else if (!std::strcmp(argv[i], "--weights")) det.weights = next();
        else if (!std::strcmp(argv[i], "--mode")) det.mode = next();
        else if (!std::strcmp(argv[i], "--profile")) det.profile = next();
        else {
            std::fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    torch::set_num_threads(threads);
    if (training::detection::isDetectionArch(arch)) {
        if (device != "cpu") {
            std::fprintf(stderr, "the detection benchmark runs on the CPU only\n");
            return 2;
        }
        det.arch = arch;
        det.steps = steps;
        det.size = size;
        det.channelsLast = channelsLastFlag != 0;
        try {
            return runDetectionBench(det);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
    }
    const torch::Device dev(device == "cuda" ? torch::kCUDA : torch::kCPU);
    if (dev.is_cuda() && !torch::cuda::is_available()) {
        std::fprintf(stderr, "no CUDA device\n");
        return 2;
    }
    const bool channelsLast = channelsLastFlag >= 0 ? channelsLastFlag == 1 : training::prefersChannelsLast(arch, dev.is_cuda());
    if (cudnnBenchmark) at::globalContext().setBenchmarkCuDNN(true); // pick the fastest convolution algorithms per shape
    const double peak = matmulPeak(dev);
    torch::manual_seed(0);
    auto model = training::makeModel({arch, 1000, 3, size});
    model->to(dev);
    if (channelsLast) training::toChannelsLast(*model);
    model->train();
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    auto x = torch::randn({batch, 3, size, size}, torch::TensorOptions().device(dev));
    if (channelsLast) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto y = torch::randint(0, 1000, {batch}, torch::TensorOptions().dtype(torch::kLong).device(dev));
    auto step = [&] {
        opt.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
        loss.backward();
        opt.step();
    };
    for (int i = 0; i < 2; ++i) step(); // warm-up: allocator, kernel selection
    sync(dev);
    const auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) step();
    sync(dev);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double ips = steps * batch / secs;
    // Training = forward + backward ~ 3x the forward work.
    const double gmacs = forwardGmacs224(arch) * (size / 224.0) * (size / 224.0);
    std::printf("{\"side\": \"ours\", \"arch\": \"%s\", \"device\": \"%s\", \"channels_last\": %s, \"threads\": %d, \"size\": %d, \"batch\": %d, \"steps\": %d, "
                "\"images_per_s\": %.2f, \"matmul_gflops\": %.1f, \"train_gmacs_per_s\": %.1f, \"peak_fraction_macs\": %.3f, "
                "\"peak_fraction_flops\": %.3f}\n",
                arch.c_str(), device.c_str(), channelsLast ? "true" : "false", threads, size, batch, steps, ips, peak, ips * 3 * gmacs, ips * 3 * gmacs / peak, ips * 6 * gmacs / peak);
    return 0;
}
