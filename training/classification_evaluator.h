#pragma once
// Classification: loss, accuracy, top-5 accuracy, per-class precision, recall, F1 and
// support, the confusion matrix (rows: truth) and the misclassified images with
// their scores. The score a run keeps its best checkpoint by is the accuracy.
#include "training/evaluator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace training {

class ClassificationEvaluator : public Evaluator {
public:
    ClassificationEvaluator(std::vector<std::string> classes, const Mapper &mapper);
    void reset() override;
    void process(const Batch &inputs, const Predictions &outputs) override;
    EvalMetrics evaluate() override;

private:
    std::vector<std::string> m_classes;
    const Mapper &m_mapper;
    std::vector<std::vector<std::int64_t>> m_confusion;
    std::size_t m_images = 0, m_top5 = 0;
    double m_lossSum = 0;
    nlohmann::json m_wrong;
};

// Precision, recall, F1 and support of each class from a confusion matrix (rows: truth).
nlohmann::json precisionRecall(const std::vector<std::vector<std::int64_t>> &confusion, const std::vector<std::string> &names);

} // namespace training
