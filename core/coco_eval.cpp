// COCO evaluation. The steps and their order are pycocotools' (cocoeval.py):
// _prepare groups ground truth and detections by (image, category) in file order;
// computeIoU sorts a group's detections by score (stable) and keeps 100; evaluateImg
// matches them greedily per area range and IoU threshold, ground truth that is crowd
// or outside the range sorted last and only matched when nothing else is; accumulate
// merges each category's images, sorts by score (stable), and reads the interpolated
// precision at 101 recall points; summarize averages what is not -1. Where a detail
// decides a number (stable sorts, `<` against min(t, 1 - 1e-10), the matched id tested
// for non-zero, np.spacing(1) in the precision) it is done the same way here.
#include "core/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace core {

namespace {

constexpr int kT = 10, kR = 101, kA = 4, kM = 3;
constexpr int kMaxDets[kM] = {1, 10, 100};
constexpr int kMaxDet = 100;
// pycocotools' areaRng: [0², 1e5²], [0², 32²], [32², 96²], [96², 1e5²]; both ends inclusive.
constexpr double kAreaLo[kA] = {0, 0, 32 * 32, 96 * 96};
constexpr double kAreaHi[kA] = {1e10, 32 * 32, 96 * 96, 1e10};
const char *const kAreaNames[kA] = {"all", "small", "medium", "large"};

template <std::size_t N>
std::array<double, N> linspace(double start, double stop)
{
    // numpy.linspace(start, stop, N): arange(N) * step + start, the last value set to stop.
    std::array<double, N> v{};
    const double step = (stop - start) / static_cast<double>(N - 1);
    for (std::size_t i = 0; i < N; ++i)
        v[i] = static_cast<double>(i) * step + start;
    v[N - 1] = stop;
    return v;
}

Error invalid(const std::string &where, const std::string &message) { return makeError(ErrorCode::Invalid, {}, where, message); }

// The evaluation of one (category, image) group at the 100-detection limit: its
// detections in score order and, per area range, which of them are true and false
// positives at each IoU threshold (bit t of the masks).
struct GroupResult {
    std::size_t first = 0; // into Evaluation's per-detection arrays
    std::size_t count = 0;
};

struct Evaluation {
    std::vector<double> score;               // per kept detection, in group order
    std::vector<std::uint16_t> tp[kA], fp[kA]; // per kept detection
    std::vector<std::vector<GroupResult>> groups; // per category, in image order
    std::vector<std::array<std::size_t, kA>> npig; // per category: ground truth that counts, per area range
};

// One (category, image) pair that has ground truth or detections: ranges of
// Evaluator::m_gtOrder and m_dtOrder.
struct Group {
    std::size_t category = 0, image = 0;
    std::size_t gtBegin = 0, gtEnd = 0, dtBegin = 0, dtEnd = 0;
};

class Evaluator {
public:
    Evaluator(const CocoGroundTruth &gt, const std::vector<CocoDetection> &dts, CocoIouType type) : m_gt(gt), m_dts(dts), m_type(type) {}

    Result<CocoSummary> run()
    {
        if (auto s = prepare(); !s) return s.error();
        evaluateGroups();
        accumulate();
        return summarize();
    }

private:
    const CocoGroundTruth &m_gt;
    const std::vector<CocoDetection> &m_dts;
    CocoIouType m_type;

    std::vector<std::int64_t> m_imgIds, m_catIds; // sorted, unique
    std::vector<std::size_t> m_imageEntry;        // image index -> m_gt.images entry (the last of a repeated id, as in pycocotools)
    std::vector<std::size_t> m_gtOrder, m_dtOrder; // annotation / detection indices grouped by (category, image)
    std::vector<Group> m_groups;                   // in category order, then image order
    // segm only: each instance's mask (its own, or one rasterised into m_rasterised) and the mask's box.
    std::vector<const Rle *> m_gtRle, m_dtRle;
    std::vector<Box> m_gtRleBox, m_dtRleBox;
    std::deque<Rle> m_rasterised;
    Evaluation m_eval;
    std::vector<double> m_precision; // [t][r][k][a][m]
    std::vector<double> m_recall;    // [t][k][a][m]

    std::size_t K() const { return m_catIds.size(); }
    std::size_t I() const { return m_imgIds.size(); }
    double &precision(int t, int r, std::size_t k, int a, int m)
    {
        return m_precision[((((static_cast<std::size_t>(t) * kR + static_cast<std::size_t>(r)) * K() + k) * kA + static_cast<std::size_t>(a)) * kM) + static_cast<std::size_t>(m)];
    }
    double &recall(int t, std::size_t k, int a, int m)
    {
        return m_recall[(((static_cast<std::size_t>(t) * K() + k) * kA + static_cast<std::size_t>(a)) * kM) + static_cast<std::size_t>(m)];
    }

    static std::int64_t indexOf(const std::vector<std::int64_t> &sorted, std::int64_t id)
    {
        auto it = std::lower_bound(sorted.begin(), sorted.end(), id);
        return it != sorted.end() && *it == id ? it - sorted.begin() : -1;
    }

    Status prepare()
    {
        for (const CocoImage &im : m_gt.images)
            m_imgIds.push_back(im.id);
        for (const CocoCategory &c : m_gt.categories)
            m_catIds.push_back(c.id);
        std::sort(m_imgIds.begin(), m_imgIds.end());
        m_imgIds.erase(std::unique(m_imgIds.begin(), m_imgIds.end()), m_imgIds.end());
        std::sort(m_catIds.begin(), m_catIds.end());
        m_catIds.erase(std::unique(m_catIds.begin(), m_catIds.end()), m_catIds.end());
        m_imageEntry.assign(I(), 0);
        for (std::size_t e = 0; e < m_gt.images.size(); ++e)
            m_imageEntry[static_cast<std::size_t>(indexOf(m_imgIds, m_gt.images[e].id))] = e;

        // Keys (category, image) as one number; pairs of key and index, stably sorted,
        // keep the file order within each group.
        std::vector<std::pair<std::int64_t, std::size_t>> gtKeys, dtKeys;
        for (std::size_t n = 0; n < m_gt.annotations.size(); ++n) {
            const CocoAnnotation &g = m_gt.annotations[n];
            const std::int64_t i = indexOf(m_imgIds, g.imageId), k = indexOf(m_catIds, g.categoryId);
            if (i >= 0 && k >= 0) gtKeys.emplace_back(k * static_cast<std::int64_t>(I()) + i, n); // others are not evaluated, as in pycocotools
        }
        for (std::size_t n = 0; n < m_dts.size(); ++n) {
            const CocoDetection &d = m_dts[n];
            const std::int64_t i = indexOf(m_imgIds, d.imageId);
            if (i < 0) return invalid("detections[" + std::to_string(n) + "]", "image " + std::to_string(d.imageId) + " is not in the ground truth");
            if (!std::isfinite(d.score)) return invalid("detections[" + std::to_string(n) + "]", "score is not a finite number");
            const std::int64_t k = indexOf(m_catIds, d.categoryId);
            if (k >= 0) dtKeys.emplace_back(k * static_cast<std::int64_t>(I()) + i, n);
        }
        std::stable_sort(gtKeys.begin(), gtKeys.end(), [](const auto &x, const auto &y) { return x.first < y.first; });
        // Within a group the highest score first; equal scores keep their order (numpy's mergesort is stable).
        std::stable_sort(dtKeys.begin(), dtKeys.end(), [this](const auto &x, const auto &y) {
            return x.first < y.first || (x.first == y.first && m_dts[x.second].score > m_dts[y.second].score);
        });
        for (const auto &p : gtKeys)
            m_gtOrder.push_back(p.second);
        for (const auto &p : dtKeys)
            m_dtOrder.push_back(p.second);
        std::size_t g = 0, d = 0;
        while (g < gtKeys.size() || d < dtKeys.size()) {
            const std::int64_t key = std::min(g < gtKeys.size() ? gtKeys[g].first : std::numeric_limits<std::int64_t>::max(),
                                              d < dtKeys.size() ? dtKeys[d].first : std::numeric_limits<std::int64_t>::max());
            Group gr;
            gr.category = static_cast<std::size_t>(key) / I();
            gr.image = static_cast<std::size_t>(key) % I();
            gr.gtBegin = g;
            while (g < gtKeys.size() && gtKeys[g].first == key)
                ++g;
            gr.gtEnd = g;
            gr.dtBegin = d;
            while (d < dtKeys.size() && dtKeys[d].first == key)
                ++d;
            gr.dtEnd = std::min(d, gr.dtBegin + kMaxDet); // computeIoU keeps the 100 best
            m_groups.push_back(gr);
        }
        if (m_type == CocoIouType::Segm) return prepareMasks();
        return {};
    }

    const CocoImage &imageOf(std::int64_t imageId) const { return m_gt.images[m_imageEntry[static_cast<std::size_t>(indexOf(m_imgIds, imageId))]]; }

    // The size an image's polygons and boxes are rasterised at; an error naming `who` when
    // the ground truth does not give it.
    Result<std::pair<std::uint32_t, std::uint32_t>> rasterSize(std::int64_t imageId, const std::string &who, const std::string &what) const
    {
        const CocoImage &im = imageOf(imageId);
        if (im.width <= 0 || im.height <= 0)
            return invalid(who, what + ", and image " + std::to_string(im.id) + " has no width and height to rasterise it at");
        return std::make_pair(static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
    }

    // Masks and their boxes for the groups that compare any (ground truth and detections both).
    Status prepareMasks()
    {
        m_gtRle.assign(m_gt.annotations.size(), nullptr);
        m_gtRleBox.resize(m_gt.annotations.size());
        m_dtRle.assign(m_dts.size(), nullptr);
        m_dtRleBox.resize(m_dts.size());
        for (const Group &gr : m_groups) {
            if (gr.gtBegin == gr.gtEnd || gr.dtBegin == gr.dtEnd) continue;
            for (std::size_t j = gr.gtBegin; j < gr.gtEnd; ++j) {
                const std::size_t n = m_gtOrder[j];
                const CocoAnnotation &g = m_gt.annotations[n];
                if (g.rle) {
                    m_gtRle[n] = &*g.rle;
                } else {
                    auto hw = rasterSize(g.imageId, "annotations[" + std::to_string(n) + "]", g.polygons.empty() ? "has only a box" : "has polygons");
                    if (!hw) return hw.error();
                    m_rasterised.push_back(g.polygons.empty() ? rleFromBox(g.box, hw->first, hw->second) : rleFromPolygons(g.polygons, hw->first, hw->second));
                    m_gtRle[n] = &m_rasterised.back();
                }
                m_gtRleBox[n] = rleToBox(*m_gtRle[n]);
            }
            for (std::size_t j = gr.dtBegin; j < gr.dtEnd; ++j) {
                const std::size_t n = m_dtOrder[j];
                const CocoDetection &d = m_dts[n];
                if (d.mask) {
                    m_dtRle[n] = &*d.mask;
                } else {
                    auto hw = rasterSize(d.imageId, "detections[" + std::to_string(n) + "]", "has no mask");
                    if (!hw) return hw.error();
                    m_rasterised.push_back(rleFromBox(d.box, hw->first, hw->second));
                    m_dtRle[n] = &m_rasterised.back();
                }
                m_dtRleBox[n] = rleToBox(*m_dtRle[n]);
            }
        }
        return {};
    }

    void evaluateGroups()
    {
        const auto thresholds = cocoIouThresholds();
        m_eval.groups.assign(K(), {});
        m_eval.npig.assign(K(), {});
        std::vector<double> ious;
        std::vector<char> gtIgnore, gtMatched;
        std::vector<std::size_t> order;
        std::vector<std::uint16_t> matchedNonZero, ignoredByGt; // per detection, bit t: at IoU threshold t
        for (const Group &grp : m_groups) {
            const std::size_t k = grp.category;
            const std::size_t G = grp.gtEnd - grp.gtBegin, D = grp.dtEnd - grp.dtBegin;
            const std::size_t *gts = m_gtOrder.data() + grp.gtBegin, *dts = m_dtOrder.data() + grp.dtBegin;
            // IoU of each kept detection with each ground truth, ground truth in file order.
            ious.assign(D * G, 0.0);
            for (std::size_t d = 0; d < D; ++d)
                for (std::size_t g = 0; g < G; ++g) {
                    const CocoAnnotation &gt = m_gt.annotations[gts[g]];
                    ious[d * G + g] = m_type == CocoIouType::Bbox
                                          ? boxIou(m_dts[dts[d]].box, gt.box, gt.iscrowd)
                                          : rleIou(*m_dtRle[dts[d]], m_dtRleBox[dts[d]], *m_gtRle[gts[g]], m_gtRleBox[gts[g]], gt.iscrowd);
                }
            GroupResult gr;
            gr.first = m_eval.score.size();
            gr.count = D;
            for (std::size_t d = 0; d < D; ++d)
                m_eval.score.push_back(m_dts[dts[d]].score);
            for (int a = 0; a < kA; ++a) {
                gtIgnore.assign(G, 0);
                for (std::size_t g = 0; g < G; ++g) {
                    const CocoAnnotation &gt = m_gt.annotations[gts[g]];
                    gtIgnore[g] = gt.iscrowd || gt.area < kAreaLo[a] || gt.area > kAreaHi[a];
                    if (!gtIgnore[g]) ++m_eval.npig[k][static_cast<std::size_t>(a)];
                }
                // Ground truth that counts first, each part in file order.
                order.resize(G);
                std::iota(order.begin(), order.end(), std::size_t{0});
                std::stable_partition(order.begin(), order.end(), [&](std::size_t g) { return !gtIgnore[g]; });
                std::vector<std::uint16_t> &tpv = m_eval.tp[a], &fpv = m_eval.fp[a];
                const std::size_t base = tpv.size();
                tpv.resize(base + D, 0);
                fpv.resize(base + D, 0);
                matchedNonZero.assign(D, 0);
                ignoredByGt.assign(D, 0);
                if (G > 0) {
                    for (int t = 0; t < kT; ++t) {
                        gtMatched.assign(G, 0);
                        for (std::size_t d = 0; d < D; ++d) {
                            double best = std::min(thresholds[static_cast<std::size_t>(t)], 1 - 1e-10);
                            std::ptrdiff_t m = -1;
                            for (std::size_t g : order) {
                                const bool crowd = m_gt.annotations[gts[g]].iscrowd;
                                if (gtMatched[g] && !crowd) continue;
                                if (m > -1 && !gtIgnore[static_cast<std::size_t>(m)] && gtIgnore[g]) break;
                                if (ious[d * G + g] < best) continue;
                                best = ious[d * G + g];
                                m = static_cast<std::ptrdiff_t>(g);
                            }
                            if (m == -1) continue;
                            const auto bit = static_cast<std::uint16_t>(1u << t);
                            if (gtIgnore[static_cast<std::size_t>(m)]) ignoredByGt[d] |= bit;
                            if (m_gt.annotations[gts[static_cast<std::size_t>(m)]].id != 0) matchedNonZero[d] |= bit;
                            gtMatched[static_cast<std::size_t>(m)] = 1;
                        }
                    }
                }
                for (std::size_t d = 0; d < D; ++d) {
                    const CocoDetection &dt = m_dts[dts[d]];
                    const double area = dt.area ? *dt.area : dt.box.w * dt.box.h;
                    const bool outside = area < kAreaLo[a] || area > kAreaHi[a];
                    for (int t = 0; t < kT; ++t) {
                        const auto bit = static_cast<std::uint16_t>(1u << t);
                        const bool matched = matchedNonZero[d] & bit;
                        const bool ignored = (ignoredByGt[d] & bit) || (!matched && outside);
                        if (ignored) continue;
                        if (matched)
                            tpv[base + d] |= bit;
                        else
                            fpv[base + d] |= bit;
                    }
                }
            }
            m_eval.groups[k].push_back(gr);
        }
    }

    void accumulate()
    {
        const auto recThrs = cocoRecallThresholds();
        m_precision.assign(static_cast<std::size_t>(kT) * kR * K() * kA * kM, -1.0);
        m_recall.assign(static_cast<std::size_t>(kT) * K() * kA * kM, -1.0);
        const double eps = std::numeric_limits<double>::epsilon(); // np.spacing(1)
        std::vector<std::size_t> idx;
        std::vector<double> rc, pr;
        for (std::size_t k = 0; k < K(); ++k) {
            for (int m = 0; m < kM; ++m) {
                // The first maxDet detections of each image, images in id order, then a
                // stable sort by score: the order numpy's mergesort gives the concatenation.
                idx.clear();
                for (const GroupResult &g : m_eval.groups[k])
                    for (std::size_t d = 0; d < std::min<std::size_t>(g.count, static_cast<std::size_t>(kMaxDets[m])); ++d)
                        idx.push_back(g.first + d);
                std::stable_sort(idx.begin(), idx.end(), [this](std::size_t x, std::size_t y) { return m_eval.score[x] > m_eval.score[y]; });
                const std::size_t nd = idx.size();
                for (int a = 0; a < kA; ++a) {
                    const std::size_t npig = m_eval.npig[k][static_cast<std::size_t>(a)];
                    if (npig == 0) continue;
                    const auto &tpv = m_eval.tp[a], &fpv = m_eval.fp[a];
                    for (int t = 0; t < kT; ++t) {
                        const auto bit = static_cast<std::uint16_t>(1u << t);
                        rc.resize(nd);
                        pr.resize(nd);
                        double tp = 0, fp = 0;
                        for (std::size_t j = 0; j < nd; ++j) {
                            if (tpv[idx[j]] & bit) tp += 1;
                            if (fpv[idx[j]] & bit) fp += 1;
                            rc[j] = tp / static_cast<double>(npig);
                            pr[j] = tp / (fp + tp + eps);
                        }
                        recall(t, k, a, m) = nd ? rc[nd - 1] : 0;
                        for (std::size_t j = nd; j-- > 1;)
                            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
                        std::size_t pi = 0;
                        for (int r = 0; r < kR; ++r) {
                            // np.searchsorted(rc, recThr, side='left'); past the end the rest stay 0.
                            while (pi < nd && rc[pi] < recThrs[static_cast<std::size_t>(r)])
                                ++pi;
                            precision(t, r, k, a, m) = pi < nd ? pr[pi] : 0.0;
                        }
                    }
                }
            }
        }
    }

    double meanPrecision(int t0, int t1, std::size_t k0, std::size_t k1, int a, int m)
    {
        double sum = 0;
        std::size_t n = 0;
        for (int t = t0; t < t1; ++t)
            for (int r = 0; r < kR; ++r)
                for (std::size_t k = k0; k < k1; ++k) {
                    const double v = precision(t, r, k, a, m);
                    if (v > -1) {
                        sum += v;
                        ++n;
                    }
                }
        return n ? sum / static_cast<double>(n) : -1;
    }

    double meanRecall(int a, int m)
    {
        double sum = 0;
        std::size_t n = 0;
        for (int t = 0; t < kT; ++t)
            for (std::size_t k = 0; k < K(); ++k) {
                const double v = recall(t, k, a, m);
                if (v > -1) {
                    sum += v;
                    ++n;
                }
            }
        return n ? sum / static_cast<double>(n) : -1;
    }

    CocoSummary summarize()
    {
        CocoSummary s;
        s.iouType = m_type;
        const std::size_t k1 = K();
        s.stats[0] = meanPrecision(0, kT, 0, k1, 0, 2);
        s.stats[1] = meanPrecision(0, 1, 0, k1, 0, 2); // IoU .50
        s.stats[2] = meanPrecision(5, 6, 0, k1, 0, 2); // IoU .75
        for (int a = 1; a < kA; ++a)
            s.stats[static_cast<std::size_t>(2 + a)] = meanPrecision(0, kT, 0, k1, a, 2);
        for (int m = 0; m < kM; ++m)
            s.stats[static_cast<std::size_t>(6 + m)] = meanRecall(0, m);
        for (int a = 1; a < kA; ++a)
            s.stats[static_cast<std::size_t>(8 + a)] = meanRecall(a, 2);
        std::unordered_map<std::int64_t, std::string> names;
        for (const CocoCategory &c : m_gt.categories)
            names[c.id] = c.name;
        for (std::size_t k = 0; k < K(); ++k)
            s.perCategory.push_back({m_catIds[k], names[m_catIds[k]], meanPrecision(0, kT, k, k + 1, 0, 2)});
        return s;
    }
};

} // namespace

const char *cocoIouTypeName(CocoIouType t) { return t == CocoIouType::Segm ? "segm" : "bbox"; }

bool cocoIouTypeFromName(const std::string &name, CocoIouType *out)
{
    if (name == "bbox") {
        *out = CocoIouType::Bbox;
        return true;
    }
    if (name == "segm") {
        *out = CocoIouType::Segm;
        return true;
    }
    return false;
}

const std::array<double, 10> &cocoIouThresholds()
{
    static const auto v = linspace<10>(0.5, 0.95);
    return v;
}

const std::array<double, 101> &cocoRecallThresholds()
{
    static const auto v = linspace<101>(0.0, 1.0);
    return v;
}

const std::array<const char *, 12> &CocoSummary::statNames()
{
    static const std::array<const char *, 12> n = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
    return n;
}

double CocoSummary::stat(const std::string &name) const
{
    for (std::size_t i = 0; i < stats.size(); ++i)
        if (name == statNames()[i]) return stats[i];
    throw std::out_of_range("no COCO statistic named " + name);
}

nlohmann::json CocoSummary::toJson() const
{
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t i = 0; i < stats.size(); ++i)
        j[statNames()[i]] = stats[i];
    return j;
}

std::string CocoSummary::table() const
{
    // pycocotools: ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
    struct Row {
        bool ap;
        const char *iou;
        int area;
        int maxDets;
    };
    static const Row rows[12] = {{true, "0.50:0.95", 0, 100}, {true, "0.50", 0, 100},     {true, "0.75", 0, 100},
                                 {true, "0.50:0.95", 1, 100}, {true, "0.50:0.95", 2, 100}, {true, "0.50:0.95", 3, 100},
                                 {false, "0.50:0.95", 0, 1},  {false, "0.50:0.95", 0, 10}, {false, "0.50:0.95", 0, 100},
                                 {false, "0.50:0.95", 1, 100}, {false, "0.50:0.95", 2, 100}, {false, "0.50:0.95", 3, 100}};
    std::string out;
    char line[160];
    for (std::size_t i = 0; i < 12; ++i) {
        const Row &r = rows[i];
        std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n", r.ap ? "Average Precision" : "Average Recall",
                      r.ap ? "(AP)" : "(AR)", r.iou, kAreaNames[r.area], r.maxDets, stats[i]);
        out += line;
    }
    return out;
}

CocoEvaluator::CocoEvaluator(CocoGroundTruth groundTruth, std::vector<CocoIouType> iouTypes)
    : m_gt(std::move(groundTruth)), m_types(std::move(iouTypes))
{
}

void CocoEvaluator::reset() { m_dts.clear(); }

void CocoEvaluator::process(const std::vector<CocoDetection> &detections) { m_dts.insert(m_dts.end(), detections.begin(), detections.end()); }

void CocoEvaluator::process(const CocoDetection &detection) { m_dts.push_back(detection); }

Result<std::vector<CocoSummary>> CocoEvaluator::evaluate() const
{
    std::vector<CocoSummary> out;
    for (CocoIouType t : m_types) {
        auto s = evaluateCoco(m_gt, m_dts, t);
        if (!s) return s.error();
        out.push_back(std::move(s.value()));
    }
    return out;
}

Result<CocoSummary> evaluateCoco(const CocoGroundTruth &groundTruth, const std::vector<CocoDetection> &detections, CocoIouType iouType)
{
    try {
        return Evaluator(groundTruth, detections, iouType).run();
    } catch (const std::exception &e) { // memory, for inputs beyond this machine
        return makeError(ErrorCode::Internal, {}, {}, std::string("COCO evaluation failed: ") + e.what());
    }
}

} // namespace core
