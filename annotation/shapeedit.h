#pragma once
// Hit-testing and vertex edits on shapes, as free functions. Coordinates are
// image pixels; `tolerance` is in image pixels too (callers convert from screen
// pixels with the view scale). Only polygons and polylines have editable vertices.
#include "core/shape.h"

namespace annotation {

// Index of the vertex within `tolerance` of p (the nearest one), or -1.
int hitVertex(const core::Shape &s, core::Point p, double tolerance);
// Index i of the edge (vertex i to i+1, closing edge for polygons) within `tolerance`
// of p, or -1; *onEdge receives the nearest point on that edge.
int hitEdge(const core::Shape &s, core::Point p, double tolerance, core::Point *onEdge);

core::Result<core::Shape> moveVertex(const core::Shape &s, int index, core::Point to);
core::Result<core::Shape> insertVertex(const core::Shape &s, int afterIndex, core::Point at);
// Fails when the shape would fall below its minimum (3 points for a polygon, 2 for a polyline).
core::Result<core::Shape> removeVertex(const core::Shape &s, int index);

} // namespace annotation
