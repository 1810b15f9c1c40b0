#include "training/models/detection/torchvision_ops.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>

#ifndef ANNOTRAIN_TORCHVISION_OPS_DEFAULT
#error "ANNOTRAIN_TORCHVISION_OPS_DEFAULT must name torchvision's _C*.so (set by training/models/CMakeLists.txt)"
#endif

namespace training::detection {

namespace {

bool registered(const char *name) { return c10::Dispatcher::singleton().findSchema({name, ""}).has_value(); }

// Empty on success, else why the ops are not there.
std::string loadOnce()
{
    if (registered("torchvision::roi_align") && registered("torchvision::nms")) return {}; // linked or loaded by someone else
    const std::string path = torchvisionOpsPath();
    const std::string remedy = " (install python3-torchvision, reconfigure with -DANNOTRAIN_TORCHVISION_DIR=<folder of torchvision>, "
                               "or set ANNOTRAIN_TORCHVISION_OPS=<path of torchvision/_C*.so>)";
    if (!dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        const char *why = dlerror();
        return "cannot load torchvision's op library '" + path + "': " + (why ? why : "unknown error") + remedy;
    }
    for (const char *op : {"torchvision::roi_align", "torchvision::_roi_align_backward", "torchvision::nms"})
        if (!registered(op)) return "'" + path + "' does not register " + op + remedy;
    return {};
}

void check(const torch::Tensor &t, const char *what)
{
    TORCH_CHECK(t.defined(), what, " is an undefined tensor");
}

} // namespace

std::string torchvisionOpsPath()
{
    if (const char *env = std::getenv("ANNOTRAIN_TORCHVISION_OPS"); env && *env) return env;
    return ANNOTRAIN_TORCHVISION_OPS_DEFAULT;
}

void requireTorchvisionOps()
{
    static const std::string error = loadOnce();
    if (!error.empty()) throw std::runtime_error(error);
}

torch::Tensor roiAlign(const torch::Tensor &input, const torch::Tensor &rois, double spatialScale, int64_t pooledHeight,
                       int64_t pooledWidth, int64_t samplingRatio, bool aligned)
{
    check(input, "roi_align input");
    check(rois, "roi_align rois");
    TORCH_CHECK(input.dim() == 4, "roi_align input must be 4-D (N x C x H x W), got ", input.dim(), "-D");
    TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "rois must have shape K x 5 (batch index, x1, y1, x2, y2), got ", rois.sizes());
    TORCH_CHECK(input.device() == rois.device(), "roi_align input and rois must be on the same device");
    TORCH_CHECK(input.scalar_type() == rois.scalar_type(), "roi_align input and rois must have the same dtype");
    TORCH_CHECK(pooledHeight > 0 && pooledWidth > 0, "roi_align output size must be positive, got ", pooledHeight, " x ", pooledWidth);
    requireTorchvisionOps();
    static const auto op = c10::Dispatcher::singleton()
                               .findSchemaOrThrow("torchvision::roi_align", "")
                               .typed<at::Tensor(const at::Tensor &, const at::Tensor &, double, int64_t, int64_t, int64_t, bool)>();
    return op.call(input, rois, spatialScale, pooledHeight, pooledWidth, samplingRatio, aligned);
}

torch::Tensor roiAlignBackward(const torch::Tensor &grad, const torch::Tensor &rois, double spatialScale, int64_t pooledHeight,
                               int64_t pooledWidth, int64_t batchSize, int64_t channels, int64_t height, int64_t width,
                               int64_t samplingRatio, bool aligned)
{
    check(grad, "roi_align gradient");
    check(rois, "roi_align rois");
    TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0), "roi_align gradient must be K x C x PH x PW for K rois, got ", grad.sizes());
    TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "rois must have shape K x 5, got ", rois.sizes());
    requireTorchvisionOps();
    static const auto op =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("torchvision::_roi_align_backward", "")
            .typed<at::Tensor(const at::Tensor &, const at::Tensor &, double, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool)>();
    return op.call(grad, rois, spatialScale, pooledHeight, pooledWidth, batchSize, channels, height, width, samplingRatio, aligned);
}

torch::Tensor nms(const torch::Tensor &boxes, const torch::Tensor &scores, double iouThreshold)
{
    check(boxes, "nms boxes");
    check(scores, "nms scores");
    TORCH_CHECK(boxes.dim() == 2, "boxes must be 2-D, got ", boxes.dim(), "-D");
    TORCH_CHECK(boxes.size(1) == 4, "boxes must be N x 4 (x1, y1, x2, y2), got N x ", boxes.size(1));
    TORCH_CHECK(scores.dim() == 1, "scores must be 1-D, got ", scores.dim(), "-D");
    TORCH_CHECK(boxes.size(0) == scores.size(0), "boxes and scores must have the same number of elements, got ", boxes.size(0), " and ",
                scores.size(0));
    TORCH_CHECK(boxes.scalar_type() == scores.scalar_type(), "boxes and scores must have the same dtype");
    requireTorchvisionOps();
    static const auto op =
        c10::Dispatcher::singleton().findSchemaOrThrow("torchvision::nms", "").typed<at::Tensor(const at::Tensor &, const at::Tensor &, double)>();
    return op.call(boxes, scores, iouThreshold);
}

} // namespace training::detection
