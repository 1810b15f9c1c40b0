#pragma once
// Run-length encoded binary masks as COCO stores them, with pycocotools' semantics
// (its common/maskApi.c): for the same input every function here gives the counts,
// strings, areas, boxes and IoUs that pycocotools' mask module gives.
//
// Conventions: a mask of height H and width W is read column by column (COCO's
// Fortran order: pixel (x, y) is element x * H + y); the counts alternate runs of 0s
// and 1s and start with a run of 0s, which may be empty. A valid Rle's counts add up
// to H * W; every function below assumes valid input (the JSON readers check it).
// Polygon and box coordinates are pixels, x right and y down, with pixel (x, y)
// covering [x, x+1) × [y, y+1), as in COCO.
#include "core/shape.h"

#include <cstdint>
#include <string>
#include <vector>

namespace core {

struct Rle {
    std::uint32_t height = 0, width = 0;
    std::vector<std::uint32_t> counts;

    // The counts add up to height * width.
    bool isValid() const;
    bool operator==(const Rle &o) const { return height == o.height && width == o.width && counts == o.counts; }
    bool operator!=(const Rle &o) const { return !(*this == o); }
};

enum class MaskOrder {
    ColumnMajor, // COCO's order: element x * height + y (numpy's order='F')
    RowMajor,    // element y * width + x (an OpenCV Mat, a contiguous [H, W] tensor)
};

// Encodes height * width bytes (non-zero is foreground) in the given order (rleEncode).
Rle rleEncode(const std::uint8_t *mask, std::uint32_t height, std::uint32_t width, MaskOrder order = MaskOrder::ColumnMajor);
// The mask as height * width bytes of 0 and 1 in the given order (rleDecode).
std::vector<std::uint8_t> rleDecode(const Rle &rle, MaskOrder order = MaskOrder::ColumnMajor);
// Number of foreground pixels (rleArea).
std::uint64_t rleArea(const Rle &rle);
// The tight box of the foreground in whole pixels, XYWH; all zero for an empty mask (rleToBbox).
Box rleToBox(const Rle &rle);
// Union (or intersection) of masks of one size; masks of different sizes give an
// empty 0×0 Rle, and no masks too, as pycocotools does (rleMerge).
Rle rleMerge(const std::vector<Rle> &rles, bool intersect = false);

// IoU of two boxes (XYWH). With gtIsCrowd the union is the detection's area alone:
// COCO's rule for crowd ground truth, which a detection may cover in part (bbIou).
double boxIou(const Box &dt, const Box &gt, bool gtIsCrowd);
// IoU of two masks, with the same crowd rule; -1 when their boxes overlap but their
// sizes differ (rleIou).
double rleIou(const Rle &dt, const Rle &gt, bool gtIsCrowd);
// The same with the masks' boxes (rleToBox) computed once by the caller.
double rleIou(const Rle &dt, const Box &dtBox, const Rle &gt, const Box &gtBox, bool gtIsCrowd);

// Rasterises a closed polygon x0,y0,x1,y1,… exactly as pycocotools' rleFrPoly (a
// trailing odd value is ignored). Coordinates beyond ±1e7 are clamped (where
// pycocotools' integer conversion is undefined).
Rle rleFromPolygon(const std::vector<double> &xy, std::uint32_t height, std::uint32_t width);
// Union of the parts' masks: what pycocotools' annToRLE makes of a polygon list.
Rle rleFromPolygons(const std::vector<std::vector<double>> &parts, std::uint32_t height, std::uint32_t width);
// The box (XYWH) as the polygon of its four corners (rleFrBbox): what loadRes
// makes of a result that has a bbox but no segmentation.
Rle rleFromBox(const Box &box, std::uint32_t height, std::uint32_t width);

// COCO's compressed counts string: 5 bits a character from '0', values from the
// fourth on stored as the difference to the value two before (rleToString).
std::string rleToString(const Rle &rle);
// Decodes a compressed counts string (rleFrString); false when it is not one: a
// character outside '0'..'o', a value cut short, a count below 0 or above 2^32-1.
bool rleCountsFromString(const std::string &s, std::vector<std::uint32_t> *counts);

} // namespace core
