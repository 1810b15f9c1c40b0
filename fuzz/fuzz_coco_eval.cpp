// libFuzzer target for coco-eval's inputs: the bytes up to the first NUL are an
// instances file, the rest a results file (without a NUL, the input is tried as both
// against a small fixed ground truth). Both are read, and when they read, evaluated as
// bbox and segm. Any crash, leak, sanitizer report or hang is a bug; errors returned as
// values are fine. Evaluation runs only for images up to 4096 pixels a side, so that the
// work a valid input may ask for (rasterising its polygons) stays small.
#include "core/coco_eval.h"
#include "core/coco_json.h"

#include <cstdint>
#include <string>

namespace {

void evaluate(const std::string &gtText, const std::string &dtText)
{
    auto gtJson = nlohmann::json::parse(gtText, nullptr, false);
    if (gtJson.is_discarded()) return;
    auto gt = core::cocoGroundTruthFromJson(gtJson, "gt.json");
    if (!gt) return;
    auto dtJson = nlohmann::json::parse(dtText, nullptr, false);
    if (dtJson.is_discarded()) return;
    auto dts = core::cocoResultsFromJson(dtJson, *gt, "dt.json");
    if (!dts) return;
    for (const core::CocoImage &im : gt->images)
        if (im.width > 4096 || im.height > 4096) return;
    for (const core::CocoAnnotation &a : gt->annotations)
        if (a.rle && (a.rle->width > 4096 || a.rle->height > 4096)) return;
    core::CocoEvaluator ev(std::move(gt.value()), {core::CocoIouType::Bbox, core::CocoIouType::Segm});
    ev.process(*dts);
    auto s = ev.evaluate();
    (void)s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string in(reinterpret_cast<const char *>(data), size);
    const std::size_t nul = in.find('\0');
    if (nul != std::string::npos) {
        evaluate(in.substr(0, nul), in.substr(nul + 1));
    } else {
        static const std::string fixedGt = R"({"images": [{"id": 1, "width": 40, "height": 30}, {"id": 2}], "categories": [{"id": 1}, {"id": 2}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 10, 12], "area": 120, "segmentation": [[2, 3, 12, 3, 12, 15]]},
                          {"id": 2, "image_id": 1, "category_id": 2, "iscrowd": 1, "segmentation": {"size": [30, 40], "counts": "a9:d000000000000000000k9KZF0000000000000X1"}}]})";
        evaluate(fixedGt, in);
        evaluate(in, R"([{"image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.5}])");
    }
    return 0;
}
