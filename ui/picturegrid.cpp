#include "ui/picturegrid.h"

#include "training/trainer.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace ui {

namespace {
constexpr int kGap = 6, kCaption = 14;
}

QImage pictureToImage(const training::Picture &p)
{
    QImage img(p.width, p.height, QImage::Format_RGB32);
    const std::size_t plane = static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height);
    if (p.data.size() < plane * static_cast<std::size_t>(p.channels)) return {};
    auto byte = [](float v) { return static_cast<int>(std::lround(std::clamp(v, 0.f, 1.f) * 255)); };
    for (int y = 0; y < p.height; ++y) {
        auto *row = reinterpret_cast<QRgb *>(img.scanLine(y));
        for (int x = 0; x < p.width; ++x) {
            const std::size_t k = static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) + static_cast<std::size_t>(x);
            if (p.channels >= 3) row[x] = qRgb(byte(p.data[k]), byte(p.data[plane + k]), byte(p.data[2 * plane + k]));
            else row[x] = qRgb(byte(p.data[k]), byte(p.data[k]), byte(p.data[k]));
        }
    }
    return img;
}

PictureGrid::PictureGrid(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void PictureGrid::setPictures(const QList<QImage> &images, const QStringList &captions, int cellSize)
{
    m_images = images;
    m_captions = captions;
    m_cell = cellSize;
    updateGeometry();
    setMinimumHeight(heightForWidth(std::max(width(), m_cell + kGap)));
    update();
}

int PictureGrid::columns(int width) const { return std::max(1, (width - kGap) / (m_cell + kGap)); }

int PictureGrid::heightForWidth(int width) const
{
    const int rows = (count() + columns(width) - 1) / columns(width);
    return kGap + rows * (m_cell + kGap + (m_captions.isEmpty() ? 0 : kCaption));
}

QSize PictureGrid::sizeHint() const
{
    const int cols = std::min(std::max(1, count()), 8);
    return {kGap + cols * (m_cell + kGap), heightForWidth(kGap + cols * (m_cell + kGap))};
}

void PictureGrid::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    setMinimumHeight(heightForWidth(width()));
}

void PictureGrid::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const int cols = columns(width());
    const int rowHeight = m_cell + kGap + (m_captions.isEmpty() ? 0 : kCaption);
    for (int i = 0; i < count(); ++i) {
        const QRect cell(kGap + (i % cols) * (m_cell + kGap), kGap + (i / cols) * rowHeight, m_cell, m_cell);
        const QImage &img = m_images[i];
        if (!img.isNull()) {
            const QSize s = img.size().scaled(cell.size(), Qt::KeepAspectRatio);
            const QRect target(cell.center() - QPoint(s.width() / 2, s.height() / 2), s);
            // Small pictures (filters) grow as blocks; photographs shrink smoothly.
            const bool shrink = s.width() < img.width();
            p.drawImage(target, img.scaled(s, Qt::IgnoreAspectRatio, shrink ? Qt::SmoothTransformation : Qt::FastTransformation));
        }
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(cell.adjusted(0, 0, -1, -1));
        if (i < m_captions.size()) {
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(QRect(cell.left(), cell.bottom() + 1, cell.width(), kCaption), Qt::AlignCenter | Qt::TextSingleLine,
                       p.fontMetrics().elidedText(m_captions[i], Qt::ElideRight, cell.width()));
        }
    }
}

} // namespace ui
