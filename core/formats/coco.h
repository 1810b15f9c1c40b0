#pragma once
// The COCO instances JSON that the "coco" codec writes, as a value: `export --format
// coco` writes exactly this, and coco_json.h's cocoGroundTruthFromDataset() evaluates
// against it, so predictions and evaluations use the export's ids. Image ids are 1..n
// in the dataset's image order; category ids are the source's (Dataset.extra.coco.
// category_ids), new classes numbered after the largest, in class order; annotation ids
// are 1..m in image and region order.
#include "core/format.h"

#include <nlohmann/json.hpp>

namespace core {

// `path` names the output in errors (an image whose size is unknown and cannot be read).
Result<nlohmann::ordered_json> cocoInstancesJson(const Dataset &data, const std::string &path, const WriteOptions &opts);

} // namespace core
