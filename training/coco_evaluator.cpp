#include "training/coco_evaluator.h"

namespace training {

CocoTaskEvaluator::CocoTaskEvaluator(std::vector<std::string> classes, bool masks) : m_classes(std::move(classes)), m_masks(masks) { reset(); }

void CocoTaskEvaluator::reset()
{
    m_gt = {};
    m_dts.clear();
    for (std::size_t k = 0; k < m_classes.size(); ++k) m_gt.categories.push_back({static_cast<std::int64_t>(k + 1), m_classes[k]});
}

core::Rle maskRle(const torch::Tensor &mask)
{
    const auto m = mask.to(torch::kUInt8).contiguous();
    return core::rleEncode(m.data_ptr<std::uint8_t>(), static_cast<std::uint32_t>(m.size(0)), static_cast<std::uint32_t>(m.size(1)), core::MaskOrder::RowMajor);
}

namespace {

core::Box xywh(const float *b) { return {b[0], b[1], b[2] - b[0], b[3] - b[1]}; }

} // namespace

void CocoTaskEvaluator::process(const Batch &inputs, const Predictions &outputs)
{
    const int S = static_cast<int>(inputs.images.size(3));
    for (std::size_t i = 0; i < inputs.instances.size(); ++i) {
        const std::int64_t imageId = static_cast<std::int64_t>(m_gt.images.size()) + 1;
        m_gt.images.push_back({imageId, std::to_string(imageId), S, S});
        const Instances &in = inputs.instances[i];
        const auto boxes = in.boxes.to(torch::kFloat).contiguous();
        for (long n = 0; n < boxes.size(0); ++n) {
            core::CocoAnnotation a;
            a.id = static_cast<std::int64_t>(m_gt.annotations.size()) + 1;
            a.imageId = imageId;
            a.categoryId = in.classes[n].item<std::int64_t>();
            a.box = xywh(boxes.data_ptr<float>() + 4 * n);
            a.area = a.box.w * a.box.h;
            if (m_masks && in.masks.defined()) {
                a.rle = maskRle(in.masks[n]);
                a.area = static_cast<double>(core::rleArea(*a.rle));
            }
            m_gt.annotations.push_back(std::move(a));
        }
        if (i >= outputs.detections.size()) continue;
        const Detections &d = outputs.detections[i];
        const auto db = d.boxes.to(torch::kFloat).contiguous();
        for (long n = 0; n < db.size(0); ++n) {
            core::CocoDetection c;
            c.imageId = imageId;
            c.categoryId = d.classes[n].item<std::int64_t>();
            c.box = xywh(db.data_ptr<float>() + 4 * n);
            c.score = d.scores[n].item<double>();
            if (m_masks && d.masks.defined()) c.mask = maskRle(d.masks[n] > 0.5);
            m_dts.push_back(std::move(c));
        }
    }
}

EvalMetrics CocoTaskEvaluator::evaluate()
{
    std::vector<core::CocoIouType> types{core::CocoIouType::Bbox};
    if (m_masks) types.push_back(core::CocoIouType::Segm);
    core::CocoEvaluator ev(m_gt, types);
    ev.process(m_dts);
    EvalMetrics m;
    m.scoreName = m_masks ? "segm_AP" : "bbox_AP";
    m.report["images"] = m_gt.images.size();
    auto summaries = ev.evaluate();
    if (!summaries) {
        m.report["error"] = summaries.error().toString();
        return m;
    }
    for (const auto &s : *summaries) {
        const std::string type = core::cocoIouTypeName(s.iouType);
        for (std::size_t k = 0; k < s.stats.size(); ++k) m.scalars[type + "_" + core::CocoSummary::statNames()[k]] = s.stats[k];
        m.report[type] = s.toJson();
        nlohmann::json per = nlohmann::json::object();
        for (const auto &c : s.perCategory) per[c.name] = c.ap;
        m.report[type]["per_class"] = per;
    }
    m.score = m.scalars[m.scoreName];
    return m;
}

} // namespace training
