#include "training/models/detection/poolers.h"

#include "training/models/detection/box_ops.h"
#include "training/models/detection/torchvision_ops.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace training::detection {

LevelMapper::LevelMapper(int64_t kMin, int64_t kMax, int64_t canonicalScale, int64_t canonicalLevel, double eps)
    : m_kMin(kMin), m_kMax(kMax), m_s0(canonicalScale), m_lvl0(canonicalLevel), m_eps(eps)
{
}

torch::Tensor LevelMapper::operator()(const std::vector<torch::Tensor> &boxes) const
{
    std::vector<torch::Tensor> areas;
    for (const auto &b : boxes) areas.push_back(boxArea(b));
    const torch::Tensor s = torch::sqrt(torch::cat(areas));
    const torch::Tensor eps = torch::tensor(m_eps, s.options());
    const torch::Tensor levels = torch::floor(torch::log2(s / static_cast<double>(m_s0)) + static_cast<double>(m_lvl0) + eps);
    return levels.clamp(m_kMin, m_kMax).to(torch::kLong) - m_kMin;
}

double inferScale(const torch::Tensor &feature, const std::array<int64_t, 2> &maxImageSize)
{
    // torchvision takes the height's scale: 2 ** round(log2(feature_h / image_h)), computed in float32.
    const float approx = static_cast<float>(static_cast<double>(feature.size(-2)) / static_cast<double>(maxImageSize[0]));
    return std::pow(2.0, static_cast<double>(std::nearbyint(std::log2(approx))));
}

torch::Tensor toRoiFormat(const std::vector<torch::Tensor> &boxes)
{
    std::vector<torch::Tensor> rows;
    for (std::size_t i = 0; i < boxes.size(); ++i)
        rows.push_back(torch::cat({torch::full({boxes[i].size(0), 1}, static_cast<double>(i), boxes[i].options()), boxes[i]}, 1));
    return torch::cat(rows);
}

MultiScaleRoIAlign::MultiScaleRoIAlign(int64_t outputSize, int64_t samplingRatio, int64_t canonicalScale, int64_t canonicalLevel)
    : m_output(outputSize), m_sampling(samplingRatio), m_s0(canonicalScale), m_lvl0(canonicalLevel)
{
}

namespace {

// The pooled levels' RoIAlign as one autograd node. torchvision's CPU kernels run
// on one core each; here every level's boxes are split into one slice per thread
// and the slices are pooled (and their gradients computed) in parallel, each by
// torchvision's own kernel. Forward: rois of each level, pooled into the rows of
// the result they belong to. Backward: the gradient of each level, the sum of
// its slices' gradients.
struct LevelSlice {
    std::size_t level;
    torch::Tensor rows; // indices into the result / the rois
};

std::vector<std::vector<LevelSlice>> planSlices(const torch::Tensor &levels, std::size_t numLevels, int64_t threads)
{
    std::vector<std::vector<LevelSlice>> tasks(static_cast<std::size_t>(threads));
    for (std::size_t l = 0; l < numLevels; ++l) {
        const torch::Tensor idx = torch::where(levels == static_cast<int64_t>(l))[0];
        const int64_t k = idx.size(0);
        if (k == 0) continue;
        // Small levels stay whole: their kernel launch would cost more than it saves.
        const int64_t parts = k >= 16 * threads ? threads : 1;
        for (int64_t t = 0; t < parts; ++t) {
            const int64_t b = k * t / parts, e = k * (t + 1) / parts;
            // Spread whole levels over the threads too, so that one thread does not get them all.
            const auto task = static_cast<std::size_t>(parts == 1 ? static_cast<int64_t>(l) % threads : t);
            tasks[task].push_back({l, idx.slice(0, b, e)});
        }
    }
    return tasks;
}

class MultiLevelRoIAlign : public torch::autograd::Function<MultiLevelRoIAlign> {
public:
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, torch::TensorList features, const torch::Tensor &rois,
                                                  const torch::Tensor &levels, std::vector<double> scales, int64_t output, int64_t sampling)
    {
        const int64_t threads = std::max(1, at::get_num_threads());
        const auto tasks = planSlices(levels, features.size(), threads);
        const torch::Tensor &f0 = features.front();
        torch::Tensor result = at::empty({rois.size(0), f0.size(1), output, output}, f0.options().memory_format(torch::MemoryFormat::Contiguous));
        std::vector<torch::Tensor> detached;
        for (const auto &f : features) detached.push_back(f.detach());
        const torch::Tensor r = rois.detach();
        at::parallel_for(0, static_cast<int64_t>(tasks.size()), 1, [&](int64_t b, int64_t e) {
            torch::NoGradGuard noGrad; // worker threads do not inherit the caller's grad mode
            for (int64_t t = b; t < e; ++t)
                for (const auto &s : tasks[static_cast<std::size_t>(t)]) {
                    const torch::Tensor pooled = roiAlign(detached[s.level], r.index_select(0, s.rows), scales[s.level], output, output, sampling, false);
                    result.index_copy_(0, s.rows, pooled);
                }
        });
        ctx->save_for_backward({rois, levels});
        ctx->saved_data["scales"] = scales;
        ctx->saved_data["output"] = output;
        ctx->saved_data["sampling"] = sampling;
        std::vector<int64_t> shapes;
        for (const auto &f : features) shapes.insert(shapes.end(), {f.size(0), f.size(1), f.size(2), f.size(3)});
        ctx->saved_data["shapes"] = shapes;
        return {result};
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &rois = saved[0], &levels = saved[1];
        const std::vector<double> scales = ctx->saved_data["scales"].toDoubleVector();
        const int64_t output = ctx->saved_data["output"].toInt(), sampling = ctx->saved_data["sampling"].toInt();
        const std::vector<int64_t> shapes = ctx->saved_data["shapes"].toIntVector();
        const std::size_t numLevels = scales.size();
        const int64_t threads = std::max(1, at::get_num_threads());
        const auto tasks = planSlices(levels, numLevels, threads);
        const torch::Tensor grad = grads[0].contiguous();
        // One gradient per (task, level) that the task touches, summed afterwards.
        std::vector<std::vector<torch::Tensor>> partial(tasks.size(), std::vector<torch::Tensor>(numLevels));
        at::parallel_for(0, static_cast<int64_t>(tasks.size()), 1, [&](int64_t b, int64_t e) {
            torch::NoGradGuard noGrad;
            for (int64_t t = b; t < e; ++t)
                for (const auto &s : tasks[static_cast<std::size_t>(t)]) {
                    const int64_t *sh = &shapes[4 * s.level];
                    torch::Tensor g = roiAlignBackward(grad.index_select(0, s.rows), rois.index_select(0, s.rows), scales[s.level], output, output, sh[0],
                                                       sh[1], sh[2], sh[3], sampling, false);
                    torch::Tensor &acc = partial[static_cast<std::size_t>(t)][s.level];
                    acc = acc.defined() ? acc.add_(g) : g;
                }
        });
        torch::autograd::variable_list out;
        for (std::size_t l = 0; l < numLevels; ++l) {
            torch::Tensor sum;
            for (auto &p : partial)
                if (p[l].defined()) sum = sum.defined() ? sum.add_(p[l]) : p[l];
            if (!sum.defined()) {
                const int64_t *sh = &shapes[4 * l];
                sum = torch::zeros({sh[0], sh[1], sh[2], sh[3]}, grad.options());
            }
            out.push_back(sum);
        }
        out.resize(numLevels + 5); // no gradient for rois, levels, scales, output size, sampling ratio
        return out;
    }
};

} // namespace

torch::Tensor MultiScaleRoIAlign::operator()(const std::vector<torch::Tensor> &features, const std::vector<torch::Tensor> &boxes,
                                             const ImageSizes &imageSizes) const
{
    TORCH_CHECK(!features.empty(), "MultiScaleRoIAlign needs at least one feature map");
    TORCH_CHECK(!imageSizes.empty(), "images list should not be empty");
    TORCH_CHECK(boxes.size() == imageSizes.size(), "MultiScaleRoIAlign: ", boxes.size(), " box lists for ", imageSizes.size(), " images");
    std::array<int64_t, 2> maxSize{0, 0};
    for (const auto &s : imageSizes) maxSize = {std::max(maxSize[0], s[0]), std::max(maxSize[1], s[1])};
    std::vector<double> scales;
    for (const auto &f : features) scales.push_back(inferScale(f, maxSize));
    const torch::Tensor rois = toRoiFormat(boxes);
    if (features.size() == 1) return roiAlign(features[0], rois, scales[0], m_output, m_output, m_sampling, false);

    const auto kMin = static_cast<int64_t>(-std::log2(static_cast<float>(scales.front())));
    const auto kMax = static_cast<int64_t>(-std::log2(static_cast<float>(scales.back())));
    const torch::Tensor levels = LevelMapper(kMin, kMax, m_s0, m_lvl0)(boxes);
    // torchvision's CPU kernel works on NCHW: convert each level once (callers that pool
    // the same levels twice, as the box and mask heads do, pass NCHW levels already).
    std::vector<torch::Tensor> nchw;
    for (const auto &f : features) {
        TORCH_CHECK(f.dim() == 4 && f.size(1) == features.front().size(1) && f.scalar_type() == rois.scalar_type(),
                    "MultiScaleRoIAlign: every level must be N x C x H x W with the same C and the boxes' dtype");
        nchw.push_back(f.contiguous());
    }
    if (!rois.device().is_cpu()) {
        // On CUDA torchvision's kernel is parallel already: pool level by level, as torchvision does.
        const torch::Tensor &f0 = nchw.front();
        torch::Tensor result = torch::zeros({rois.size(0), f0.size(1), m_output, m_output}, f0.options());
        for (std::size_t l = 0; l < nchw.size(); ++l) {
            const torch::Tensor idx = torch::where(levels == static_cast<int64_t>(l))[0];
            result.index_put_({idx}, roiAlign(nchw[l], rois.index_select(0, idx), scales[l], m_output, m_output, m_sampling, false));
        }
        return result;
    }
    return MultiLevelRoIAlign::apply(torch::TensorList(nchw), rois, levels, scales, m_output, m_sampling)[0];
}

} // namespace training::detection
