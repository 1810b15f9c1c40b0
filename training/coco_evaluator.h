#pragma once
// Detection and instance segmentation: core's COCO evaluator (pycocotools' numbers)
// over a split, in the mapper's canvas pixels. The ground truth is what the mapper
// gives the model (boxes clipped to the canvas, masks rasterised with core's
// pixel-centre rule); the detections are the model's, masks thresholded at 0.5.
// Scalars: bbox_AP, bbox_AP50, ... (and segm_* with masks), the 12 numbers each;
// the score is segm_AP with masks, else bbox_AP. The report holds "bbox" (and
// "segm") objects with the 12 numbers by name and "per_class" AP.
#include "core/coco_eval.h"
#include "training/evaluator.h"

#include <string>
#include <vector>

namespace training {

class CocoTaskEvaluator : public Evaluator {
public:
    CocoTaskEvaluator(std::vector<std::string> classes, bool masks);
    void reset() override;
    void process(const Batch &inputs, const Predictions &outputs) override;
    EvalMetrics evaluate() override;

private:
    std::vector<std::string> m_classes;
    bool m_masks;
    core::CocoGroundTruth m_gt;
    std::vector<core::CocoDetection> m_dts;
};

// A binary mask (non-zero: inside) of H x W bytes, row-major, as COCO's RLE.
core::Rle maskRle(const torch::Tensor &mask);

} // namespace training
