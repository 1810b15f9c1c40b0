#pragma once
// Semantic segmentation: loss, pixel accuracy, IoU per class and their mean over the
// classes present (in truth or prediction), the confusion matrix over pixels (class
// 0 is the background; kIgnore pixels are left out). The score is the mean IoU.
#include "training/evaluator.h"

#include <string>
#include <vector>

namespace training {

class SegmentationEvaluator : public Evaluator {
public:
    explicit SegmentationEvaluator(std::vector<std::string> classes); // the foreground classes
    void reset() override;
    void process(const Batch &inputs, const Predictions &outputs) override;
    EvalMetrics evaluate() override;

private:
    std::vector<std::string> m_names; // "background", then the classes
    torch::Tensor m_confusion;        // K x K int64 pixel counts (rows: truth)
    double m_lossSum = 0, m_pixels = 0;
    std::size_t m_images = 0;
};

} // namespace training
