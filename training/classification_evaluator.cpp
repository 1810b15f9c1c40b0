#include "training/classification_evaluator.h"

namespace training {

ClassificationEvaluator::ClassificationEvaluator(std::vector<std::string> classes, const Mapper &mapper)
    : m_classes(std::move(classes)), m_mapper(mapper)
{
    reset();
}

void ClassificationEvaluator::reset()
{
    const std::size_t K = m_classes.size();
    m_confusion.assign(K, std::vector<std::int64_t>(K, 0));
    m_images = m_top5 = 0;
    m_lossSum = 0;
    m_wrong = nlohmann::json::array();
}

void ClassificationEvaluator::process(const Batch &inputs, const Predictions &outputs)
{
    const torch::Tensor &logits = outputs.logits;
    m_lossSum += crossEntropy(logits, inputs.labels, true).item<double>();
    const auto prob = torch::softmax(logits, 1);
    const auto pred = logits.argmax(1);
    const auto top5 = std::get<1>(logits.topk(std::min<std::int64_t>(5, logits.size(1)), 1));
    for (long i = 0; i < logits.size(0); ++i) {
        const std::int64_t t = inputs.labels[i].item<std::int64_t>(), p = pred[i].item<std::int64_t>();
        ++m_confusion[static_cast<std::size_t>(t)][static_cast<std::size_t>(p)];
        m_top5 += top5[i].eq(t).any().item<bool>();
        if (t != p)
            m_wrong.push_back({{"path", m_mapper.record(inputs.indices[static_cast<std::size_t>(i)]).path},
                               {"truth", m_classes[static_cast<std::size_t>(t)]},
                               {"predicted", m_classes[static_cast<std::size_t>(p)]},
                               {"score", prob[i][p].item<double>()}});
    }
    m_images += static_cast<std::size_t>(logits.size(0));
}

EvalMetrics ClassificationEvaluator::evaluate()
{
    std::int64_t correct = 0;
    for (std::size_t k = 0; k < m_confusion.size(); ++k) correct += m_confusion[k][k];
    const double n = static_cast<double>(std::max<std::size_t>(1, m_images));
    EvalMetrics m;
    m.scalars = {{"loss", m_lossSum / n}, {"accuracy", static_cast<double>(correct) / n}, {"top5_accuracy", static_cast<double>(m_top5) / n}};
    m.scoreName = "accuracy";
    m.score = m.scalars["accuracy"];
    m.report = {{"images", m_images}, {"loss", m.scalars["loss"]}, {"accuracy", m.scalars["accuracy"]},
                {"top5_accuracy", m.scalars["top5_accuracy"]}, {"classes", m_classes}, {"per_class", precisionRecall(m_confusion, m_classes)},
                {"confusion", m_confusion}, {"misclassified", m_wrong}};
    return m;
}

nlohmann::json precisionRecall(const std::vector<std::vector<std::int64_t>> &confusion, const std::vector<std::string> &names)
{
    nlohmann::json perClass = nlohmann::json::object();
    const std::size_t K = confusion.size();
    for (std::size_t k = 0; k < K; ++k) {
        std::int64_t tp = confusion[k][k], fp = 0, fn = 0;
        for (std::size_t j = 0; j < K; ++j) {
            if (j == k) continue;
            fp += confusion[j][k];
            fn += confusion[k][j];
        }
        const double precision = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0;
        const double recall = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0;
        perClass[names[k]] = {{"precision", precision}, {"recall", recall},
                              {"f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0}, {"support", tp + fn}};
    }
    return perClass;
}

} // namespace training
