#include "core/shape.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace core {

namespace {

const char *const kNames[] = {"rect", "polygon", "polyline", "circle", "ellipse", "point"};

bool allFinite(const std::vector<double> &v)
{
    return std::all_of(v.begin(), v.end(), [](double d) { return std::isfinite(d); });
}

Error invalid(const std::string &msg) { return makeError(ErrorCode::Invalid, {}, {}, msg); }

std::vector<double> pack(const std::vector<Point> &pts)
{
    std::vector<double> p;
    p.reserve(pts.size() * 2);
    for (const Point &q : pts) {
        p.push_back(q.x);
        p.push_back(q.y);
    }
    return p;
}

// Orientation of the triplet (a, b, c): >0 counter-clockwise, <0 clockwise, 0 collinear.
double cross(const Point &a, const Point &b, const Point &c)
{
    return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

bool onSegment(const Point &a, const Point &b, const Point &p)
{
    return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y
           && p.y <= std::max(a.y, b.y);
}

bool segmentsIntersect(const Point &p1, const Point &p2, const Point &p3, const Point &p4)
{
    const double d1 = cross(p3, p4, p1), d2 = cross(p3, p4, p2);
    const double d3 = cross(p1, p2, p3), d4 = cross(p1, p2, p4);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return true;
    if (d1 == 0 && onSegment(p3, p4, p1)) return true;
    if (d2 == 0 && onSegment(p3, p4, p2)) return true;
    if (d3 == 0 && onSegment(p1, p2, p3)) return true;
    if (d4 == 0 && onSegment(p1, p2, p4)) return true;
    return false;
}

} // namespace

const char *shapeTypeName(ShapeType t) { return kNames[static_cast<int>(t)]; }

bool shapeTypeFromName(const std::string &name, ShapeType *out)
{
    for (int i = 0; i < 6; ++i) {
        if (name == kNames[i]) {
            *out = static_cast<ShapeType>(i);
            return true;
        }
    }
    return false;
}

Result<Shape> Shape::rect(double x, double y, double w, double h)
{
    std::vector<double> p{x, y, w, h};
    if (!allFinite(p)) return invalid("rect has a coordinate that is not a finite number");
    if (w < 0 || h < 0) return invalid("rect has a negative width or height");
    return Shape(ShapeType::Rect, std::move(p));
}

Result<Shape> Shape::polygon(std::vector<Point> pts)
{
    std::vector<double> p = pack(pts);
    if (!allFinite(p)) return invalid("polygon has a coordinate that is not a finite number");
    if (pts.size() < 3) return invalid("polygon has " + std::to_string(pts.size()) + " points, needs at least 3");
    return Shape(ShapeType::Polygon, std::move(p));
}

Result<Shape> Shape::polyline(std::vector<Point> pts)
{
    std::vector<double> p = pack(pts);
    if (!allFinite(p)) return invalid("polyline has a coordinate that is not a finite number");
    if (pts.size() < 2) return invalid("polyline has " + std::to_string(pts.size()) + " points, needs at least 2");
    return Shape(ShapeType::Polyline, std::move(p));
}

Result<Shape> Shape::circle(double cx, double cy, double r)
{
    std::vector<double> p{cx, cy, r};
    if (!allFinite(p)) return invalid("circle has a coordinate that is not a finite number");
    if (r < 0) return invalid("circle has a negative radius");
    return Shape(ShapeType::Circle, std::move(p));
}

Result<Shape> Shape::ellipse(double cx, double cy, double rx, double ry, double theta)
{
    std::vector<double> p{cx, cy, rx, ry, theta};
    if (!allFinite(p)) return invalid("ellipse has a coordinate that is not a finite number");
    if (rx < 0 || ry < 0) return invalid("ellipse has a negative radius");
    return Shape(ShapeType::Ellipse, std::move(p));
}

Result<Shape> Shape::point(double x, double y)
{
    std::vector<double> p{x, y};
    if (!allFinite(p)) return invalid("point has a coordinate that is not a finite number");
    return Shape(ShapeType::Point, std::move(p));
}

Result<Shape> Shape::fromParams(ShapeType t, const std::vector<double> &p)
{
    auto need = [&](std::size_t n) -> bool { return p.size() == n; };
    switch (t) {
    case ShapeType::Rect:
        if (!need(4)) break;
        return rect(p[0], p[1], p[2], p[3]);
    case ShapeType::Circle:
        if (!need(3)) break;
        return circle(p[0], p[1], p[2]);
    case ShapeType::Ellipse:
        if (!need(5)) break;
        return ellipse(p[0], p[1], p[2], p[3], p[4]);
    case ShapeType::Point:
        if (!need(2)) break;
        return point(p[0], p[1]);
    case ShapeType::Polygon:
    case ShapeType::Polyline: {
        if (p.size() % 2 != 0) break;
        std::vector<Point> pts(p.size() / 2);
        for (std::size_t i = 0; i < pts.size(); ++i)
            pts[i] = {p[2 * i], p[2 * i + 1]};
        return t == ShapeType::Polygon ? polygon(std::move(pts)) : polyline(std::move(pts));
    }
    }
    return invalid(std::string(shapeTypeName(t)) + " has " + std::to_string(p.size()) + " parameters");
}

std::vector<Point> Shape::vertices() const
{
    const auto &p = m_p;
    switch (m_type) {
    case ShapeType::Rect:
        return {{p[0], p[1]}, {p[0] + p[2], p[1]}, {p[0] + p[2], p[1] + p[3]}, {p[0], p[1] + p[3]}};
    case ShapeType::Point:
        return {{p[0], p[1]}};
    case ShapeType::Polygon:
    case ShapeType::Polyline: {
        std::vector<Point> pts(p.size() / 2);
        for (std::size_t i = 0; i < pts.size(); ++i)
            pts[i] = {p[2 * i], p[2 * i + 1]};
        return pts;
    }
    default:
        return {};
    }
}

Box Shape::boundingBox() const
{
    const auto &p = m_p;
    switch (m_type) {
    case ShapeType::Rect:
        return {p[0], p[1], p[2], p[3]};
    case ShapeType::Circle:
        return {p[0] - p[2], p[1] - p[2], 2 * p[2], 2 * p[2]};
    case ShapeType::Ellipse: {
        // Half-extents of a rotated ellipse.
        const double c = std::cos(p[4]), s = std::sin(p[4]);
        const double hx = std::sqrt(p[2] * p[2] * c * c + p[3] * p[3] * s * s);
        const double hy = std::sqrt(p[2] * p[2] * s * s + p[3] * p[3] * c * c);
        return {p[0] - hx, p[1] - hy, 2 * hx, 2 * hy};
    }
    case ShapeType::Point:
        return {p[0], p[1], 0, 0};
    case ShapeType::Polygon:
    case ShapeType::Polyline:
        return boundingBoxOf(p);
    }
    return {};
}

Box boundingBoxOf(const std::vector<double> &xy)
{
    if (xy.size() < 2) return {};
    double x0 = xy[0], y0 = xy[1], x1 = xy[0], y1 = xy[1];
    for (std::size_t i = 2; i + 1 < xy.size(); i += 2) {
        x0 = std::min(x0, xy[i]);
        x1 = std::max(x1, xy[i]);
        y0 = std::min(y0, xy[i + 1]);
        y1 = std::max(y1, xy[i + 1]);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

double Shape::area() const
{
    const auto &p = m_p;
    switch (m_type) {
    case ShapeType::Rect:
        return p[2] * p[3];
    case ShapeType::Circle:
        return M_PI * p[2] * p[2];
    case ShapeType::Ellipse:
        return M_PI * p[2] * p[3];
    case ShapeType::Polygon:
        return std::abs(polygonSignedArea(vertices()));
    default:
        return 0.0;
    }
}

std::vector<Point> Shape::toPolygon(int segments) const
{
    const auto &p = m_p;
    if (m_type == ShapeType::Circle || m_type == ShapeType::Ellipse) {
        const double rx = p[2], ry = m_type == ShapeType::Circle ? p[2] : p[3];
        const double th = m_type == ShapeType::Ellipse ? p[4] : 0.0;
        const double c = std::cos(th), s = std::sin(th);
        std::vector<Point> pts(static_cast<std::size_t>(std::max(segments, 3)));
        for (std::size_t i = 0; i < pts.size(); ++i) {
            const double a = 2 * M_PI * static_cast<double>(i) / static_cast<double>(pts.size());
            const double ex = rx * std::cos(a), ey = ry * std::sin(a);
            pts[i] = {p[0] + ex * c - ey * s, p[1] + ex * s + ey * c};
        }
        return pts;
    }
    return vertices();
}

Shape Shape::translated(double dx, double dy) const
{
    Shape s = *this;
    auto &p = s.m_p;
    switch (m_type) {
    case ShapeType::Polygon:
    case ShapeType::Polyline:
        for (std::size_t i = 0; i + 1 < p.size(); i += 2) {
            p[i] += dx;
            p[i + 1] += dy;
        }
        break;
    default: // every other shape starts with its anchor x, y
        p[0] += dx;
        p[1] += dy;
    }
    return s;
}

double polygonSignedArea(const std::vector<Point> &pts)
{
    double a = 0;
    for (std::size_t i = 0, n = pts.size(); i < n; ++i) {
        const Point &u = pts[i], &v = pts[(i + 1) % n];
        a += u.x * v.y - v.x * u.y;
    }
    return a / 2;
}

std::size_t distinctPointCount(const std::vector<Point> &pts)
{
    std::set<std::pair<double, double>> s;
    for (const Point &p : pts)
        s.insert({p.x, p.y});
    return s.size();
}

bool polygonSelfIntersects(const std::vector<Point> &in)
{
    // Drop consecutive duplicates and a closing vertex equal to the first.
    std::vector<Point> pts;
    for (const Point &p : in)
        if (pts.empty() || !(pts.back() == p)) pts.push_back(p);
    if (pts.size() > 1 && pts.front() == pts.back()) pts.pop_back();
    const std::size_t n = pts.size();
    if (n < 4) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const Point &a = pts[i], &b = pts[(i + 1) % n];
        for (std::size_t j = i + 1; j < n; ++j) {
            // Adjacent edges share a vertex; skip them.
            if (j == i + 1 || (i == 0 && j == n - 1)) continue;
            if (segmentsIntersect(a, b, pts[j], pts[(j + 1) % n])) return true;
        }
    }
    return false;
}

} // namespace core
