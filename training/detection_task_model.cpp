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
    if (shape.groupNorm) o.norm = NormKind::Group;
    m_model = std::make_shared<detection::DetectionModelImpl>(o);
    m_model->to(device);
    if (channelsLast) m_model->setChannelsLast(true);
}

namespace {

// The canvas part image i's picture covers (Batch::content), or all of it.
std::array<int, 4> contentOf(const Batch &batch, std::size_t i)
{
    const int S = static_cast<int>(batch.images.size(3));
    return i < batch.content.size() ? batch.content[i] : std::array<int, 4>{0, 0, S, static_cast<int>(batch.images.size(2))};
}

} // namespace

std::vector<torch::Tensor> DetectionTaskModel::images(const Batch &batch) const
{
    std::vector<torch::Tensor> out;
    const auto all = batch.images.to(m_device);
    for (long i = 0; i < all.size(0); ++i) {
        // Each picture without the canvas's padding, as torchvision sizes every image by itself
        // and pads a batch only to its largest: a 1280 x 400 picture on a square canvas is 70 % padding.
        const auto c = contentOf(batch, static_cast<std::size_t>(i));
        auto image = all[i].slice(1, c[1], c[3]).slice(2, c[0], c[2]);
        // The detector normalises with ImageNet's statistics per channel: grey images become three channels.
        out.push_back(image.size(0) == 1 ? image.expand({3, image.size(1), image.size(2)}).contiguous() : image.contiguous());
    }
    return out;
}

LossTerms DetectionTaskModel::losses(const Batch &batch)
{
    m_model->train();
    std::vector<detection::DetectionTarget> targets;
    for (std::size_t i = 0; i < batch.instances.size(); ++i) {
        const auto &in = batch.instances[i];
        const auto c = contentOf(batch, i);
        detection::DetectionTarget t;
        // Into the cropped picture's pixels (images()).
        const auto offset = torch::tensor({float(c[0]), float(c[1]), float(c[0]), float(c[1])});
        const auto limit = torch::tensor({float(c[2] - c[0]), float(c[3] - c[1]), float(c[2] - c[0]), float(c[3] - c[1])});
        t.boxes = torch::minimum((in.boxes - offset).clamp_min(0), limit).to(m_device);
        t.labels = in.classes.to(m_device);
        if (in.masks.defined()) t.masks = in.masks.slice(1, c[1], c[3]).slice(2, c[0], c[2]).contiguous().to(m_device);
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
    // Masks as the mask head gives them: toImage pastes them into the image's own pixels, as
    // torchvision pastes into the original image, not into the canvas.
    // One picture at a time: batched, each would be padded to the largest, and a GroupNorm
    // backbone's statistics take the padding in (on droplets, eval on batches of 11 pictures of
    // three shapes scored mask AP 0.820 where the same weights score 0.834 alone).
    const auto pictures = images(batch);
    for (std::size_t i = 0; i < pictures.size(); ++i) {
        const auto d = m_model->detect({pictures[i]}, false).at(0);
        const auto c = contentOf(batch, i);
        // Back from the cropped picture onto the canvas.
        Detections out;
        out.boxes = d.boxes.to(torch::kCPU) + torch::tensor({float(c[0]), float(c[1]), float(c[0]), float(c[1])});
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
