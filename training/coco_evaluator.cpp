#include "training/coco_evaluator.h"

#include "training/describe.h"

namespace training {

CocoTaskEvaluator::CocoTaskEvaluator(std::vector<std::string> classes, bool masks, const Mapper &mapper)
    : m_classes(std::move(classes)), m_masks(masks), m_mapper(mapper)
{
    reset();
}

void CocoTaskEvaluator::reset()
{
    m_gt = {};
    m_dts.clear();
    for (std::size_t k = 0; k < m_classes.size(); ++k) m_gt.categories.push_back({static_cast<std::int64_t>(k + 1), m_classes[k]});
}

void CocoTaskEvaluator::process(const Batch &inputs, const Predictions &outputs)
{
    const ImageCache &cache = m_mapper.cache();
    for (std::size_t i = 0; i < inputs.indices.size(); ++i) {
        const std::size_t index = inputs.indices[i];
        const std::int64_t imageId = static_cast<std::int64_t>(m_gt.images.size()) + 1;
        const int width = cache.imageWidth(index), height = cache.imageHeight(index);
        m_gt.images.push_back({imageId, cache.record(index).path, width, height});
        // The truth as `export --format coco` writes it: box, area and outline of each region.
        for (const auto &r : cache.record(index).regions) {
            core::CocoAnnotation a;
            a.id = static_cast<std::int64_t>(m_gt.annotations.size()) + 1;
            a.imageId = imageId;
            a.categoryId = r.classIndex + 1;
            a.box = r.shape.boundingBox();
            a.area = r.shape.area();
            if (m_masks) {
                std::vector<double> xy;
                for (const core::Point &p : r.shape.toPolygon(32)) xy.push_back(p.x), xy.push_back(p.y);
                a.polygons.push_back(std::move(xy));
            }
            m_gt.annotations.push_back(std::move(a));
        }
        if (i >= outputs.detections.size()) continue;
        // The detections as `predict` writes them.
        Detections d = outputs.detections[i];
        if (!m_masks) d.masks = torch::Tensor();
        auto found = toImage(d, cache.scaleX(index), cache.scaleY(index), width, height, 0.0, false);
        for (auto &c : found.coco) {
            c.imageId = imageId;
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
