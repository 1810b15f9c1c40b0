#include "training/records.h"

#include "core/project_store.h"
#include "core/random.h"

#include <algorithm>
#include <map>
#include <set>

using core::ErrorCode;
using core::makeError;

namespace training {

core::Result<Snapshot> takeSnapshot(const std::string &project, Task task, int folds, int fold, std::uint64_t seed)
{
    auto store = core::ProjectStore::open(project);
    if (!store) return store.error();
    Snapshot snap;
    snap.task = task;
    const auto readImages = store->images();
    if (!readImages) return readImages.error();
    const auto readClasses = store->classes();
    if (!readClasses) return readClasses.error();
    const std::vector<core::ImageInfo> &images = *readImages;
    const std::vector<core::ClassRecord> &classes = *readClasses;
    std::vector<std::pair<core::Split, Record>> records;
    std::set<core::Id> used;
    std::map<core::Id, int> index;
    auto indexUsedClasses = [&] {
        for (const auto &c : classes)
            if (used.count(c.id)) {
                index[c.id] = static_cast<int>(snap.classes.size());
                snap.classes.push_back(c.name);
            }
    };
    if (task == Task::Classification) {
        for (const auto &im : images)
            if (im.classId) used.insert(im.classId);
        indexUsedClasses();
        for (const auto &im : images)
            if (im.classId) records.push_back({im.split, Record{im.absPath, index[im.classId], {}}});
        if (snap.classes.size() < 2)
            return makeError(ErrorCode::Invalid, project, {}, "classification needs images of at least two classes (an image class per image)");
    } else {
        const bool negatives = task == Task::Detection || task == Task::Instance;
        std::vector<std::pair<core::Split, std::pair<std::string, std::vector<core::Region>>>> withRegions;
        for (const auto &im : images) {
            std::vector<core::Region> regions;
            if (im.regionCount > 0) {
                auto stored = store->regions(im.id);
                if (!stored) return stored.error();
                for (auto &r : *stored)
                    if (r.classId && r.shape.isClosed()) {
                        used.insert(r.classId);
                        regions.push_back(std::move(r));
                    }
            }
            if (!regions.empty() || negatives) withRegions.push_back({im.split, {im.absPath, std::move(regions)}});
        }
        if (task == Task::Segmentation && used.size() > 254)
            return makeError(ErrorCode::Unsupported, project, {}, "segmentation supports at most 254 classes");
        indexUsedClasses();
        for (auto &[split, entry] : withRegions) {
            Record record{entry.first, -1, {}};
            for (const auto &r : entry.second) record.regions.push_back({r.shape, index[r.classId]});
            records.push_back({split, std::move(record)});
        }
        if (snap.classes.empty())
            return makeError(ErrorCode::Invalid, project, {}, std::string(taskName(task)) + " needs regions with a class (polygons, rectangles, circles or ellipses)");
    }
    if (folds > 0) {
        if (folds < 2 || fold < 0 || fold >= folds) return makeError(ErrorCode::Invalid, {}, {}, "k-fold needs k >= 2 and 0 <= fold < k");
        std::vector<Record> pool;
        for (auto &[split, record] : records) {
            if (split == core::Split::Test) snap.test.push_back(std::move(record));
            else if (split == core::Split::Train || split == core::Split::Val) pool.push_back(std::move(record));
        }
        std::sort(pool.begin(), pool.end(), [](const Record &a, const Record &b) { return a.path < b.path; });
        core::SplitMix64 rng{seed ^ 0x6b2f0e1dULL};
        for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng.next() % i]);
        if (pool.size() < static_cast<std::size_t>(folds))
            return makeError(ErrorCode::Invalid, project, {}, std::to_string(folds) + "-fold needs at least " + std::to_string(folds) + " train and val images");
        for (std::size_t i = 0; i < pool.size(); ++i)
            (static_cast<int>(i % static_cast<std::size_t>(folds)) == fold ? snap.val : snap.train).push_back(std::move(pool[i]));
        return snap;
    }
    for (auto &[split, record] : records) {
        if (split == core::Split::Train) snap.train.push_back(std::move(record));
        else if (split == core::Split::Val) snap.val.push_back(std::move(record));
        else if (split == core::Split::Test) snap.test.push_back(std::move(record));
    }
    return snap;
}

} // namespace training
