#pragma once
// Shapes in image pixel coordinates: x to the right, y down, (0,0) the top-left
// corner of the top-left pixel (pixel corners, not centres). Rectangles are x,y,w,h.
// A Shape checks its own invariants: every coordinate finite, w,h,r,rx,ry >= 0,
// a polygon has >= 3 points, a polyline >= 2, a point exactly one.
#include "core/result.h"

#include <string>
#include <vector>

namespace core {

struct Point {
    double x = 0, y = 0;
    bool operator==(const Point &o) const { return x == o.x && y == o.y; }
};

struct Box { // x,y,w,h
    double x = 0, y = 0, w = 0, h = 0;
    double right() const { return x + w; }
    double bottom() const { return y + h; }
    bool operator==(const Box &o) const { return x == o.x && y == o.y && w == o.w && h == o.h; }
};

enum class ShapeType { Rect, Polygon, Polyline, Circle, Ellipse, Point };

// "rect", "polygon", "polyline", "circle", "ellipse", "point" (VIA's names).
const char *shapeTypeName(ShapeType t);
bool shapeTypeFromName(const std::string &name, ShapeType *out);

class Shape {
public:
    Shape() = default; // a point at (0,0)

    static Result<Shape> rect(double x, double y, double w, double h);
    static Result<Shape> polygon(std::vector<Point> pts);
    static Result<Shape> polyline(std::vector<Point> pts);
    static Result<Shape> circle(double cx, double cy, double r);
    // theta: rotation in radians, clockwise in image coordinates (as VIA 2 writes it).
    static Result<Shape> ellipse(double cx, double cy, double rx, double ry, double theta = 0);
    static Result<Shape> point(double x, double y);
    // Rebuild from the packed form the store keeps (type + params()); validates.
    static Result<Shape> fromParams(ShapeType t, const std::vector<double> &params);

    ShapeType type() const { return m_type; }
    // Packed parameters: rect x,y,w,h; circle cx,cy,r; ellipse cx,cy,rx,ry,theta;
    // point x,y; polygon/polyline x0,y0,x1,y1,...
    const std::vector<double> &params() const { return m_p; }
    // Vertices of a polygon/polyline; the single point of a point; the 4 corners
    // of a rect (clockwise from top-left); empty for circle and ellipse.
    std::vector<Point> vertices() const;

    Box boundingBox() const;
    // Area in square pixels (0 for polyline and point). Polygon: absolute shoelace area.
    double area() const;
    // Outline as a closed polygon (circles and ellipses sampled with `segments` points).
    std::vector<Point> toPolygon(int segments = 64) const;
    bool isClosed() const { return m_type != ShapeType::Polyline && m_type != ShapeType::Point; }

    Shape translated(double dx, double dy) const;

    bool operator==(const Shape &o) const { return m_type == o.m_type && m_p == o.m_p; }
    bool operator!=(const Shape &o) const { return !(*this == o); }

private:
    Shape(ShapeType t, std::vector<double> p) : m_type(t), m_p(std::move(p)) {}
    ShapeType m_type = ShapeType::Point;
    std::vector<double> m_p{0.0, 0.0};
};

// Free geometry helpers used by validation and formats.
// The box of packed coordinates x0,y0,x1,y1,… (a polygon's params, a COCO polygon); all zero when empty.
Box boundingBoxOf(const std::vector<double> &xy);
double polygonSignedArea(const std::vector<Point> &pts);
bool polygonSelfIntersects(const std::vector<Point> &pts);
std::size_t distinctPointCount(const std::vector<Point> &pts);

} // namespace core
