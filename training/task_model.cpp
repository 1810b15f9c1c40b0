#include "training/task_model.h"

namespace training {

torch::Tensor crossEntropy(const torch::Tensor &logits, const torch::Tensor &target, bool sum)
{
    namespace F = torch::nn::functional;
    auto opts = F::CrossEntropyFuncOptions().ignore_index(kIgnore);
    if (sum) opts = opts.reduction(torch::kSum);
    return F::cross_entropy(logits, target, opts);
}

ClassifierModel::ClassifierModel(std::shared_ptr<ClassifierImpl> model, Task task, torch::Device device, bool channelsLast)
    : m_model(std::move(model)), m_task(task), m_device(device), m_channelsLast(channelsLast)
{
    m_model->to(device);
    if (channelsLast) toChannelsLast(*m_model);
}

torch::Tensor ClassifierModel::input(const torch::Tensor &images) const
{
    auto t = images.to(m_device);
    return m_channelsLast ? t.contiguous(torch::MemoryFormat::ChannelsLast) : t;
}

LossTerms ClassifierModel::losses(const Batch &batch)
{
    m_model->train();
    const torch::Tensor logits = m_model->forward(input(batch.images));
    const bool seg = m_task == Task::Segmentation;
    return {{seg ? "loss_sem_seg" : "loss_cls", crossEntropy(logits, (seg ? batch.masks : batch.labels).to(m_device))}};
}

Predictions ClassifierModel::predict(const Batch &batch)
{
    torch::NoGradGuard g;
    m_model->eval();
    Predictions p;
    p.logits = m_model->forward(input(batch.images)).to(torch::kCPU).contiguous();
    return p;
}

std::vector<torch::Tensor> ClassifierModel::trainableParameters(bool freezeBackbone)
{
    std::vector<torch::Tensor> params;
    for (auto &p : m_model->named_parameters()) {
        const bool head = p.key().rfind(m_model->headName() + ".", 0) == 0;
        if (freezeBackbone && !head) p.value().set_requires_grad(false);
        else params.push_back(p.value());
    }
    return params;
}

} // namespace training
