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

double segmentDistance(core::Point p, core::Point a, core::Point b)
{
    const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(a.x + t * dx - p.x, a.y + t * dy - p.y);
}

} // namespace

bool hitShape(const core::Shape &s, core::Point p, double tolerance)
{
    if (s.type() == core::ShapeType::Point) return std::hypot(s.params()[0] - p.x, s.params()[1] - p.y) <= tolerance;
    const auto pts = s.toPolygon(48);
    if (pts.empty()) return false;
    const std::size_t edges = s.isClosed() ? pts.size() : pts.size() - 1;
    bool inside = false;
    for (std::size_t i = 0, j = pts.size() - 1; i < pts.size(); j = i++) // even-odd crossing test
        if ((pts[i].y > p.y) != (pts[j].y > p.y) && p.x < (pts[j].x - pts[i].x) * (p.y - pts[i].y) / (pts[j].y - pts[i].y) + pts[i].x) inside = !inside;
    if (s.isClosed() && inside) return true;
    for (std::size_t i = 0; i < edges; ++i)
        if (segmentDistance(p, pts[i], pts[(i + 1) % pts.size()]) <= tolerance) return true;
    return false;
}

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

std::vector<core::Point> handles(const core::Shape &s)
{
    const auto &p = s.params();
    switch (s.type()) {
    case core::ShapeType::Circle:
        return {{p[0] + p[2], p[1]}};
    case core::ShapeType::Ellipse: {
        const double c = std::cos(p[4]), sn = std::sin(p[4]);
        return {{p[0] + p[2] * c, p[1] + p[2] * sn}, {p[0] - p[3] * sn, p[1] + p[3] * c}};
    }
    default:
        return s.vertices(); // rect corners, the point, polygon and polyline vertices
    }
}

core::Result<core::Shape> moveHandle(const core::Shape &s, int index, core::Point to)
{
    const auto &p = s.params();
    const int count = static_cast<int>(handles(s).size());
    if (index < 0 || index >= count) return core::makeError(core::ErrorCode::Invalid, {}, {}, "no such handle");
    switch (s.type()) {
    case core::ShapeType::Polygon:
    case core::ShapeType::Polyline:
        return moveVertex(s, index, to);
    case core::ShapeType::Point:
        return core::Shape::point(to.x, to.y);
    case core::ShapeType::Rect: {
        const auto corners = s.vertices();
        const core::Point fixed = corners[static_cast<std::size_t>((index + 2) % 4)];
        return core::Shape::rect(std::min(fixed.x, to.x), std::min(fixed.y, to.y), std::abs(to.x - fixed.x), std::abs(to.y - fixed.y));
    }
    case core::ShapeType::Circle:
        return core::Shape::circle(p[0], p[1], std::hypot(to.x - p[0], to.y - p[1]));
    case core::ShapeType::Ellipse: {
        const double dx = to.x - p[0], dy = to.y - p[1];
        if (index == 0) return core::Shape::ellipse(p[0], p[1], std::hypot(dx, dy), p[3], std::atan2(dy, dx));
        // The second axis stays perpendicular to the first: only its length follows the cursor.
        const double ry = std::abs(-dx * std::sin(p[4]) + dy * std::cos(p[4]));
        return core::Shape::ellipse(p[0], p[1], p[2], ry, p[4]);
    }
    }
    return core::makeError(core::ErrorCode::Invalid, {}, {}, "unknown shape");
}

} // namespace annotation
