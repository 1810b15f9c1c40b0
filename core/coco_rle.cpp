// COCO RLE with pycocotools' semantics. Each function follows the arithmetic of the
// maskApi.c function named in coco_rle.h step by step (the same integer types where
// they decide a result, the same order of floating-point operations), so that the
// counts and IoUs agree bit for bit; tests/core/tst_coco_eval.cpp checks it against
// pycocotools on random masks and polygons.
#include "core/coco_rle.h"

#include <algorithm>
#include <cmath>

namespace core {

bool Rle::isValid() const
{
    std::uint64_t sum = 0;
    for (std::uint32_t c : counts)
        sum += c;
    return sum == static_cast<std::uint64_t>(height) * width;
}

Rle rleEncode(const std::uint8_t *mask, std::uint32_t height, std::uint32_t width, MaskOrder order)
{
    Rle r;
    r.height = height;
    r.width = width;
    bool previous = false;
    std::uint32_t run = 0;
    for (std::uint32_t x = 0; x < width; ++x)
        for (std::uint32_t y = 0; y < height; ++y) {
            const std::size_t at = order == MaskOrder::ColumnMajor ? static_cast<std::size_t>(x) * height + y
                                                                    : static_cast<std::size_t>(y) * width + x;
            const bool v = mask[at] != 0;
            if (v != previous) {
                r.counts.push_back(run);
                run = 0;
                previous = v;
            }
            ++run;
        }
    r.counts.push_back(run);
    return r;
}

std::vector<std::uint8_t> rleDecode(const Rle &rle, MaskOrder order)
{
    const std::size_t n = static_cast<std::size_t>(rle.height) * rle.width;
    std::vector<std::uint8_t> mask(n, 0);
    std::size_t pos = 0;
    for (std::size_t i = 0; i < rle.counts.size() && pos < n; ++i) {
        const std::size_t end = std::min(n, pos + rle.counts[i]);
        if (i % 2 == 1) {
            for (std::size_t q = pos; q < end; ++q) {
                const std::size_t at = order == MaskOrder::ColumnMajor ? q : (q % rle.height) * rle.width + q / rle.height;
                mask[at] = 1;
            }
        }
        pos = end;
    }
    return mask;
}

std::uint64_t rleArea(const Rle &rle)
{
    std::uint64_t a = 0;
    for (std::size_t j = 1; j < rle.counts.size(); j += 2)
        a += rle.counts[j];
    return a;
}

Box rleToBox(const Rle &rle)
{
    // uint32 arithmetic as in rleToBbox: the start of a run of 1s is the pixel after the
    // 0s, its end the pixel before the next 0s; a run that spans columns covers the full height.
    const std::uint32_t h = rle.height, w = rle.width;
    const std::size_t m = rle.counts.size() / 2 * 2;
    if (m == 0 || h == 0) return Box{};
    std::uint32_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
    for (std::size_t j = 0; j < m; ++j) {
        cc += rle.counts[j];
        const std::uint32_t t = cc - static_cast<std::uint32_t>(j % 2);
        const std::uint32_t y = t % h, x = (t - y) / h;
        if (j % 2 == 0) {
            xp = x;
        } else if (xp < x) {
            ys = 0;
            ye = h - 1;
        }
        xs = std::min(xs, x);
        xe = std::max(xe, x);
        ys = std::min(ys, y);
        ye = std::max(ye, y);
    }
    return Box{static_cast<double>(xs), static_cast<double>(ys), static_cast<double>(xe - xs + 1), static_cast<double>(ye - ys + 1)};
}

Rle rleMerge(const std::vector<Rle> &rles, bool intersect)
{
    if (rles.empty()) return Rle{};
    if (rles.size() == 1) return rles[0];
    std::uint32_t h = rles[0].height, w = rles[0].width;
    std::vector<std::uint32_t> acc = rles[0].counts;
    for (std::size_t i = 1; i < rles.size(); ++i) {
        const Rle &b = rles[i];
        if (b.height != h || b.width != w) return Rle{};
        const std::vector<std::uint32_t> a = std::move(acc);
        acc.clear();
        if (a.empty() || b.counts.empty()) break;
        std::uint32_t ca = a[0], cb = b.counts[0], cc = 0;
        bool v = false, va = false, vb = false;
        std::size_t ia = 1, ib = 1;
        std::uint64_t ct = 1;
        while (ct > 0) {
            const std::uint32_t c = std::min(ca, cb);
            // Only invalid input (counts of different sums) could stall here.
            if (c == 0 && ((ca == 0 && ia >= a.size()) || (cb == 0 && ib >= b.counts.size()))) break;
            cc += c;
            ct = 0;
            ca -= c;
            if (!ca && ia < a.size()) {
                ca = a[ia++];
                va = !va;
            }
            ct += ca;
            cb -= c;
            if (!cb && ib < b.counts.size()) {
                cb = b.counts[ib++];
                vb = !vb;
            }
            ct += cb;
            const bool vp = v;
            v = intersect ? (va && vb) : (va || vb);
            if (v != vp || ct == 0) {
                acc.push_back(cc);
                cc = 0;
            }
        }
    }
    Rle out;
    out.height = h;
    out.width = w;
    out.counts = std::move(acc);
    return out;
}

double boxIou(const Box &dt, const Box &gt, bool gtIsCrowd)
{
    const double ga = gt.w * gt.h, da = dt.w * dt.h;
    const double w = std::fmin(dt.w + dt.x, gt.w + gt.x) - std::fmax(dt.x, gt.x);
    if (w <= 0) return 0;
    const double h = std::fmin(dt.h + dt.y, gt.h + gt.y) - std::fmax(dt.y, gt.y);
    if (h <= 0) return 0;
    const double i = w * h;
    const double u = gtIsCrowd ? da : da + ga - i;
    return i / u;
}

double rleIou(const Rle &dt, const Rle &gt, bool gtIsCrowd) { return rleIou(dt, rleToBox(dt), gt, rleToBox(gt), gtIsCrowd); }

double rleIou(const Rle &dt, const Box &dtBox, const Rle &gt, const Box &gtBox, bool gtIsCrowd)
{
    // pycocotools first compares the masks' boxes and walks the runs only where they overlap.
    const double o = boxIou(dtBox, gtBox, gtIsCrowd);
    if (!(o > 0)) return o;
    if (dt.height != gt.height || dt.width != gt.width) return -1;
    if (dt.counts.empty() || gt.counts.empty()) return 0;
    const std::size_t ka = dt.counts.size(), kb = gt.counts.size();
    std::uint32_t ca = dt.counts[0], cb = gt.counts[0], inter = 0, uni = 0;
    bool va = false, vb = false;
    std::size_t a = 1, b = 1;
    std::uint64_t ct = 1;
    while (ct > 0) {
        const std::uint32_t c = std::min(ca, cb);
        if (c == 0 && ((ca == 0 && a >= ka) || (cb == 0 && b >= kb))) break; // invalid input only
        if (va || vb) {
            uni += c;
            if (va && vb) inter += c;
        }
        ct = 0;
        ca -= c;
        if (!ca && a < ka) {
            ca = dt.counts[a++];
            va = !va;
        }
        ct += ca;
        cb -= c;
        if (!cb && b < kb) {
            cb = gt.counts[b++];
            vb = !vb;
        }
        ct += cb;
    }
    if (inter == 0)
        uni = 1;
    else if (gtIsCrowd)
        uni = static_cast<std::uint32_t>(rleArea(dt));
    return static_cast<double>(inter) / static_cast<double>(uni);
}

namespace {

// C's (int) conversion of a double: truncation toward zero.
std::int64_t truncToInt(double v) { return static_cast<std::int64_t>(v); }

} // namespace

Rle rleFromPolygon(const std::vector<double> &xy, std::uint32_t height, std::uint32_t width)
{
    const double scale = 5;
    const std::size_t k = xy.size() / 2;
    const std::uint64_t total = static_cast<std::uint64_t>(height) * width;
    Rle out;
    out.height = height;
    out.width = width;
    if (k == 0) {
        out.counts = {static_cast<std::uint32_t>(total)};
        return out;
    }
    // Vertices on a grid 5× finer than the pixels.
    std::vector<std::int64_t> x(k + 1), y(k + 1);
    for (std::size_t j = 0; j < k; ++j) {
        x[j] = truncToInt(scale * std::clamp(xy[2 * j], -1e7, 1e7) + .5);
        y[j] = truncToInt(scale * std::clamp(xy[2 * j + 1], -1e7, 1e7) + .5);
    }
    x[k] = x[0];
    y[k] = y[0];

    // maskApi walks the boundary point by point on the grid (each edge from its first
    // vertex to its last, both included) and, where the x of two consecutive points
    // differs, may keep a column: if the smaller x, x', makes xd = (x' + .5) / 5 - .5 a
    // pixel column of the image, the first pixel below the crossing toggles. For a whole
    // x' that is exactly when x' = 5k + 2 with 0 <= k <= width - 1 (then xd = k, no
    // rounding). The walk below visits the same pairs in the same order but skips the
    // points that cannot form such a pair: along an x-major edge x moves by one a point,
    // so only every fifth pair can qualify; along a y-major edge x is monotone and
    // changes seldom, so the next change is searched for; either way only the part of
    // an edge whose x lies over the image is walked. The work is then bounded by the
    // columns the polygon covers, whatever its coordinates.
    const std::int64_t lo = 2, hi = 5 * (static_cast<std::int64_t>(width) - 1) + 2; // x' of the first and last column
    std::vector<std::uint32_t> a;
    // The pair of consecutive points (pu, pv) -> (u, v), u != pu.
    auto keep = [&](std::int64_t u, std::int64_t v, std::int64_t pu, std::int64_t pv) {
        const std::int64_t xi = u < pu ? u : u - 1;
        if (xi < lo || xi > hi || ((xi % 5) + 5) % 5 != 2) return;
        double xd = static_cast<double>(xi);
        xd = (xd + .5) / scale - .5;
        if (std::floor(xd) != xd || xd < 0 || xd > static_cast<double>(width) - 1) return;
        double yd = static_cast<double>(v < pv ? v : pv);
        yd = (yd + .5) / scale - .5;
        if (yd < 0)
            yd = 0;
        else if (yd > height)
            yd = height;
        yd = std::ceil(yd);
        a.push_back(static_cast<std::uint32_t>(static_cast<std::uint64_t>(xd) * height + static_cast<std::uint64_t>(yd)));
    };
    bool havePrev = false;
    std::int64_t pu = 0, pv = 0; // the last point visited
    for (std::size_t j = 0; j < k; ++j) {
        std::int64_t xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
        const std::int64_t dx = std::llabs(xe - xs), dy = std::llabs(ys - ye);
        const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if (flip) {
            std::swap(xs, xe);
            std::swap(ys, ye);
        }
        const bool xMajor = dx >= dy;
        const std::int64_t n = xMajor ? dx : dy; // points d = 0..n
        // dx == dy == 0 is a repeated vertex: maskApi divides 0 by 0 for its y; that y is
        // never read, as its x equals its neighbours' wherever a column can be kept.
        const double s = n == 0 ? 0.0 : xMajor ? static_cast<double>(ye - ys) / static_cast<double>(dx) : static_cast<double>(xe - xs) / static_cast<double>(dy);
        auto tOf = [&](std::int64_t d) { return flip ? n - d : d; };
        auto uOf = [&](std::int64_t d) {
            const std::int64_t t = tOf(d);
            return xMajor ? t + xs : truncToInt(static_cast<double>(xs) + s * static_cast<double>(t) + .5);
        };
        auto vOf = [&](std::int64_t d) {
            const std::int64_t t = tOf(d);
            return xMajor ? truncToInt(static_cast<double>(ys) + s * static_cast<double>(t) + .5) : t + ys;
        };
        // The first point pairs with the previous edge's last one.
        const std::int64_t u0 = uOf(0);
        if (havePrev && u0 != pu) keep(u0, vOf(0), pu, pv);
        if (xMajor && n > 0) {
            // Pairs (d - 1, d) whose smaller x is x' = 5k + 2 over the image.
            const std::int64_t step = flip ? -1 : 1;          // x moves by this a point
            const std::int64_t minAt1 = flip ? u0 - 1 : u0;    // smaller x of the pair (0, 1)
            // smaller x of pair (d - 1, d) is minAt1 + step * (d - 1)
            std::int64_t dFirst = 1, dLast = n;
            if (step > 0) {
                dFirst = std::max(dFirst, lo - minAt1 + 1);
                dLast = std::min(dLast, hi - minAt1 + 1);
            } else {
                dFirst = std::max(dFirst, minAt1 - hi + 1);
                dLast = std::min(dLast, minAt1 - lo + 1);
            }
            if (dFirst <= dLast) {
                const std::int64_t x0 = minAt1 + step * (dFirst - 1);
                const std::int64_t off = ((step * (2 - x0)) % 5 + 5) % 5; // points until x' = 2 (mod 5)
                for (std::int64_t d = dFirst + off; d <= dLast; d += 5)
                    keep(uOf(d), vOf(d), uOf(d - 1), vOf(d - 1));
            }
        } else if (n > 0) {
            // x is monotone along the edge and moves by at most one a point: jump from
            // change to change, starting just before x reaches the image.
            const bool rising = uOf(n) >= u0;
            auto inReach = [&](std::int64_t d) { return rising ? uOf(d) >= lo - 1 : uOf(d) <= hi + 1; };
            std::int64_t from = -1;
            if (inReach(0)) {
                from = 0;
            } else if (inReach(n)) {
                std::int64_t l = 0, r = n; // inReach(l) false, inReach(r) true
                while (r - l > 1) {
                    const std::int64_t m = l + (r - l) / 2;
                    (inReach(m) ? r : l) = m;
                }
                from = r - 1;
            }
            if (from >= 0) {
                std::int64_t d = from, u = uOf(d);
                while (d < n && (rising ? u <= hi : u >= lo)) {
                    // The first point after d whose x differs from u: galloping, then halving.
                    std::int64_t l = d, r = -1;
                    for (std::int64_t g = 1;; g *= 2) {
                        const std::int64_t probe = std::min(n, d + g);
                        if (uOf(probe) != u) {
                            r = probe;
                            break;
                        }
                        l = probe;
                        if (probe == n) break;
                    }
                    if (r < 0) break;
                    while (r - l > 1) {
                        const std::int64_t m = l + (r - l) / 2;
                        (uOf(m) != u ? r : l) = m;
                    }
                    const std::int64_t un = uOf(r);
                    keep(un, vOf(r), u, vOf(r - 1));
                    d = r;
                    u = un;
                }
            }
        }
        havePrev = true;
        pu = uOf(n);
        pv = vOf(n);
    }

    // Toggle positions -> run lengths; equal positions cancel.
    a.push_back(static_cast<std::uint32_t>(total));
    std::sort(a.begin(), a.end());
    std::uint32_t p = 0;
    for (std::uint32_t &v : a) {
        const std::uint32_t t = v;
        v -= p;
        p = t;
    }
    std::vector<std::uint32_t> &b = out.counts;
    b.push_back(a[0]);
    for (std::size_t j = 1; j < a.size();) {
        if (a[j] > 0) {
            b.push_back(a[j++]);
        } else {
            ++j;
            if (j < a.size()) b.back() += a[j++];
        }
    }
    return out;
}

Rle rleFromPolygons(const std::vector<std::vector<double>> &parts, std::uint32_t height, std::uint32_t width)
{
    std::vector<Rle> rles;
    rles.reserve(parts.size());
    for (const auto &p : parts)
        rles.push_back(rleFromPolygon(p, height, width));
    return rleMerge(rles, false);
}

Rle rleFromBox(const Box &box, std::uint32_t height, std::uint32_t width)
{
    const double xs = box.x, xe = xs + box.w, ys = box.y, ye = ys + box.h;
    return rleFromPolygon({xs, ys, xs, ye, xe, ye, xe, ys}, height, width);
}

std::string rleToString(const Rle &rle)
{
    std::string s;
    s.reserve(rle.counts.size() * 2);
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
        std::int64_t x = rle.counts[i];
        if (i > 2) x -= static_cast<std::int64_t>(rle.counts[i - 2]);
        bool more = true;
        while (more) {
            char c = static_cast<char>(x & 0x1f);
            x = x >= 0 ? x >> 5 : ~((~x) >> 5); // arithmetic shift, as C's on a signed long
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more) c = static_cast<char>(c | 0x20);
            s.push_back(static_cast<char>(c + 48));
        }
    }
    return s;
}

bool rleCountsFromString(const std::string &s, std::vector<std::uint32_t> *counts)
{
    counts->clear();
    std::size_t p = 0;
    while (p < s.size()) {
        std::int64_t x = 0;
        int k = 0;
        bool more = true;
        while (more) {
            if (p >= s.size() || k >= 12) return false;
            const int c = static_cast<unsigned char>(s[p]) - 48;
            if (c < 0 || c > 63) return false;
            x |= static_cast<std::int64_t>(c & 0x1f) << (5 * k);
            more = (c & 0x20) != 0;
            ++p;
            ++k;
            if (!more && (c & 0x10)) x |= static_cast<std::int64_t>(~std::uint64_t{0} << (5 * k));
        }
        if (counts->size() > 2) x += (*counts)[counts->size() - 2];
        if (x < 0 || x > 0xffffffffLL) return false;
        counts->push_back(static_cast<std::uint32_t>(x));
    }
    return true;
}

} // namespace core
