#pragma once
// The dataset source (detectron2's DatasetCatalog): the project's splits read once
// into plain records, a consistent view even while the user keeps labelling.
// Nothing here decodes an image; the mappers do (training/mapper.h).
#include "core/result.h"
#include "core/shape.h"
#include "training/task.h"

#include <cstdint>
#include <string>
#include <vector>

namespace training {

// A closed region of a class, in the image's own pixel coordinates (pixel corners).
struct RecordRegion {
    core::Shape shape;
    int classIndex = 0; // 0-based index into Snapshot::classes
};

struct Record {
    std::string path;                  // absolute path of the image
    std::int64_t label = -1;           // classification: index into Snapshot::classes
    std::vector<RecordRegion> regions; // segmentation, detection, instance: closed regions with a class
};

struct Snapshot {
    Task task = Task::Classification;
    std::vector<std::string> classes; // the classes in use, in the project's order
    std::vector<Record> train, val, test;
};

// Classification: images with an image class. Segmentation: images with at least one
// closed region of a class (polylines and points cover no pixels). Detection and
// instance segmentation: every image of a split; one without regions is a negative.
// folds > 0: train and val are pooled and re-dealt into `folds` folds by `seed`;
// fold `fold` becomes val, the others train (k-fold cross-validation).
core::Result<Snapshot> takeSnapshot(const std::string &project, Task task, int folds = 0, int fold = 0, std::uint64_t seed = 0);

} // namespace training
