#include "training/evaluator.h"

#include <algorithm>

namespace training {

EvalMetrics runEvaluation(TaskModel &model, const Mapper &mapper, Evaluator &evaluator, int batch, const EvalObserver &observe)
{
    evaluator.reset();
    for (std::size_t i = 0; i < mapper.size(); i += static_cast<std::size_t>(batch)) {
        std::vector<std::size_t> idx;
        for (std::size_t k = i; k < std::min(mapper.size(), i + static_cast<std::size_t>(batch)); ++k) idx.push_back(k);
        const Batch b = mapper.map(idx, Augment{}, 0);
        const Predictions p = model.predict(b);
        evaluator.process(b, p);
        if (observe) observe(i, p);
    }
    return evaluator.evaluate();
}

} // namespace training
