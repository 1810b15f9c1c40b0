#pragma once
// Images of one split decoded once, on all cores, into an S x S canvas of bytes each
// (channels first, RGB or grey), so that every epoch's augmentation starts from
// memory. Part of the mappers: nothing else decodes images for training.
#include "core/result.h"
#include "training/records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace training {

class ImageCache {
public:
    // Stretch: every image resized to S x S (classification, semantic segmentation).
    // KeepAspect: the longer side scaled to S, the rest of the canvas 0 (detection:
    // boxes and masks keep their shape).
    enum class Fit { Stretch, KeepAspect };

    // channels 0: decide (1 when every image is grey, else 3). An image that does not
    // decode completely is an error naming it, or, when `skipped` is given, left out
    // and its error appended there.
    static core::Result<ImageCache> decode(const std::vector<Record> &records, int size, int channels, Fit fit,
                                           std::vector<core::Error> *skipped = nullptr);

    // Images already in memory (C x S x S bytes each, at scale 1): synthetic data and tests.
    static ImageCache fromPixels(std::vector<Record> records, int size, int channels, std::vector<std::uint8_t> pixels);

    std::size_t count() const { return m_records.size(); }
    int size() const { return m_size; }
    int channels() const { return m_channels; }
    std::size_t perImage() const { return static_cast<std::size_t>(m_channels) * plane(); }
    std::size_t plane() const { return static_cast<std::size_t>(m_size) * static_cast<std::size_t>(m_size); }
    const std::uint8_t *image(std::size_t i) const { return m_pixels.data() + i * perImage(); }
    // The records whose images decoded, in their order.
    const Record &record(std::size_t i) const { return m_records[i]; }
    // Canvas = image pixels x scale (per axis), from the image's top-left corner.
    double scaleX(std::size_t i) const { return m_scale[i].first; }
    double scaleY(std::size_t i) const { return m_scale[i].second; }
    // The picture's width and height on the canvas (KeepAspect: the longer one is S; the rest is padding).
    int contentWidth(std::size_t i) const { return m_content[i].first; }
    int contentHeight(std::size_t i) const { return m_content[i].second; }
    // The image's own width and height: its picture on the canvas divided by the scale.
    int imageWidth(std::size_t i) const;
    int imageHeight(std::size_t i) const;
    // The record's region outlines in canvas pixels.
    std::vector<core::Point> outline(std::size_t i, const core::Shape &shape) const;

private:
    int m_size = 0, m_channels = 1;
    std::vector<std::uint8_t> m_pixels;
    std::vector<Record> m_records;
    std::vector<std::pair<double, double>> m_scale;
    std::vector<std::pair<int, int>> m_content;
};

} // namespace training
