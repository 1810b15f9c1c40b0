#include "training/recipe.h"

#include "core/image_size.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace training {

namespace {

// convnet's image size when the images are larger: the sample project's 128 px shapes train at 64
// in a few seconds an epoch on 2 cores (bench/README.md).
constexpr int kConvNetSize = 64;

// The value at fraction q (0..1) of the sorted values; 0 for none.
double percentile(std::vector<double> v, double q)
{
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

std::string number(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

int powerOfTwoAtMost(double v)
{
    int p = 1;
    while (p * 2 <= v) p *= 2;
    return p;
}

// A detector's anchors and sampling from the train boxes at the chosen canvas size.
void fitAnchors(Recipe &r, const DataFacts &facts)
{
    TrainConfig &c = r.config;
    const bool fromWeights = !c.weights.empty();
    std::vector<double> scales;
    for (double s : facts.objectScales) scales.push_back(s * c.imageSize);
    if (c.anchorSize <= 0) {
        if (fromWeights || scales.empty()) {
            c.anchorSize = 32;
            r.why.push_back(std::string("anchor size 32 (then 64, 128, 256, 512): torchvision's, ") +
                            (fromWeights ? "which the weights' RPN was trained for" : "as the train split has no boxes to fit"));
        } else {
            // The smallest anchor near the small objects (5th percentile of sqrt(w h)), as a power
            // of two from 8 to 32; the five levels double it, so the largest is 16 times that.
            const double small = percentile(scales, 0.05), large = percentile(scales, 0.99);
            int a = 1 << std::clamp(static_cast<int>(std::lround(std::log2(std::max(small, 1.0)))), 3, 5);
            while (a < 32 && a * 16 * 1.5 < large) a *= 2;
            c.anchorSize = a;
            r.why.push_back("anchor size " + std::to_string(a) + " (then " + std::to_string(a * 2) + ", " + std::to_string(a * 4) + ", " +
                            std::to_string(a * 8) + ", " + std::to_string(a * 16) + "): the boxes span " + number(std::round(small)) + " to " +
                            number(std::round(large)) + " px on the " + std::to_string(c.imageSize) + " px canvas (5th to 99th percentile of sqrt(w h))");
        }
    }
    if (c.anchorRatios == "auto") {
        std::vector<double> logs;
        for (double a : facts.objectAspects) logs.push_back(std::abs(std::log(a)));
        // Ratios within 1.5 of square for 90 % of the boxes: one anchor shape does, and the RPN
        // scores a third as many anchors.
        const double spread = percentile(logs, 0.9);
        if (!fromWeights && !logs.empty() && spread < std::log(1.5)) {
            c.anchorRatios = "1";
            r.why.push_back("anchor ratio 1: 90 % of the boxes are within " + number(std::round(std::exp(spread) * 100) / 100) + " of square");
        } else {
            c.anchorRatios = "0.5,1,2";
            r.why.push_back(std::string("anchor ratios 0.5,1,2: torchvision's, ") +
                            (fromWeights ? "which the weights' RPN head has" : logs.empty() ? "as there are no boxes to fit" : "as the boxes' shapes vary"));
        }
    }
    if (c.roisPerImage <= 0 || c.rpnProposals <= 0) {
        // A quarter of the sampled RoIs may be positives: four RoIs per object keep one positive
        // for each object of the busiest images, and the mask head, which runs on every positive,
        // no busier than that (64 to 512; torchvision: 512). The RPN keeps four proposals per RoI.
        const double objects = std::max(1.0, facts.objectsPerImage);
        const int rois = std::clamp(powerOfTwoAtMost(objects * 4), 64, 512);
        if (c.roisPerImage <= 0) c.roisPerImage = rois;
        if (c.rpnProposals <= 0) c.rpnProposals = 4 * c.roisPerImage;
        r.why.push_back(std::to_string(c.roisPerImage) + " RoIs and " + std::to_string(c.rpnProposals) + " proposals per training image: up to " +
                        number(std::round(objects)) + " objects an image (95th percentile)");
    }
}

// Faster/Mask R-CNN: torchvision's reference recipe (SGD, momentum 0.9, weight decay 1e-4,
// 0.02, warm-up, 2 images a batch), at a size where the median object keeps the 32 px the
// RPN's smallest anchors are made for and the small ones a few cells of the finest feature
// map, decaying to 0 over the run, with both flips.
void chooseDetectorSettings(Recipe &r, const DataFacts &facts)
{
    TrainConfig &c = r.config;
    const int side = facts.medianSide > 0 ? facts.medianSide : 512;
    if (c.imageSize <= 0) {
        // The median object at 32 px, and the smallest (5th percentile of sqrt(w h)) at 12 px:
        // three cells of the stride-4 level, below which a mask has nothing to outline.
        const double byMedian = facts.medianObjectSide > 0 ? 32.0 * side / facts.medianObjectSide : side;
        const double small = percentile(facts.objectScales, 0.05);
        const double bySmall = small > 0 ? 12.0 / small : 0;
        const double want = std::max(byMedian, bySmall);
        const int top = std::max(128, std::min(1024, side / 32 * 32));
        c.imageSize = std::clamp(static_cast<int>(std::ceil(want / 32)) * 32, 128, top);
        r.why.push_back("image size " + std::to_string(c.imageSize) + ": the images are " + std::to_string(side) + " px and their regions " +
                        number(std::round(facts.medianObjectSide)) + " px (median), so that the median region spans " +
                        number(std::round(facts.medianObjectSide * c.imageSize / side)) + " px (32 wanted, torchvision's smallest anchor)" +
                        (bySmall > byMedian ? " and the smallest (5th percentile) " + number(std::round(small * c.imageSize)) +
                                                  " px, three cells of the finest feature map"
                                            : std::string()));
    }
    fitAnchors(r, facts);
    if (c.batch <= 0) {
        // torchvision trains 2 images a device; a larger batch buys no speed on a CPU, only fewer steps.
        c.batch = facts.trainImages >= 2 ? 2 : 1;
        r.why.push_back("batch " + std::to_string(c.batch) + ": torchvision's 2 images a device; a larger batch would only take fewer steps in the same time");
    }
    if (c.optimizer == "auto") {
        c.optimizer = "sgd";
        if (!(c.weightDecay > 0)) c.weightDecay = 1e-4;
        r.why.push_back("optimizer sgd (momentum 0.9, weight decay " + number(c.weightDecay) + "): torchvision's detection recipe");
    }
    if (!(c.lr > 0)) {
        // torchvision's 0.02 is for 16 images over 26 COCO epochs; a run of a few hundred steps
        // needs it whole. Scaled to the batch (0.005 at 4) droplets reached mask AP 0.40 in 20
        // minutes, against 0.54 at 0.02 (bench/README.md).
        c.lr = c.optimizer == "sgd" ? 0.02 : 1e-4;
        r.why.push_back("learning rate " + number(c.lr) + (c.optimizer == "sgd" ? ": torchvision's detection rate, whole, as a short run needs it" : ": Adam's rate for a detector"));
    }
    if (c.augment == "auto") {
        // As for segmentation: a region's label does not depend on which way up the picture is;
        // photographs with a sky may want hflip alone.
        c.augment = "hflip,vflip";
        r.why.push_back("augment hflip,vflip: mirrored images move their boxes and masks with them (--augment hflip for pictures that have an up)");
    }
    if (c.schedule == "auto") {
        // torchvision's tenfold steps at fixed epochs spent the last third of a 20-minute run at
        // 1 % of the rate with nothing more learned (bench/README.md); a cosine ends at 0 whatever the length.
        c.schedule = "cosine";
        r.why.push_back("schedule cosine: the rate decays to 0 at the end of the run, however long the budget makes it");
    }
    if (c.warmupEpochs < 0) {
        // torchvision warms a detector up over its first epoch (up to 1000 steps) however short
        // the run: at the full rate from the first step the mask loss climbed to 240 on droplets.
        c.warmupEpochs = 1;
        r.why.push_back("warm-up 1 epoch: the rate rises linearly over the first epoch, as torchvision warms its detectors up however short the run");
    }
    if (c.norm == "auto") {
        // Batch norm over 2 pictures of (on droplets) different cameras: the running mean fits no
        // camera, and a 20-minute run scored mask AP 0.65 in eval mode where the same weights
        // normalised by each picture's own statistics scored 0.79 (bench/README.md). GroupNorm
        // normalises each picture by itself in training and inference alike.
        const bool fromWeights = !c.weights.empty();
        c.norm = fromWeights && !facts.weightsGroupNorm ? "batch" : "group";
        r.why.push_back(!fromWeights ? std::string("norm group: GroupNorm normalises each picture by itself; batch norm's statistics over 2 pictures are "
                                                   "too noisy to evaluate with, as detectron2 finds for detectors trained from scratch")
                        : facts.weightsGroupNorm ? std::string("norm group: the weights' backbone has GroupNorm (no batch-norm statistics)")
                                                 : std::string("norm batch: the weights' backbone was trained with batch norm"));
    }
    if (c.clipNorm < 0) {
        // From scratch, the box regression of a detector can blow up once the warm-up ends
        // (droplets: loss_box_reg NaN at the 20th step at 0.005); a norm of 10 leaves normal steps alone.
        c.clipNorm = 10;
        r.why.push_back("gradient norm clipped at 10: a detector's box losses can diverge from scratch");
    }
}

} // namespace

DataFacts gatherFacts(const Snapshot &snap, Task task)
{
    DataFacts f;
    f.task = task;
    f.trainImages = snap.train.size();
    // Headers of up to 200 images spread over the split: enough for a median, quick on any project.
    std::vector<double> sides, objects, perImage;
    const std::size_t n = snap.train.size(), stride = std::max<std::size_t>(1, n / 200);
    for (std::size_t i = 0; i < n; i += stride) {
        const auto size = core::readImageSize(snap.train[i].path);
        const double side = size ? std::max(size->width, size->height) : 0;
        if (side > 0) sides.push_back(side);
        perImage.push_back(static_cast<double>(snap.train[i].regions.size()));
        for (const auto &r : snap.train[i].regions) {
            const core::Box b = r.shape.boundingBox();
            objects.push_back(std::max(b.w, b.h));
            if (side > 0 && b.w > 0 && b.h > 0) {
                f.objectScales.push_back(std::sqrt(b.w * b.h) / side);
                f.objectAspects.push_back(b.h / b.w);
            }
        }
    }
    f.medianSide = static_cast<int>(median(sides));
    f.medianObjectSide = median(objects);
    f.objectsPerImage = percentile(perImage, 0.95);
    return f;
}

int epochsForSteps(std::int64_t stepsPerEpoch)
{
    return static_cast<int>(std::clamp<std::int64_t>((1000 + stepsPerEpoch - 1) / std::max<std::int64_t>(1, stepsPerEpoch), 5, 100));
}

Recipe chooseRecipe(const TrainConfig &requested, const DataFacts &facts)
{
    Recipe r;
    TrainConfig &c = r.config;
    c = requested;
    const bool seg = facts.task == Task::Segmentation;
    const bool detector = facts.task == Task::Detection || facts.task == Task::Instance;
    const int side = facts.medianSide > 0 ? facts.medianSide : (seg ? 128 : 64);
    if (c.model == "auto") {
        if (seg) c.model = "unet";
        else if (facts.task == Task::Detection) c.model = "fasterrcnn_resnet18_fpn";
        else if (facts.task == Task::Instance) c.model = "maskrcnn_resnet18_fpn";
        else c.model = side <= 32 ? "smallcnn" : "convnet";
        if (seg || detector) r.why.push_back("model " + c.model + ": the task's model that trains on a CPU");
        else
            r.why.push_back("model " + c.model + ": the images are " + std::to_string(side) + " px" +
                            (side <= 32 ? std::string(", as small as MNIST's, which the lecture's CNN is built for")
                                        : std::string(", larger than MNIST's; its pooled convolutions find an object anywhere in the image")));
    }
    const bool dense = c.model == "mlp" || c.model == "smallcnn";

    if (detector) chooseDetectorSettings(r, facts);
    else if (c.norm == "auto") c.norm = "batch"; // the only norm of the other models
    if (c.imageSize <= 0) {
        if (seg) {
            // The median object should span some 16 pixels, so that its outline is resolved;
            // a multiple of 32 (U-Net halves it three times), from 64 to 512 and no larger than the images.
            const double want = facts.medianObjectSide > 0 ? 16.0 * side / facts.medianObjectSide : 128;
            const int top = std::max(64, std::min(512, side / 32 * 32));
            c.imageSize = std::clamp(static_cast<int>(std::ceil(want / 32)) * 32, 64, top);
            r.why.push_back("image size " + std::to_string(c.imageSize) + ": the images are " + std::to_string(side) + " px and their regions " +
                            number(std::round(facts.medianObjectSide)) + " px (median), so that the median region spans " +
                            number(std::round(facts.medianObjectSide * c.imageSize / side)) + " px");
        } else {
            // smallcnn at 64 px trained 3x slower than at 32 and no better on the sample project (bench/README.md).
            const int cap = dense ? 32 : c.model == "convnet" ? kConvNetSize : 224;
            c.imageSize = std::clamp(side, dense ? 8 : 32, cap);
            r.why.push_back("image size " + std::to_string(c.imageSize) + ": the images are " + std::to_string(side) + " px" +
                            (side <= cap ? std::string()
                             : dense ? "; a " + c.model + "'s dense layer grows with the square of the size, so at most " + std::to_string(cap)
                             : c.model == "convnet" ? "; convnet trains fast at " + std::to_string(cap) + " px (--image-size for finer detail)"
                                                    : "; " + c.model + " is built for 224 px"));
        }
    }
    if (c.batch <= 0) {
        // An epoch of at least 8 steps, a power of two from 2 to 64, and at most 2^21 pixels a batch.
        const double byData = static_cast<double>(facts.trainImages) / 8;
        const double byPixels = static_cast<double>(1 << 21) / (static_cast<double>(c.imageSize) * c.imageSize);
        c.batch = std::clamp(powerOfTwoAtMost(std::min(byData, byPixels)), 2, 64);
        const std::int64_t steps = (static_cast<std::int64_t>(facts.trainImages) + c.batch - 1) / c.batch;
        r.why.push_back("batch " + std::to_string(c.batch) + ": " + std::to_string(facts.trainImages) + " train images, so an epoch has " +
                        std::to_string(steps) + " steps (at least 8 wanted, at most 64 images a batch)");
    }
    if (c.optimizer == "auto") {
        c.optimizer = "adam";
        r.why.push_back("optimizer adam: it trains a network from scratch without a learning rate tuned to it");
    }
    if (!(c.lr > 0)) {
        const bool adam = c.optimizer != "sgd";
        const bool fromWeights = !c.weights.empty();
        c.lr = adam ? (fromWeights ? 1e-4 : seg ? 3e-3 : 1e-3) : (fromWeights ? 1e-3 : 0.01);
        const std::string usual = adam ? "Adam's usual rate, 0.001" : "SGD's usual rate, 0.01";
        r.why.push_back("learning rate " + number(c.lr) + ": " +
                        (fromWeights ? "a tenth of " + usual + ", as the run starts from weights"
                                     : seg && adam ? "three times " + usual + ", as the README's U-Net example has it" : usual));
    }
    if (c.augment == "auto") {
        if (seg) {
            const int shift = std::max(2, c.imageSize / 16);
            c.augment = "hflip,vflip,shift:" + std::to_string(shift);
            r.why.push_back("augment " + c.augment + ": mirrored images and shifts move the masks with them, so every label stays true");
        } else {
            // A dense head (smallcnn, mlp) learns each position apart: shifts of a quarter of the image teach it
            // that an object is the same anywhere. No vertical flips: an upside-down photo can be another class.
            const int shift = std::max(2, c.imageSize / (dense ? 4 : 8));
            c.augment = "hflip,shift:" + std::to_string(shift);
            r.why.push_back("augment " + c.augment + ": mirrored images and shifts of " + (dense ? "a quarter" : "an eighth") +
                            " of the size keep the class" + (dense ? std::string(" and teach a dense head that position does not matter") : std::string()));
        }
    }
    const std::int64_t stepsPerEpoch = (static_cast<std::int64_t>(facts.trainImages) + c.batch - 1) / c.batch;
    if (c.epochs <= 0) {
        if (c.timeBudget > 0) {
            c.epochs = 100000; // an upper bound: the budget hook sizes the run after timing its first epochs
            r.why.push_back("epochs: as many as fit in the time budget of " + number(c.timeBudget) + " s, sized after timing the first epoch");
        } else {
            c.epochs = epochsForSteps(stepsPerEpoch);
            r.why.push_back("epochs " + std::to_string(c.epochs) + ": " + std::to_string(stepsPerEpoch) + " steps an epoch, about 1000 steps in all (5 to 100 epochs)");
        }
    }
    if (c.schedule == "auto") {
        c.schedule = "cosine";
        r.why.push_back("schedule cosine: the rate decays to 0 at the end of the run");
    }
    if (c.clipNorm < 0) c.clipNorm = 0; // classifiers and U-Net train unclipped, as they always have
    if (c.warmupEpochs < 0) {
        c.warmupEpochs = c.epochs >= 5 ? 1 : 0;
        if (c.warmupEpochs) r.why.push_back("warm-up 1 epoch: the rate rises linearly over the first epoch");
    }
    return r;
}

} // namespace training
