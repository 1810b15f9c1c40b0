#include "annotation/canvas.h"

#include "annotation/canvasscene.h"
#include "annotation/imagelayer.h"
#include "annotation/overlaylayer.h"
#include "annotation/regionlayer.h"
#include "annotation/selection.h"
#include "annotation/selectionlayer.h"
#include "annotation/tools/abstracttool.h"

#include <QGraphicsItemGroup>
#include <QGraphicsPathItem>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>

namespace annotation {

Canvas::Canvas(QWidget *parent) : QGraphicsView(parent), m_selection(new Selection(this))
{
    m_scene = new CanvasScene(this);
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing);
    setBackgroundBrush(QColor(40, 40, 44));
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    // Handles and labels keep their screen size at any zoom: repaint the whole view, never a stale strip.
    setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);

    m_image = new ImageLayer;
    m_image->setZValue(-1);
    m_scene->addItem(m_image);
    m_regions = new RegionLayer;
    m_regions->setZValue(1);
    m_scene->addItem(m_regions);
    m_selected = new SelectionLayer;
    m_selected->setZValue(2);
    m_scene->addItem(m_selected);
    m_labels = new QGraphicsItemGroup;
    m_labels->setZValue(5);
    m_labels->setAcceptedMouseButtons(Qt::NoButton);
    m_scene->addItem(m_labels);
    m_overlay = new OverlayLayer;
    m_overlay->setZValue(6);
    m_scene->addItem(m_overlay);
    m_draft = new QGraphicsPathItem;
    QPen draftPen(QColor(Qt::cyan), 0);
    m_draft->setPen(draftPen);
    m_draft->setZValue(10);
    m_draft->setAcceptedMouseButtons(Qt::NoButton);
    m_scene->addItem(m_draft);
    m_note = new QGraphicsSimpleTextItem;
    m_note->setBrush(Qt::white);
    m_note->setFlag(QGraphicsItem::ItemIgnoresTransformations);
    m_note->setZValue(20);
    m_note->setAcceptedMouseButtons(Qt::NoButton);
    m_scene->addItem(m_note);

    connect(m_image, &ImageLayer::loaded, this, &Canvas::onImageLoaded);
    connect(m_image, &ImageLayer::buildProgress, this, [this](double f) {
        m_note->setText(tr("Building a tile pyramid of this large image (only the first time it is opened): %1 %").arg(std::lround(f * 100)));
        m_note->setPos(mapToScene(QPoint(10, 10)));
        Q_EMIT message(m_note->text(), 2000);
    });
    connect(m_selection, &Selection::changed, this, &Canvas::refreshRegions);
}

Canvas::~Canvas()
{
    if (m_tool) m_tool->deactivate();
}

void Canvas::setDocument(Document *doc)
{
    if (m_doc) disconnect(m_doc, nullptr, this, nullptr);
    m_doc = doc;
    m_selected->setDocument(doc);
    m_selection->clear();
    if (m_tool) m_tool->reset();
    if (m_doc) connect(m_doc, &Document::changed, this, &Canvas::onDocumentChanged);
    refreshRegions();
}

void Canvas::setTool(AbstractTool *tool)
{
    if (tool == m_tool) return;
    if (m_tool) {
        disconnect(m_tool, nullptr, this, nullptr);
        m_tool->deactivate();
    }
    clearDraft();
    m_tool = tool;
    if (m_tool) {
        connect(m_tool, &QObject::destroyed, this, [this] { m_tool = nullptr; }); // a tool may go first
        m_tool->activate(this);
        viewport()->setCursor(m_tool->cursor());
        connect(m_tool, &AbstractTool::statusTextChanged, this, &Canvas::toolStatusChanged);
        Q_EMIT toolStatusChanged(m_tool->statusText());
    } else {
        viewport()->unsetCursor();
    }
    refreshRegions(); // handles come and go with the tool
}

void Canvas::setClassStyles(std::unordered_map<core::Id, ClassStyle> styles)
{
    m_styles = std::move(styles);
    refreshRegions();
}

void Canvas::setShowLabels(bool on)
{
    m_showLabels = on;
    refreshRegions();
}

void Canvas::setFillRegions(bool on)
{
    m_fill = on;
    refreshRegions();
}

void Canvas::setPyramidCache(std::shared_ptr<core::PyramidCache> cache) { m_image->setPyramidCache(std::move(cache)); }

void Canvas::showImage(const QString &path) { m_image->load(path); }

QSize Canvas::imageSize() const { return m_image->imageSize(); }

void Canvas::onImageLoaded(bool ok)
{
    clearDraft();
    if (m_tool) m_tool->reset();
    if (ok) {
        m_note->setText(QString());
        m_scene->setSceneRect(QRectF(QPointF(0, 0), QSizeF(m_image->imageSize())));
        if (!m_image->notice().isEmpty()) Q_EMIT message(m_image->notice(), 8000);
    } else {
        m_note->setText(m_image->errorText());
        m_note->setPos(0, 0);
        m_scene->setSceneRect(QRectF(0, 0, 640, 480));
    }
    Q_EMIT imageReady(ok);
}

// ---------------------------------------------------------------- regions

QColor Canvas::colorOf(core::Id classId) const
{
    auto it = classId ? m_styles.find(classId) : m_styles.end();
    return it != m_styles.end() && it->second.color.isValid() ? it->second.color : QColor(Qt::yellow);
}

void Canvas::onDocumentChanged(const ChangeEvent &event)
{
    const std::vector<core::Id> before = m_selection->ids();
    const QSignalBlocker quiet(m_selection); // one redraw below and one changed(), not one per step
    if (event.kind == ChangeEvent::Reset) { // another image, or the regions reloaded
        m_selection->clear();
        if (m_tool) m_tool->reset();
    }
    if (m_selectAdded && event.kind == ChangeEvent::Added) m_selection->set(event.regions); // a paste selects what it added
    m_selectAdded = false;
    if (m_doc) m_selection->prune(*m_doc); // an undo can take selected regions away
    if (m_selection->ids() != before) {
        m_selection->blockSignals(false);
        Q_EMIT m_selection->changed(); // redraws
    } else {
        refreshRegions();
    }
}

void Canvas::refreshRegions()
{
    for (QGraphicsItem *label : m_labels->childItems()) delete label;
    std::vector<RegionLayer::Entry> entries;
    std::vector<SelectionLayer::Shown> selected;
    if (m_doc) {
        entries.reserve(m_doc->regions().size());
        for (const core::Region &r : m_doc->regions()) {
            const QColor color = colorOf(r.classId);
            if (m_showLabels) {
                const core::Box b = r.shape.boundingBox();
                auto it = r.classId ? m_styles.find(r.classId) : m_styles.end();
                auto *label = new QGraphicsSimpleTextItem(it != m_styles.end() ? it->second.name : tr("(no class)"), m_labels);
                label->setBrush(color);
                label->setFlag(QGraphicsItem::ItemIgnoresTransformations);
                label->setPos(b.x, b.y);
                label->setData(1, true);
                label->setAcceptedMouseButtons(Qt::NoButton);
            }
            if (m_selection->contains(r.id)) {
                selected.push_back({r.id, r.shape, color});
                continue;
            }
            RegionLayer::Entry e; // everything else is painted by one layer
            e.id = r.id;
            e.color = color;
            if (r.shape.type() == core::ShapeType::Point) {
                e.kind = RegionLayer::Entry::Dot;
                e.outline << QPointF(r.shape.params()[0], r.shape.params()[1]);
            } else {
                e.kind = r.shape.isClosed() ? RegionLayer::Entry::Closed : RegionLayer::Entry::Open;
                for (const core::Point &p : r.shape.toPolygon(48)) e.outline << QPointF(p.x, p.y);
            }
            entries.push_back(std::move(e));
        }
    }
    // Keep the selection's order (the attribute editor and a paste rely on it).
    std::vector<SelectionLayer::Shown> ordered;
    for (core::Id id : m_selection->ids())
        for (const auto &s : selected)
            if (s.id == id) ordered.push_back(s);
    m_regions->setEntries(std::move(entries), m_fill);
    m_selected->setRegions(std::move(ordered), m_fill, m_tool && m_tool->showsHandles());
}

void Canvas::previewShapes(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes) { m_selected->preview(ids, shapes); }

core::Id Canvas::regionAt(QPointF p, double tolerance) const
{
    if (core::Id id = m_selected->regionAt(p, tolerance)) return id; // the selected regions lie on top
    return m_regions->regionAt(p, tolerance);
}

int Canvas::drawnRegionCount() const { return m_regions->count() + m_selected->count(); }

void Canvas::addRegion(const core::Shape &shape, bool select)
{
    if (!m_doc) return;
    core::Region r;
    r.shape = shape;
    r.classId = m_newClass;
    m_selectAdded = select;
    m_doc->addRegion(r);
    m_selectAdded = false;
}

void Canvas::selectAll()
{
    if (!m_doc) return;
    std::vector<core::Id> all;
    for (const auto &r : m_doc->regions()) all.push_back(r.id);
    m_selection->set(all);
}

void Canvas::deleteSelection()
{
    if (m_doc && !m_selection->isEmpty()) m_doc->removeRegions(m_selection->ids());
}

int Canvas::copySelection()
{
    if (!m_doc || m_selection->isEmpty()) return 0;
    const int n = m_clipboard.copy(*m_doc, m_selection->ids());
    Q_EMIT message(tr("Copied %n region(s)", nullptr, n), 3000);
    return n;
}

void Canvas::paste()
{
    if (!m_doc || m_clipboard.isEmpty() || !m_doc->image()) return;
    m_selectAdded = true;
    m_doc->addRegions(m_clipboard.pasteOnto(m_doc->image()));
}

// ---------------------------------------------------------------- draft

void Canvas::setDraft(const QPainterPath &path) { m_draft->setPath(path); }

void Canvas::clearDraft() { m_draft->setPath(QPainterPath()); }

// ---------------------------------------------------------------- view

void Canvas::fitToWindow() { fitInView(sceneRect(), Qt::KeepAspectRatio); }

void Canvas::zoomToActualSize() { setTransform(QTransform()); }

void Canvas::zoomBy(double factor) { scale(factor, factor); }

double Canvas::zoom() const { return transform().m11(); }

double Canvas::tolerance() const { return 6.0 / std::max(1e-6, zoom()); }

void Canvas::wheelEvent(QWheelEvent *event) // zoom around the cursor
{
    const double factor = std::pow(1.0015, event->angleDelta().y());
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    scale(factor, factor);
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);
    event->accept();
}

void Canvas::mousePressEvent(QMouseEvent *event)
{
    // Pan with the middle button, or Space held with the left.
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceHeld)) {
        m_panFrom = event->position().toPoint();
        m_panning = true;
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    setFocus(Qt::MouseFocusReason);
    QGraphicsView::mousePressEvent(event);
}

void Canvas::mouseMoveEvent(QMouseEvent *event)
{
    if (m_panning) {
        const QPoint d = event->position().toPoint() - m_panFrom;
        m_panFrom = event->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        event->accept();
        return;
    }
    Q_EMIT cursorMoved(mapToScene(event->position().toPoint()));
    QGraphicsView::mouseMoveEvent(event);
}

void Canvas::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_panning) {
        m_panning = false;
        viewport()->setCursor(m_tool ? m_tool->cursor() : QCursor());
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void Canvas::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) m_spaceHeld = true;
        event->accept();
        return;
    }
    if (m_tool && m_doc && m_tool->keyPressed(event)) {
        event->accept();
        return;
    }
    const int key = event->key();
    if ((key == Qt::Key_Delete || key == Qt::Key_Backspace) && m_doc && !m_selection->isEmpty()) {
        deleteSelection();
        event->accept();
        return;
    }
    if (key == Qt::Key_Escape && !m_selection->isEmpty()) {
        m_selection->clear();
        event->accept();
        return;
    }
    if (key == Qt::Key_Left || key == Qt::Key_Right || key == Qt::Key_Up || key == Qt::Key_Down) {
        QGraphicsView::keyPressEvent(event); // scroll
        return;
    }
    event->ignore(); // for the parent: next image, class keys
}

void Canvas::keyReleaseEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = false;
        event->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

void Canvas::focusOutEvent(QFocusEvent *event)
{
    m_spaceHeld = false; // the release would go elsewhere
    QGraphicsView::focusOutEvent(event);
}

} // namespace annotation
