#include "training/augment.h"

#include <algorithm>
#include <cmath>
#include <sstream>

using core::ErrorCode;
using core::makeError;

namespace training {

std::string augmentNames()
{
    return "hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, gamma, noise, impulse, blur, erase";
}

core::Result<Augment> parseAugment(const std::string &text)
{
    Augment a;
    if (text.empty() || text == "none") return a;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        const std::string name = item.substr(0, colon);
        double arg = -1;
        if (colon != std::string::npos) {
            std::size_t used = 0;
            try {
                arg = std::stod(item.substr(colon + 1), &used);
            } catch (const std::exception &) {
                used = 0;
            }
            if (used == 0 || used != item.size() - colon - 1 || !(arg >= 0) || arg > 1e4)
                return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs a number >= 0 after the colon");
        }
        const bool has = arg >= 0;
        auto pixels = [&](int fallback) -> core::Result<int> {
            if (has && arg != std::floor(arg)) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs whole pixels");
            return has ? static_cast<int>(arg) : fallback;
        };
        if (name == "hflip") a.hflip = true;
        else if (name == "vflip") a.vflip = true;
        else if (name == "brightness") a.brightness = true;
        else if (name == "contrast") a.contrast = true;
        else if (name == "gamma") a.gamma = true;
        else if (name == "noise") a.noise = true;
        else if (name == "impulse") a.impulse = true;
        else if (name == "blur") a.blur = true;
        else if (name == "erase") a.erase = true;
        else if (name == "crop" || name == "shift") {
            auto px = pixels(name == "crop" ? 4 : 2);
            if (!px) return px.error();
            (name == "crop" ? a.crop : a.shift) = *px;
        } else if (name == "rotate") a.rotate = has ? arg : 15;
        else if (name == "scale") {
            a.scale = has ? arg : 0.1;
            if (a.scale >= 1) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "': the scale range F must be below 1 (0.1: 90 % to 110 %)");
        } else {
            return makeError(ErrorCode::Invalid, {}, {}, "--augment: unknown augmentation '" + name + "' (this build has " + augmentNames() + ")");
        }
    }
    return a;
}

namespace {

// 3x3 binomial blur of one S x S plane, edges replicated.
void blurPlane(float *p, int S, std::vector<float> &tmp)
{
    tmp.assign(static_cast<std::size_t>(S * S), 0.f);
    auto at = [S](int v) { return std::clamp(v, 0, S - 1); };
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
            tmp[static_cast<std::size_t>(y * S + x)] = 0.25f * p[y * S + at(x - 1)] + 0.5f * p[y * S + x] + 0.25f * p[y * S + at(x + 1)];
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
            p[y * S + x] = 0.25f * tmp[static_cast<std::size_t>(at(y - 1) * S + x)] + 0.5f * tmp[static_cast<std::size_t>(y * S + x)] +
                           0.25f * tmp[static_cast<std::size_t>(at(y + 1) * S + x)];
}

} // namespace

SampleTransform SampleTransform::identity(int size)
{
    SampleTransform t;
    t.m_size = size;
    return t;
}

SampleTransform SampleTransform::draw(const Augment &aug, int size, core::SplitMix64 &rng)
{
    SampleTransform t = identity(size);
    t.m_fx = aug.hflip && rng.below(2);
    t.m_fy = aug.vflip && rng.below(2);
    const int pad = std::max(aug.crop, aug.shift);
    t.m_dx = pad ? rng.below(2 * pad + 1) - pad : 0;
    t.m_dy = pad ? rng.below(2 * pad + 1) - pad : 0;
    const double angle = aug.rotate > 0 ? (2 * rng.uniform() - 1) * aug.rotate * M_PI / 180 : 0.0;
    const double zoom = aug.scale > 0 ? 1 + (2 * rng.uniform() - 1) * aug.scale : 1.0;
    t.m_rotates = angle != 0 || zoom != 1;
    t.m_cos = std::cos(angle) / zoom;
    t.m_sin = std::sin(angle) / zoom;
    return t;
}

core::Point SampleTransform::source(core::Point p) const
{
    const double h = m_size / 2.0, u = p.x - h - m_dx, v = p.y - h - m_dy;
    double x = m_cos * u + m_sin * v + h, y = -m_sin * u + m_cos * v + h;
    if (m_fx) x = m_size - x;
    if (m_fy) y = m_size - y;
    return {x, y};
}

core::Point SampleTransform::forward(core::Point p) const
{
    const double h = m_size / 2.0;
    const double a = (m_fx ? m_size - p.x : p.x) - h, b = (m_fy ? m_size - p.y : p.y) - h;
    const double det = m_cos * m_cos + m_sin * m_sin;
    return {(m_cos * a - m_sin * b) / det + h + m_dx, (m_sin * a + m_cos * b) / det + h + m_dy};
}

void SampleTransform::warpImage(const std::uint8_t *src, int channels, float *dst) const
{
    const int S = m_size, C = channels;
    if (!m_rotates) { // flips and whole-pixel shifts: every output pixel is one source pixel
        for (int yy = 0; yy < S; ++yy) {
            const int sy = m_fy ? S - 1 - (yy - m_dy) : yy - m_dy;
            for (int xx = 0; xx < S; ++xx) {
                const int sx = m_fx ? S - 1 - (xx - m_dx) : xx - m_dx;
                const bool inside = sx >= 0 && sx < S && sy >= 0 && sy < S;
                for (int c = 0; c < C; ++c) dst[(c * S + yy) * S + xx] = inside ? src[(c * S + sy) * S + sx] / 255.f : 0.f;
            }
        }
        return;
    }
    for (int yy = 0; yy < S; ++yy)
        for (int xx = 0; xx < S; ++xx) {
            const core::Point s = source({xx + 0.5, yy + 0.5});
            const double sx = s.x - 0.5, sy = s.y - 0.5; // in pixel indices: the centre of pixel i is i
            const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
            const float ax = static_cast<float>(sx - x0), ay = static_cast<float>(sy - y0);
            for (int c = 0; c < C; ++c) {
                auto px = [&](int X, int Y) { return X >= 0 && X < S && Y >= 0 && Y < S ? src[(c * S + Y) * S + X] / 255.f : 0.f; };
                dst[(c * S + yy) * S + xx] = (1 - ay) * ((1 - ax) * px(x0, y0) + ax * px(x0 + 1, y0)) + ay * ((1 - ax) * px(x0, y0 + 1) + ax * px(x0 + 1, y0 + 1));
            }
        }
}

void SampleTransform::warpLabels(const std::uint8_t *src, std::int64_t *dst, std::int64_t outside) const
{
    const int S = m_size;
    for (int yy = 0; yy < S; ++yy)
        for (int xx = 0; xx < S; ++xx) {
            int sx, sy;
            if (!m_rotates) {
                sy = m_fy ? S - 1 - (yy - m_dy) : yy - m_dy;
                sx = m_fx ? S - 1 - (xx - m_dx) : xx - m_dx;
            } else {
                const core::Point s = source({xx + 0.5, yy + 0.5});
                sx = static_cast<int>(std::lround(s.x - 0.5));
                sy = static_cast<int>(std::lround(s.y - 0.5));
            }
            dst[yy * S + xx] = sx >= 0 && sx < S && sy >= 0 && sy < S ? src[sy * S + sx] : outside;
        }
}

void applyPhotometric(const Augment &aug, float *dst, int C, int S, core::SplitMix64 &rng)
{
    const std::size_t plane = static_cast<std::size_t>(S) * static_cast<std::size_t>(S), per = plane * static_cast<std::size_t>(C);
    std::vector<float> tmp;
    const float gain = aug.contrast ? static_cast<float>(0.7 + 0.6 * rng.uniform()) : 1.f;
    const float bias = aug.brightness ? static_cast<float>(0.2 * rng.uniform() - 0.1) : 0.f;
    if (aug.contrast || aug.brightness)
        for (std::size_t k = 0; k < per; ++k) dst[k] = std::clamp((dst[k] - 0.5f) * gain + 0.5f + bias, 0.f, 1.f);
    if (aug.gamma) {
        const float g = static_cast<float>(std::exp((2 * rng.uniform() - 1) * std::log(1.5))); // 0.67 .. 1.5
        for (std::size_t k = 0; k < per; ++k) dst[k] = std::pow(dst[k], g);
    }
    if (aug.blur && rng.below(2))
        for (int c = 0; c < C; ++c) blurPlane(dst + static_cast<std::size_t>(c) * plane, S, tmp);
    if (aug.noise) {
        for (std::size_t k = 0; k < per; ++k) { // Gaussian noise, sigma 0.05 (Box-Muller)
            const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
            dst[k] = std::clamp(dst[k] + static_cast<float>(0.05 * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2)), 0.f, 1.f);
        }
    }
    if (aug.impulse) { // salt and pepper on 2 % of the pixels, all channels of a pixel alike
        for (std::size_t k = 0; k < plane; ++k) {
            const std::uint64_t r = rng.next() % 100;
            if (r >= 2) continue;
            for (int c = 0; c < C; ++c) dst[static_cast<std::size_t>(c) * plane + k] = r == 0 ? 0.f : 1.f;
        }
    }
    if (aug.erase && rng.below(2)) { // random erasing of a box up to a third of each side
        const int w = 1 + rng.below(std::max(1, S / 3)), h = 1 + rng.below(std::max(1, S / 3));
        const int x0 = rng.below(S - w + 1), y0 = rng.below(S - h + 1);
        for (int c = 0; c < C; ++c)
            for (int yy = y0; yy < y0 + h; ++yy)
                for (int xx = x0; xx < x0 + w; ++xx) dst[(c * S + yy) * S + xx] = 0.f;
    }
}

} // namespace training
