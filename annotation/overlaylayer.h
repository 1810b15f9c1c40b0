#pragma once
// A generic layer over the regions that other workspaces fill: Inspect draws a
// model's predictions with it (boxes, masks, outlines, labels). Read-only: the
// tools never see it, a click goes through it. Coordinates are image pixels.
//
// Boxes and polygons are outlined in their colour (2 screen pixels, whatever the
// zoom) over a translucent fill; a mask is an 8-bit image placed over `rect`
// (nonzero inside), drawn as a translucent fill with its boundary pixels opaque;
// a label sits at the top-left of the item at a fixed screen size.
#include <QColor>
#include <QGraphicsObject>
#include <QImage>
#include <QPolygonF>
#include <QString>

#include <vector>

namespace annotation {

struct OverlayItem {
    enum Kind { Box, Polygon, Mask } kind = Box;
    QRectF rect;          // Box: the box; Mask: where the mask image lies
    QPolygonF polygon;    // Polygon: a closed outline
    QImage mask;          // Mask: Format_Grayscale8 (or anything convertible), nonzero = inside
    QColor color = Qt::yellow;
    QString label;        // empty: none
    double fillOpacity = 0.35;
};

class OverlayLayer : public QGraphicsObject {
    Q_OBJECT
public:
    explicit OverlayLayer(QGraphicsItem *parent = nullptr);

    void setItems(std::vector<OverlayItem> items); // replaces what was shown
    void clear() { setItems({}); }
    const std::vector<OverlayItem> &items() const { return m_items; }

    QRectF boundingRect() const override { return m_bounds; }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    std::vector<OverlayItem> m_items;
    std::vector<QImage> m_tinted; // per item: the mask in its colour, boundary opaque (null for boxes and polygons)
    QRectF m_bounds;
};

} // namespace annotation
