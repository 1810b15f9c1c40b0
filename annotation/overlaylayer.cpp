#include "annotation/overlaylayer.h"

#include <QPainter>

namespace annotation {

namespace {

// The mask in `color`: inside at the fill opacity, boundary pixels (inside with a
// 4-neighbour outside) opaque, outside transparent.
QImage tint(const QImage &mask, const QColor &color, double fillOpacity)
{
    const QImage m = mask.convertToFormat(QImage::Format_Grayscale8);
    QImage out(m.size(), QImage::Format_ARGB32_Premultiplied);
    out.fill(Qt::transparent);
    const int w = m.width(), h = m.height();
    QColor fill = color;
    fill.setAlphaF(fillOpacity);
    const QRgb inside = qPremultiply(fill.rgba()), edge = qPremultiply(color.rgba());
    for (int y = 0; y < h; ++y) {
        const uchar *row = m.constScanLine(y), *up = y > 0 ? m.constScanLine(y - 1) : nullptr, *down = y + 1 < h ? m.constScanLine(y + 1) : nullptr;
        auto *o = reinterpret_cast<QRgb *>(out.scanLine(y));
        for (int x = 0; x < w; ++x) {
            if (!row[x]) continue;
            const bool boundary = x == 0 || x + 1 == w || !row[x - 1] || !row[x + 1] || !up || !down || !up[x] || !down[x];
            o[x] = boundary ? edge : inside;
        }
    }
    return out;
}

} // namespace

OverlayLayer::OverlayLayer(QGraphicsItem *parent) : QGraphicsObject(parent) { setAcceptedMouseButtons(Qt::NoButton); }

void OverlayLayer::setItems(std::vector<OverlayItem> items)
{
    prepareGeometryChange();
    m_items = std::move(items);
    m_tinted.clear();
    m_bounds = QRectF();
    for (const OverlayItem &it : m_items) {
        m_tinted.push_back(it.kind == OverlayItem::Mask && !it.mask.isNull() ? tint(it.mask, it.color, it.fillOpacity) : QImage());
        const QRectF b = it.kind == OverlayItem::Polygon ? it.polygon.boundingRect() : it.rect;
        m_bounds = m_bounds.united(b.adjusted(-2, -2, 2, 2));
    }
    update();
}

void OverlayLayer::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *)
{
    painter->setRenderHint(QPainter::Antialiasing);
    for (std::size_t i = 0; i < m_items.size(); ++i) {
        const OverlayItem &it = m_items[i];
        QPen pen(it.color, 2);
        pen.setCosmetic(true);
        QColor fill = it.color;
        fill.setAlphaF(it.fillOpacity);
        QRectF bounds;
        switch (it.kind) {
        case OverlayItem::Box:
            painter->setPen(pen);
            painter->setBrush(fill);
            painter->drawRect(it.rect);
            bounds = it.rect;
            break;
        case OverlayItem::Polygon:
            painter->setPen(pen);
            painter->setBrush(fill);
            painter->drawPolygon(it.polygon);
            bounds = it.polygon.boundingRect();
            break;
        case OverlayItem::Mask:
            if (!m_tinted[i].isNull()) painter->drawImage(it.rect, m_tinted[i]);
            bounds = it.rect;
            break;
        }
        if (it.label.isEmpty()) continue;
        // At a fixed screen size: drawn without the zoom.
        const QPointF at = painter->worldTransform().map(bounds.topLeft());
        painter->save();
        painter->resetTransform();
        const QFontMetrics fm(painter->font());
        const QRectF box(at + QPointF(0, -fm.height() - 2), QSizeF(fm.horizontalAdvance(it.label) + 6, fm.height() + 2));
        painter->setPen(Qt::NoPen);
        painter->setBrush(it.color);
        painter->drawRect(box);
        painter->setPen(it.color.lightnessF() < 0.5 ? Qt::white : Qt::black);
        painter->drawText(box, Qt::AlignCenter, it.label);
        painter->restore();
    }
}

} // namespace annotation
