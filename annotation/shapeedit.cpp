#include "annotation/shapeedit.h"

#include <algorithm>
#include <cmath>

namespace annotation {

namespace {

bool editable(const core::Shape &s) { return s.type() == core::ShapeType::Polygon || s.type() == core::ShapeType::Polyline; }

core::Result<core::Shape> rebuild(const core::Shape &s, std::vector<core::Point> pts)
{
    return s.type() == core::ShapeType::Polygon ? core::Shape::polygon(std::move(pts)) : core::Shape::polyline(std::move(pts));
}

core::Error notEditable() { return core::makeError(core::ErrorCode::Invalid, {}, {}, "only polygons and polylines have editable vertices"); }

} // namespace

int hitVertex(const core::Shape &s, core::Point p, double tolerance)
{
    if (!editable(s)) return -1;
    const auto pts = s.vertices();
    int best = -1;
    double bestD = tolerance;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const double d = std::hypot(pts[i].x - p.x, pts[i].y - p.y);
        if (d <= bestD) {
            bestD = d;
            best = static_cast<int>(i);
        }
    }
    return best;
}

int hitEdge(const core::Shape &s, core::Point p, double tolerance, core::Point *onEdge)
{
    if (!editable(s)) return -1;
    const auto pts = s.vertices();
    const std::size_t edges = s.type() == core::ShapeType::Polygon ? pts.size() : pts.size() - 1;
    int best = -1;
    double bestD = tolerance;
    for (std::size_t i = 0; i < edges; ++i) {
        const core::Point a = pts[i], b = pts[(i + 1) % pts.size()];
        const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
        const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
        const core::Point q{a.x + t * dx, a.y + t * dy};
        const double d = std::hypot(q.x - p.x, q.y - p.y);
        if (d <= bestD) {
            bestD = d;
            best = static_cast<int>(i);
            if (onEdge) *onEdge = q;
        }
    }
    return best;
}

core::Result<core::Shape> moveVertex(const core::Shape &s, int index, core::Point to)
{
    if (!editable(s)) return notEditable();
    auto pts = s.vertices();
    if (index < 0 || index >= static_cast<int>(pts.size())) return core::makeError(core::ErrorCode::Invalid, {}, {}, "no such vertex");
    pts[static_cast<std::size_t>(index)] = to;
    return rebuild(s, std::move(pts));
}

core::Result<core::Shape> insertVertex(const core::Shape &s, int afterIndex, core::Point at)
{
    if (!editable(s)) return notEditable();
    auto pts = s.vertices();
    if (afterIndex < 0 || afterIndex >= static_cast<int>(pts.size())) return core::makeError(core::ErrorCode::Invalid, {}, {}, "no such edge");
    pts.insert(pts.begin() + afterIndex + 1, at);
    return rebuild(s, std::move(pts));
}

core::Result<core::Shape> removeVertex(const core::Shape &s, int index)
{
    if (!editable(s)) return notEditable();
    auto pts = s.vertices();
    if (index < 0 || index >= static_cast<int>(pts.size())) return core::makeError(core::ErrorCode::Invalid, {}, {}, "no such vertex");
    pts.erase(pts.begin() + index);
    return rebuild(s, std::move(pts)); // refuses to go below the minimum
}

} // namespace annotation
