#include "core/rasterize.h"

#include <algorithm>
#include <cmath>

namespace core {

void fillPolygon(std::uint8_t *mask, int width, int height, const std::vector<Point> &poly, std::uint8_t value)
{
    const std::size_t n = poly.size();
    if (n < 3 || width <= 0 || height <= 0) return;
    double ymin = poly[0].y, ymax = poly[0].y;
    for (const Point &p : poly) {
        ymin = std::min(ymin, p.y);
        ymax = std::max(ymax, p.y);
    }
    const int y0 = std::max(0, static_cast<int>(std::floor(ymin - 0.5))), y1 = std::min(height - 1, static_cast<int>(std::ceil(ymax)));
    std::vector<double> xs;
    for (int y = y0; y <= y1; ++y) {
        const double cy = y + 0.5;
        xs.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const Point &a = poly[i], &b = poly[(i + 1) % n];
            // Half-open in y so a vertex on the scanline counts once.
            if ((a.y <= cy) != (b.y <= cy)) xs.push_back(a.x + (cy - a.y) * (b.x - a.x) / (b.y - a.y));
        }
        std::sort(xs.begin(), xs.end());
        for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
            // Pixels whose centre x+0.5 lies in [xs[k], xs[k+1]).
            const int xa = std::max(0, static_cast<int>(std::ceil(xs[k] - 0.5)));
            const int xb = std::min(width - 1, static_cast<int>(std::ceil(xs[k + 1] - 0.5)) - 1);
            std::uint8_t *row = mask + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
            for (int x = xa; x <= xb; ++x)
                row[x] = value;
        }
    }
}

} // namespace core
