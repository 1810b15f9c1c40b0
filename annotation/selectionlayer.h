#pragma once
// The selected regions, drawn over the others (white outline), and the handles of
// a region selected alone: its vertices, a box's corners, a circle's rim point, an
// ellipse's semi-axis ends (annotation::handles()).
//
// Handles are scene items that take the mouse before any tool does (the scene
// offers an event to its items first): a drag previews the new shape here and
// pushes one ChangeShape on release; Shift+click on a vertex of a polygon or
// polyline removes it (one command). Everything goes through the Document.
#include "core/project_store.h"

#include <QColor>
#include <QGraphicsObject>

#include <vector>

namespace annotation {

class Document;
class HandleItem;

class SelectionLayer : public QGraphicsObject {
    Q_OBJECT
public:
    struct Shown {
        core::Id id = 0;
        core::Shape shape;
        QColor color;
    };

    explicit SelectionLayer(QGraphicsItem *parent = nullptr);
    ~SelectionLayer() override;

    void setDocument(Document *doc) { m_doc = doc; }
    // What is selected, as the document holds it; handles for a single region when `handles`.
    void setRegions(std::vector<Shown> regions, bool fill, bool handles);
    // Shapes shown instead of the stored ones while a tool drags them (nothing is stored).
    void preview(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes);
    int count() const { return static_cast<int>(m_regions.size()); }
    // The topmost selected region at p (its shape as shown), 0 for none.
    core::Id regionAt(QPointF p, double tolerance) const;
    int handleCount() const { return m_shownHandles; }
    bool dragging() const { return m_dragHandle >= 0; }

    QRectF boundingRect() const override { return m_bounds; }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

Q_SIGNALS:
    void handleDragged(); // a handle moved the shape shown (a preview; the document does not know yet)

private:
    friend class HandleItem;
    void handlePressed(int index, Qt::KeyboardModifiers modifiers);
    void handleMoved(int index, QPointF scenePos);
    void handleReleased(int index);
    void placeHandles();
    void updateBounds();

    Document *m_doc = nullptr;
    std::vector<Shown> m_regions;
    bool m_fill = true, m_handlesWanted = false;
    std::vector<HandleItem *> m_handles; // child items; the first m_shownHandles are visible
    int m_shownHandles = 0;
    int m_dragHandle = -1;
    core::Shape m_dragShape; // the shape as the drag has it so far
    QRectF m_bounds;
};

} // namespace annotation
