#pragma once
// Detection and instance segmentation: core's COCO evaluator (pycocotools' numbers)
// over a split, in each image's own pixels. The ground truth is the records' regions
// as `export --format coco` writes them (box, area, outline); the detections are the
// model's as `predict` writes them (training/describe.h: toImage), masks pasted over
// their boxes in the image's pixels and thresholded at 0.5. So `eval` gives what pycocotools gives for
// `predict --project` against the project's COCO export.
// Scalars: bbox_AP, bbox_AP50, ... (and segm_* with masks), the 12 numbers each;
// the score is segm_AP with masks, else bbox_AP. The report holds "bbox" (and
// "segm") objects with the 12 numbers by name and "per_class" AP.
#include "core/coco_eval.h"
#include "training/evaluator.h"
#include "training/mapper.h"

#include <string>
#include <vector>

namespace training {

class CocoTaskEvaluator : public Evaluator {
public:
    // `mapper`: the split's, which the batches given to process come from; it must outlive this.
    CocoTaskEvaluator(std::vector<std::string> classes, bool masks, const Mapper &mapper);
    void reset() override;
    void process(const Batch &inputs, const Predictions &outputs) override;
    EvalMetrics evaluate() override;

private:
    std::vector<std::string> m_classes;
    bool m_masks;
    const Mapper &m_mapper;
    core::CocoGroundTruth m_gt;
    std::vector<core::CocoDetection> m_dts;
};

} // namespace training
