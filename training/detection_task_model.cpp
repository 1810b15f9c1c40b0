#include "training/detection_task_model.h"

namespace training {

DetectionTaskModel::DetectionTaskModel(const std::string &arch, int outputs, int imageSize, const DetectorShape &shape, torch::Device device,
                                       bool channelsLast)
    : m_device(device)
{
    detection::DetectionOptions o;
    o.arch = arch;
    o.numClasses = outputs;
    o.transform.minSize = {imageSize};
    o.transform.maxSize = imageSize;
    if (shape.anchorSize > 0) {
        o.anchorSizes.clear();
        for (int level = 0; level < 5; ++level) o.anchorSizes.push_back({static_cast<double>(shape.anchorSize) * (1 << level)});
    }
    if (!shape.anchorRatios.empty()) o.aspectRatios.assign(5, shape.anchorRatios);
    if (shape.rpnProposals > 0) {
        o.rpn.postNmsTopNTrain = shape.rpnProposals;
        o.rpn.preNmsTopNTrain = 2 * static_cast<int64_t>(shape.rpnProposals);
    }
    if (shape.roisPerImage > 0) o.box.batchSizePerImage = shape.roisPerImage;
    m_model = std::make_shared<detection::DetectionModelImpl>(o);
    m_model->to(device);
    if (channelsLast) m_model->setChannelsLast(true);
}

std::vector<torch::Tensor> DetectionTaskModel::images(const Batch &batch) const
{
    std::vector<torch::Tensor> out;
    const auto all = batch.images.to(m_device);
    // The detector normalises with ImageNet's statistics per channel: grey images become three channels.
    for (long i = 0; i < all.size(0); ++i) out.push_back(all[i].size(0) == 1 ? all[i].expand({3, all.size(2), all.size(3)}).contiguous() : all[i]);
    return out;
}

LossTerms DetectionTaskModel::losses(const Batch &batch)
{
    m_model->train();
    std::vector<detection::DetectionTarget> targets;
    for (const auto &in : batch.instances) {
        detection::DetectionTarget t;
        t.boxes = in.boxes.to(m_device);
        t.labels = in.classes.to(m_device);
        if (in.masks.defined()) t.masks = in.masks.to(m_device);
        targets.push_back(std::move(t));
    }
    const auto terms = m_model->losses(images(batch), std::move(targets));
    return LossTerms(terms.begin(), terms.end());
}

Predictions DetectionTaskModel::predict(const Batch &batch)
{
    torch::NoGradGuard g;
    m_model->eval();
    Predictions p;
    for (auto &d : m_model->detect(images(batch))) {
        Detections out;
        out.boxes = d.boxes.to(torch::kCPU);
        out.scores = d.scores.to(torch::kCPU);
        out.classes = d.labels.to(torch::kCPU);
        if (d.masks.defined()) out.masks = d.masks.to(torch::kCPU).squeeze(1).contiguous();
        p.detections.push_back(std::move(out));
    }
    return p;
}

std::vector<torch::Tensor> DetectionTaskModel::trainableParameters(bool freezeBackbone)
{
    std::vector<torch::Tensor> params;
    for (auto &p : m_model->named_parameters()) {
        if (freezeBackbone && p.key().rfind("backbone.body.", 0) == 0) p.value().set_requires_grad(false);
        if (p.value().requires_grad()) params.push_back(p.value());
    }
    return params;
}

} // namespace training
