// The mappers move every target with the image: a geometric transform's forward map
// inverts its sampling; class masks stay on their pixels; boxes come from every
// shape and follow flips, rotations, zooms and shifts (pushed out: dropped; cut:
// clipped); instance masks are the moved outlines rasterised with core's
// pixel-centre rule, as pycocotools rasterises them; an image without regions is a
// negative; the same seed gives the same batch; each batch says where on its canvas
// the picture lies after the augmentation. All on synthetic images.
#include "core/coco_rle.h"
#include "core/rasterize.h"
#include "training/augment.h"
#include "training/batch_loader.h"
#include "training/instance_mapper.h"
#include "training/segmentation_mapper.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <set>

using namespace training;

namespace {

core::Shape shape(core::Result<core::Shape> s)
{
    if (!s) qFatal("%s", s.error().message.c_str());
    return *s;
}

// One grey S x S image, bright (255) exactly where the shapes cover pixel centres.
ImageCache paintedCache(int S, const std::vector<core::Shape> &shapes, std::vector<Record> *recordsOut = nullptr)
{
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(S * S), 0);
    Record r{"synthetic", -1, {}};
    int k = 0;
    for (const auto &s : shapes) {
        core::fillPolygon(pixels.data(), S, S, s.toPolygon(128), 255);
        r.regions.push_back({s, k++ % 2});
    }
    std::vector<Record> records{r};
    if (recordsOut) *recordsOut = records;
    return ImageCache::fromPixels(records, S, 1, pixels);
}

double iou(const torch::Tensor &a, const torch::Tensor &b)
{
    const double inter = (a & b).sum().item<double>(), uni = (a | b).sum().item<double>();
    return uni > 0 ? inter / uni : 1;
}

} // namespace

class TestMapper : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void forwardInvertsTheSampling()
    {
        auto aug = parseAugment("hflip,vflip,rotate:40,scale:0.3,shift:6");
        QVERIFY(aug.ok());
        for (std::uint64_t seed = 1; seed <= 50; ++seed) {
            core::SplitMix64 rng{seed};
            const auto t = SampleTransform::draw(*aug, 64, rng);
            for (const core::Point p : {core::Point{0, 0}, core::Point{13.25, 40.5}, core::Point{64, 7}, core::Point{31.9, 63.1}}) {
                const core::Point q = t.forward(t.source(p));
                QVERIFY2(std::abs(q.x - p.x) < 1e-9 && std::abs(q.y - p.y) < 1e-9, std::to_string(seed).c_str());
            }
        }
        // The identity and a plain horizontal flip, exactly.
        const auto id = SampleTransform::identity(10);
        QVERIFY(id.isIdentity());
        QCOMPARE(id.forward({2.5, 3}).x, 2.5);
        Augment flip;
        flip.hflip = true;
        for (std::uint64_t seed = 1;; ++seed) {
            core::SplitMix64 rng{seed};
            const auto t = SampleTransform::draw(flip, 10, rng);
            if (t.isIdentity()) continue;
            QCOMPARE(t.forward({2.5, 3}).x, 7.5);
            QCOMPARE(t.forward({2.5, 3}).y, 3.0);
            break;
        }
    }

    // Geometric augmentations move the class mask with the image: a bright square stays on its class pixels.
    void segmentationMaskStaysAligned()
    {
        const auto square = shape(core::Shape::rect(14, 10, 26, 20));
        SegmentationMapper mapper(paintedCache(48, {square}));
        auto aug = parseAugment("hflip,vflip,rotate:30,scale:0.2,shift:4,gamma,blur,impulse");
        QVERIFY(aug.ok());
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            const Batch b = mapper.map({0}, *aug, seed);
            const double overlap = iou(b.images[0][0].gt(0.5), b.masks[0].eq(1));
            QVERIFY2(overlap > 0.85, ("seed " + std::to_string(seed) + ": IoU " + std::to_string(overlap)).c_str());
            const Batch again = mapper.map({0}, *aug, seed); // the same seed gives the same batch
            QVERIFY(b.images.equal(again.images) && b.masks.equal(again.masks));
        }
        // As decoded: exactly the rasterised rectangle, 26 x 20 pixels.
        const Batch plain = mapper.map({0}, Augment{}, 0);
        QCOMPARE(plain.masks[0].eq(1).sum().item<std::int64_t>(), std::int64_t(26 * 20));
        QVERIFY(!parseAugment("rotate:x").ok());
        QVERIFY(!parseAugment("scale:1.5").ok());
        QVERIFY(!parseAugment("crop:1.5").ok());
    }

    void boxesAndMasksFromEveryShape()
    {
        const std::vector<core::Shape> shapes = {shape(core::Shape::rect(4, 6, 20, 10)),
                                                 shape(core::Shape::polygon({{40, 5}, {60, 12}, {50, 30}})),
                                                 shape(core::Shape::circle(20, 44, 8)),
                                                 shape(core::Shape::ellipse(48, 48, 10, 5, M_PI / 6))};
        InstanceMapper mapper(paintedCache(64, shapes), true);
        const Batch b = mapper.map({0}, Augment{}, 0);
        const Instances &in = b.instances[0];
        QCOMPARE(in.boxes.size(0), 4L);
        QCOMPARE(in.masks.sizes().vec(), (std::vector<std::int64_t>{4, 64, 64}));
        QCOMPARE(in.classes[0].item<std::int64_t>(), std::int64_t(1)); // classIndex 0 -> 1: 0 is the background
        QCOMPARE(in.classes[1].item<std::int64_t>(), std::int64_t(2));
        for (std::size_t k = 0; k < shapes.size(); ++k) {
            const core::Box box = shapes[k].boundingBox();
            const auto got = in.boxes[static_cast<long>(k)];
            const double want[4] = {box.x, box.y, box.right(), box.bottom()};
            for (int c = 0; c < 4; ++c) QVERIFY2(std::abs(got[c].item<double>() - want[c]) < 0.05, (std::to_string(k) + ":" + std::to_string(c)).c_str());
            // The mask is core's rasterisation of the shape...
            std::vector<std::uint8_t> expect(64 * 64, 0);
            const auto outline = shapes[k].toPolygon(128);
            core::fillPolygon(expect.data(), 64, 64, outline, 1);
            const auto e = torch::from_blob(expect.data(), {64, 64}, torch::kUInt8);
            QVERIFY(in.masks[static_cast<long>(k)].equal(e));
            // ... which is pycocotools' rasterisation of the same outline (what eval scores masks
            // against, from the polygons `export --format coco` writes) but for a pixel where its
            // 1/5-pixel sampling of an edge lands on the other side: both take pixel centres.
            std::vector<double> xy;
            for (const auto &p : outline) xy.push_back(p.x), xy.push_back(p.y);
            const auto coco = core::rleDecode(core::rleFromPolygon(xy, 64, 64), core::MaskOrder::RowMajor);
            const auto c = torch::from_blob(const_cast<std::uint8_t *>(coco.data()), {64, 64}, torch::kUInt8);
            QVERIFY2(in.masks[static_cast<long>(k)].ne(c).sum().item<std::int64_t>() <= 1, std::to_string(k).c_str());
        }
        QCOMPARE(in.masks[0].sum().item<std::int64_t>(), std::int64_t(20 * 10)); // a w x h box covers w*h pixels
    }

    void instancesFollowTheImage()
    {
        const std::vector<core::Shape> shapes = {shape(core::Shape::rect(10, 12, 18, 14)), shape(core::Shape::circle(44, 40, 9)),
                                                 shape(core::Shape::polygon({{8, 40}, {28, 44}, {16, 58}}))};
        InstanceMapper mapper(paintedCache(64, shapes), true);
        auto aug = parseAugment("hflip,vflip,rotate:30,scale:0.15,shift:3");
        QVERIFY(aug.ok());
        for (std::uint64_t seed = 1; seed <= 30; ++seed) {
            const Batch b = mapper.map({0}, *aug, seed);
            const Instances &in = b.instances[0];
            QCOMPARE(in.boxes.size(0), 3L); // none is pushed out by these small moves
            const auto bright = b.images[0][0].gt(0.5);
            const auto all = in.masks.sum(0).gt(0);
            const double overlap = iou(bright, all);
            QVERIFY2(overlap > 0.8, ("seed " + std::to_string(seed) + ": IoU " + std::to_string(overlap)).c_str());
            for (long k = 0; k < 3; ++k) {
                // The box bounds its mask tightly: every mask pixel's centre inside, each side within a pixel.
                const auto idx = torch::nonzero(in.masks[k]); // rows (y, x)
                const double ys = idx.select(1, 0).min().item<double>(), ye = idx.select(1, 0).max().item<double>() + 1;
                const double xs = idx.select(1, 1).min().item<double>(), xe = idx.select(1, 1).max().item<double>() + 1;
                const auto box = in.boxes[k];
                QVERIFY(box[0].item<double>() <= xs + 0.5 && box[1].item<double>() <= ys + 0.5);
                QVERIFY(box[2].item<double>() >= xe - 0.5 && box[3].item<double>() >= ye - 0.5);
                QVERIFY(std::abs(xs - box[0].item<double>()) <= 1 && std::abs(ys - box[1].item<double>()) <= 1);
                QVERIFY(std::abs(box[2].item<double>() - xe) <= 1 && std::abs(box[3].item<double>() - ye) <= 1);
            }
        }
    }

    void boxesPushedOutAreDroppedAndCutOnesClipped()
    {
        // A box near the left edge, one in the middle; a shift of up to 12 pixels.
        const std::vector<core::Shape> shapes = {shape(core::Shape::rect(0, 20, 6, 8)), shape(core::Shape::rect(20, 20, 10, 10))};
        InstanceMapper mapper(paintedCache(40, shapes), true);
        Augment shift;
        shift.shift = 12;
        bool dropped = false, clipped = false;
        for (std::uint64_t seed = 1; seed <= 200 && !(dropped && clipped); ++seed) {
            core::SplitMix64 rng{seed};
            const auto t = SampleTransform::draw(shift, 40, rng);
            const double dx = t.forward({0, 0}).x;
            const Batch b = mapper.map({0}, shift, seed);
            const Instances &in = b.instances[0];
            for (long k = 0; k < in.boxes.size(0); ++k)
                for (int c = 0; c < 4; ++c) QVERIFY(in.boxes[k][c].item<double>() >= 0 && in.boxes[k][c].item<double>() <= 40);
            if (dx <= -6) { // the first box is entirely outside: dropped, the second kept
                QCOMPARE(in.boxes.size(0), 1L);
                QCOMPARE(in.classes[0].item<std::int64_t>(), std::int64_t(2));
                dropped = true;
            } else if (dx < 0) { // cut by the border: clipped at x = 0
                QCOMPARE(in.boxes.size(0), 2L);
                QCOMPARE(in.boxes[0][0].item<double>(), 0.0);
                QCOMPARE(in.boxes[0][2].item<double>(), 6 + dx);
                clipped = true;
            }
        }
        QVERIFY(dropped && clipped);
    }

    void imagesWithoutRegionsAreNegatives()
    {
        InstanceMapper mapper(paintedCache(32, {}), true);
        const Batch b = mapper.map({0}, Augment{}, 0);
        QCOMPARE(b.instances.size(), std::size_t(1));
        QCOMPARE(b.instances[0].boxes.sizes().vec(), (std::vector<std::int64_t>{0, 4}));
        QCOMPARE(b.instances[0].masks.sizes().vec(), (std::vector<std::int64_t>{0, 32, 32}));
        InstanceMapper boxesOnly(paintedCache(32, {shape(core::Shape::rect(1, 1, 5, 5))}), false);
        QVERIFY(!boxesOnly.map({0}, Augment{}, 0).instances[0].masks.defined()); // detection: no masks
    }

    // A 64 x 20 picture on a 32 px canvas kept to its aspect is 32 x 10 of it, at the top
    // until a vertical flip moves it to the bottom: the batch's content box follows it,
    // spans the canvas across the picture's longer side, and leaves out only padding.
    void contentBoxFollowsThePicture()
    {
        QTemporaryDir tmp;
        const std::string file = tmp.filePath(QStringLiteral("wide.png")).toStdString();
        QVERIFY(cv::imwrite(file, cv::Mat(20, 64, CV_8UC1, cv::Scalar(200))));
        auto cache = ImageCache::decode({Record{file, -1, {}}}, 32, 1, ImageCache::Fit::KeepAspect);
        QVERIFY(cache.ok());
        QCOMPARE(cache->contentWidth(0), 32);
        QCOMPARE(cache->contentHeight(0), 10);
        InstanceMapper mapper(std::move(*cache), true);
        QCOMPARE(mapper.map({0}, Augment{}, 0).content.front(), (std::array<int, 4>{0, 0, 32, 10}));
        Augment flips;
        flips.hflip = flips.vflip = true;
        std::set<std::array<int, 4>> seen;
        for (std::uint64_t seed = 0; seed < 16; ++seed) {
            const Batch b = mapper.map({0}, flips, seed);
            const auto c = b.content.front();
            seen.insert(c);
            const auto image = b.images[0][0];
            const auto inside = image.slice(0, c[1], c[3]).slice(1, c[0], c[2]);
            QCOMPARE(inside.numel(), std::int64_t(32 * 10));
            QVERIFY(inside.min().item<float>() > 0.5f);                            // all picture
            QCOMPARE(image.sum().item<double>(), inside.sum().item<double>());      // nothing of it left out
        }
        QCOMPARE(seen, (std::set<std::array<int, 4>>{{0, 0, 32, 10}, {0, 22, 32, 32}}));
    }
};

QTEST_GUILESS_MAIN(TestMapper)
#include "tst_mapper.moc"
