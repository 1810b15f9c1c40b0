#include "training/segmentation_evaluator.h"

#include "training/describe.h"

namespace training {

SegmentationEvaluator::SegmentationEvaluator(std::vector<std::string> classes, const Mapper &mapper) : m_mapper(mapper)
{
    m_names = {"background"};
    m_names.insert(m_names.end(), classes.begin(), classes.end());
    reset();
}

void SegmentationEvaluator::reset()
{
    const long K = static_cast<long>(m_names.size());
    m_confusion = torch::zeros({K, K}, torch::kLong);
    m_lossSum = m_pixels = 0;
    m_images = 0;
}

void SegmentationEvaluator::process(const Batch &inputs, const Predictions &outputs)
{
    const long K = static_cast<long>(m_names.size());
    const torch::Tensor &y = inputs.masks;
    m_lossSum += crossEntropy(outputs.logits, y, true).item<double>();
    const auto valid = y.ne(kIgnore);
    m_pixels += valid.sum().item<double>();
    const ImageCache &cache = m_mapper.cache();
    for (std::size_t i = 0; i < inputs.indices.size(); ++i) {
        const std::size_t index = inputs.indices[i];
        const int width = cache.imageWidth(index), height = cache.imageHeight(index);
        const auto p = classMap(logitsInImage(outputs.logits[static_cast<long>(i)], cache.scaleX(index), cache.scaleY(index), width, height)).reshape(-1);
        auto labels = labelsInImage(cache, index);
        const auto t = torch::from_blob(labels.data(), {static_cast<long>(labels.size())}, torch::kUInt8).to(torch::kLong);
        m_confusion += torch::bincount(t * K + p, {}, K * K).view({K, K});
    }
    m_images += inputs.indices.size();
}

EvalMetrics SegmentationEvaluator::evaluate()
{
    const auto c = m_confusion.to(torch::kDouble);
    const double total = c.sum().item<double>();
    const auto inter = c.diag(), uni = c.sum(0) + c.sum(1) - c.diag();
    double sum = 0;
    int present = 0;
    nlohmann::json perClass = nlohmann::json::object();
    const std::size_t K = m_names.size();
    std::vector<std::vector<std::int64_t>> confusion(K, std::vector<std::int64_t>(K, 0));
    for (std::size_t k = 0; k < K; ++k) {
        const long kk = static_cast<long>(k);
        const double u = uni[kk].item<double>();
        const double iou = u > 0 ? inter[kk].item<double>() / u : -1; // -1: absent from truth and prediction
        if (u > 0) {
            sum += iou;
            ++present;
        }
        std::int64_t pixels = 0;
        for (std::size_t p = 0; p < K; ++p) {
            confusion[k][p] = m_confusion[kk][static_cast<long>(p)].item<std::int64_t>();
            pixels += confusion[k][p];
        }
        perClass[m_names[k]] = {{"iou", iou < 0 ? nlohmann::json(nullptr) : nlohmann::json(iou)}, {"pixels", pixels}};
    }
    EvalMetrics m;
    const double pixelAccuracy = total > 0 ? c.diag().sum().item<double>() / total : 0, miou = present ? sum / present : 0;
    m.scalars = {{"loss", m_pixels > 0 ? m_lossSum / m_pixels : 0}, {"pixel_accuracy", pixelAccuracy}, {"miou", miou}};
    m.scoreName = "miou";
    m.score = miou;
    m.report = {{"images", m_images}, {"loss", m.scalars["loss"]}, {"pixel_accuracy", pixelAccuracy}, {"miou", miou},
                {"classes", m_names}, {"per_class", perClass}, {"confusion", confusion}};
    return m;
}

} // namespace training
