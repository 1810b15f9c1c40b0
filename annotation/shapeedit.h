#pragma once
// Hit-testing and vertex edits on shapes, as free functions. Coordinates are
// image pixels; `tolerance` is in image pixels too (callers convert from screen
// pixels with the view scale). Only polygons and polylines have editable vertices
// (insert, remove); every shape has handles that reshape it (moveHandle).
#include "core/shape.h"

namespace annotation {

// Whether p hits the shape: inside a closed shape, or within `tolerance` of a line or a point.
bool hitShape(const core::Shape &s, core::Point p, double tolerance);

// Index of the vertex within `tolerance` of p (the nearest one), or -1.
int hitVertex(const core::Shape &s, core::Point p, double tolerance);
// Index i of the edge (vertex i to i+1, closing edge for polygons) within `tolerance`
// of p, or -1; *onEdge receives the nearest point on that edge.
int hitEdge(const core::Shape &s, core::Point p, double tolerance, core::Point *onEdge);

core::Result<core::Shape> moveVertex(const core::Shape &s, int index, core::Point to);
core::Result<core::Shape> insertVertex(const core::Shape &s, int afterIndex, core::Point at);
// Fails when the shape would fall below its minimum (3 points for a polygon, 2 for a polyline).
core::Result<core::Shape> removeVertex(const core::Shape &s, int index);

// The control points a user drags to reshape `s`: the vertices of a polygon or
// polyline, the four corners of a rect (clockwise from top-left), the point of a
// point, a circle's rim point right of its centre, an ellipse's two semi-axis ends.
std::vector<core::Point> handles(const core::Shape &s);
// `s` with handle `index` dragged to `to`: a vertex moves; a rect corner moves with
// the opposite corner fixed; a circle's rim sets the radius; an ellipse's first
// handle sets rx and the rotation, the second ry.
core::Result<core::Shape> moveHandle(const core::Shape &s, int index, core::Point to);

} // namespace annotation
