#pragma once
// "Smart region": the object in a box the user drew, or around a point they
// clicked, segmented with OpenCV's grabCut and traced into a polygon. Plain C++ (no
// Qt): the canvas tool runs it on a worker thread, bench/smart measures it on the
// droplets, tests call it directly.
//
// Plain grabCut from a box fails outright on some objects (on the droplets, about
// one in ten: a crescent of the rim, or the whole box). So every candidate outline
// is scored for how plausible it is as "the object the user boxed": a tight box
// touches the object on all four sides, and the object does not fill the box's
// corners unless it is box-shaped. When grabCut's own result scores low, the tool
// tries others (the mask closed over gaps, grabCut seeded from the image's own
// edges, the dark or bright blob Otsu's threshold finds) and keeps the best;
// SmartResult says which won and whether the plain result was refused.
//
// Coordinates are pixels of the image given (pixel corners, x right, y down); the
// polygon is simplified with Douglas-Peucker at `tolerance` pixels and lies on the
// outer edge of the object's pixels, so rasterising it (core/rasterize.h) gives
// back the segmented pixels.
#include "core/result.h"
#include "core/shape.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace core {

// 8-bit pixels owned by the caller, rows `stride` bytes apart: RGB, or B,G,R,X as a
// QImage of Format_RGB32 lays them out in memory on a little-endian machine.
struct PixelView {
    enum class Layout { Rgb, Bgrx };
    const std::uint8_t *data = nullptr;
    int width = 0, height = 0, stride = 0;
    Layout layout = Layout::Rgb;
};

struct SmartOptions {
    double tolerance = 1.0;   // Douglas-Peucker tolerance in image pixels (the tool passes 1.5 screen pixels)
    int iterations = 3;       // of grabCut (5 gives the same outlines on the droplets, at 1.4x the time)
    int maxSide = 160;        // the crop around the object is downscaled to this longer side first
    bool recover = true;      // false: plain grabCut's outline, whatever it is (for the benchmark's baseline)
};

struct SmartOutline {
    std::vector<Point> polygon; // image pixels
    std::string method;         // "grabcut", "closed", "otsu", "edges", "ellipse"
    double plausibility = 0;    // 0..1
};

struct SmartResult : SmartOutline { // the outline kept
    bool recovered = false;     // grabCut's own outline was refused for another
    // Every candidate tried, the kept one first, then by plausibility: the tool lets
    // the user step through them (Tab) when the first is not the object meant.
    std::vector<SmartOutline> alternatives;
};

// The object inside `box`. Fails (Invalid) for a box under 3 pixels a side or outside the image.
Result<SmartResult> segmentInBox(const PixelView &image, const Box &box, const SmartOptions &options = {});
// The object around `seed`: boxes of growing size around the point until the object
// found no longer touches the box's sides (the box was large enough to hold it).
Result<SmartResult> segmentAtPoint(const PixelView &image, Point seed, const SmartOptions &options = {});

} // namespace core
