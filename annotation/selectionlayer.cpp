#include "annotation/selectionlayer.h"

#include "annotation/document.h"
#include "annotation/shapeedit.h"

#include <QCursor>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>

namespace annotation {

// A handle: 9 screen pixels square at any zoom, over everything but the tool's draft.
class HandleItem : public QGraphicsRectItem {
public:
    HandleItem(SelectionLayer *layer, int index) : QGraphicsRectItem(-4.5, -4.5, 9, 9, layer), m_layer(layer), m_index(index)
    {
        setFlag(QGraphicsItem::ItemIgnoresTransformations);
        setBrush(Qt::white);
        setPen(QPen(QColor(20, 20, 20), 1));
        setAcceptedMouseButtons(Qt::LeftButton);
        setAcceptHoverEvents(true);
        setCursor(Qt::SizeAllCursor);
        setZValue(1);
    }

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent *event) override
    {
        m_layer->handlePressed(m_index, event->modifiers());
        event->accept(); // grabbed: the moves and the release come here, not to the tool
    }
    void mouseMoveEvent(QGraphicsSceneMouseEvent *event) override { m_layer->handleMoved(m_index, event->scenePos()); }
    void mouseReleaseEvent(QGraphicsSceneMouseEvent *) override { m_layer->handleReleased(m_index); }
    void hoverEnterEvent(QGraphicsSceneHoverEvent *) override { setBrush(QColor(255, 220, 0)); }
    void hoverLeaveEvent(QGraphicsSceneHoverEvent *) override { setBrush(Qt::white); }

private:
    SelectionLayer *m_layer;
    int m_index;
};

SelectionLayer::SelectionLayer(QGraphicsItem *parent) : QGraphicsObject(parent) { setAcceptedMouseButtons(Qt::NoButton); }

SelectionLayer::~SelectionLayer() = default; // the handles are child items

void SelectionLayer::setRegions(std::vector<Shown> regions, bool fill, bool handles)
{
    m_regions = std::move(regions);
    m_fill = fill;
    m_handlesWanted = handles;
    m_dragHandle = -1;
    placeHandles();
    updateBounds();
}

void SelectionLayer::preview(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes)
{
    for (std::size_t i = 0; i < ids.size() && i < shapes.size(); ++i)
        for (Shown &s : m_regions)
            if (s.id == ids[i]) s.shape = shapes[i];
    placeHandles();
    updateBounds();
}

core::Id SelectionLayer::regionAt(QPointF p, double tolerance) const
{
    for (auto it = m_regions.rbegin(); it != m_regions.rend(); ++it)
        if (hitShape(it->shape, {p.x(), p.y()}, tolerance)) return it->id;
    return 0;
}

void SelectionLayer::placeHandles()
{
    const std::vector<core::Point> points = m_handlesWanted && m_regions.size() == 1 ? handles(m_regions.front().shape) : std::vector<core::Point>{};
    // Handles beyond the count are hidden, never deleted: this can run inside a
    // handle's own mouse event (Shift+click removes a vertex), and the scene still
    // holds that handle when the event returns.
    while (m_handles.size() < points.size()) m_handles.push_back(new HandleItem(this, static_cast<int>(m_handles.size())));
    for (std::size_t i = 0; i < m_handles.size(); ++i) {
        m_handles[i]->setVisible(i < points.size());
        if (i < points.size()) m_handles[i]->setPos(points[i].x, points[i].y);
    }
    m_shownHandles = static_cast<int>(points.size());
}

void SelectionLayer::updateBounds()
{
    prepareGeometryChange();
    m_bounds = QRectF();
    for (const Shown &s : m_regions) {
        const core::Box b = s.shape.boundingBox();
        m_bounds = m_bounds.united(QRectF(b.x, b.y, b.w, b.h).adjusted(-4, -4, 4, 4));
    }
    update();
}

void SelectionLayer::handlePressed(int index, Qt::KeyboardModifiers modifiers)
{
    if (m_regions.size() != 1 || !m_doc) return;
    const Shown &s = m_regions.front();
    if (modifiers & Qt::ShiftModifier) { // delete this vertex (a polygon keeps three, a polyline two)
        if (auto smaller = removeVertex(s.shape, index)) m_doc->changeShape(s.id, *smaller);
        return;
    }
    m_dragHandle = index;
    m_dragShape = s.shape;
}

void SelectionLayer::handleMoved(int index, QPointF scenePos)
{
    if (index != m_dragHandle || m_regions.size() != 1) return;
    if (auto moved = moveHandle(m_dragShape, index, {scenePos.x(), scenePos.y()})) {
        m_dragShape = *moved;
        preview({m_regions.front().id}, {m_dragShape});
        Q_EMIT handleDragged();
    }
}

void SelectionLayer::handleReleased(int index)
{
    if (index != m_dragHandle) return;
    m_dragHandle = -1;
    if (m_regions.size() == 1 && m_doc) m_doc->changeShape(m_regions.front().id, m_dragShape); // one undo step; none if it did not move
}

void SelectionLayer::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *)
{
    painter->setRenderHint(QPainter::Antialiasing);
    QPen pen(QColor(Qt::white), 3);
    pen.setCosmetic(true);
    for (const Shown &s : m_regions) {
        QColor fill = s.color;
        fill.setAlpha(m_fill ? 90 : 0);
        if (s.shape.type() == core::ShapeType::Point) {
            // 6 screen pixels across at any zoom
            const double r = 3 / std::max(1e-6, std::sqrt(std::abs(painter->worldTransform().determinant())));
            painter->setPen(pen);
            painter->setBrush(s.color);
            painter->drawEllipse(QPointF(s.shape.params()[0], s.shape.params()[1]), r, r);
            continue;
        }
        QPolygonF poly;
        for (const core::Point &p : s.shape.toPolygon(48)) poly << QPointF(p.x, p.y);
        painter->setPen(pen);
        if (s.shape.isClosed()) {
            painter->setBrush(fill);
            painter->drawPolygon(poly);
        } else {
            painter->setBrush(Qt::NoBrush);
            painter->drawPolyline(poly);
        }
    }
}

} // namespace annotation
