#pragma once
// Semantic segmentation: loss, pixel accuracy, IoU per class and their mean over the
// classes present (in truth or prediction), the confusion matrix over pixels (class
// 0 is the background). The loss is the model's on the canvas (kIgnore pixels left
// out); the rest is counted in each image's own pixels: the logits resized to the
// image against its regions rasterised at its size (training/describe.h), so that
// the numbers score the areas a person sees, not the canvas's steps. The score is
// the mean IoU.
#include "training/evaluator.h"
#include "training/mapper.h"

#include <string>
#include <vector>

namespace training {

class SegmentationEvaluator : public Evaluator {
public:
    // The foreground classes; `mapper`: the split's, which the batches come from (it must outlive this).
    SegmentationEvaluator(std::vector<std::string> classes, const Mapper &mapper);
    void reset() override;
    void process(const Batch &inputs, const Predictions &outputs) override;
    EvalMetrics evaluate() override;

private:
    std::vector<std::string> m_names; // "background", then the classes
    const Mapper &m_mapper;
    torch::Tensor m_confusion;        // K x K int64 pixel counts (rows: truth)
    double m_lossSum = 0, m_pixels = 0;
    std::size_t m_images = 0;
};

} // namespace training
