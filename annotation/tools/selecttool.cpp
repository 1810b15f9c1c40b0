#include "annotation/tools/selecttool.h"

#include "annotation/canvas.h"
#include "annotation/selection.h"
#include "annotation/shapeedit.h"

#include <QPainterPath>

namespace annotation {

SelectTool::SelectTool(QObject *parent)
    : AbstractTool(tr("Select"), QIcon(QStringLiteral(":/icons/select.svg")), QKeySequence(QStringLiteral("V")),
                   tr("Click a region to select it, Ctrl+click to add or remove one, Ctrl+A for all; drag to move the selection, or drag on the "
                      "empty canvas to select the regions inside; Delete removes it. On one selected region: drag a handle to reshape it; on a "
                      "polygon or polyline double-click an edge to insert a vertex, Shift+click a vertex to delete it"),
                   parent)
{
    setStatusText(tr("Select: click or drag a band; drag a region to move the selection"));
}

void SelectTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton || !canvas()) return;
    Selection *selection = canvas()->selection();
    const core::Id hit = canvas()->regionAt(event.pos, event.tolerance);
    if (event.modifiers & Qt::ControlModifier) { // Ctrl+click adds or removes one region
        if (hit) selection->toggle(hit);
        return;
    }
    m_start = event.pos;
    if (!hit) {
        selection->clear();
        m_mode = Mode::Banding;
        return;
    }
    m_clicked = selection->contains(hit) && selection->ids().size() > 1 ? hit : 0; // a click without a drag narrows to it
    if (!selection->contains(hit)) selection->set({hit});
    m_mode = Mode::Moving;
    m_moving = selection->ids();
    m_origin.clear();
    for (core::Id id : m_moving) m_origin.push_back(document()->region(id)->shape);
    m_moved = m_origin;
}

void SelectTool::mouseMoved(const ToolEvent &event)
{
    if (m_mode == Mode::Moving) {
        const QPointF d = event.pos - m_start;
        for (std::size_t i = 0; i < m_origin.size(); ++i) m_moved[i] = m_origin[i].translated(d.x(), d.y());
        canvas()->previewShapes(m_moving, m_moved); // the store hears of it on release
    } else if (m_mode == Mode::Banding) {
        QPainterPath band;
        band.addRect(QRectF(m_start, event.pos).normalized());
        canvas()->setDraft(band);
    }
}

void SelectTool::mouseReleased(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton) return;
    if (m_mode == Mode::Moving) {
        mouseMoved(event);
        m_mode = Mode::Idle;
        if (event.pos == m_start) {
            if (m_clicked) canvas()->selection()->set({m_clicked});
            return;
        }
        document()->changeShapes(m_moving, m_moved); // one undo step
    } else if (m_mode == Mode::Banding) {
        m_mode = Mode::Idle;
        canvas()->clearDraft();
        const QRectF band = QRectF(m_start, event.pos).normalized();
        if (band.width() * event.zoom < 3 && band.height() * event.zoom < 3) return; // a click, not a band
        std::vector<core::Id> inside;
        for (const core::Region &r : document()->regions()) {
            const core::Box b = r.shape.boundingBox();
            if (band.contains(QRectF(b.x, b.y, b.w, b.h))) inside.push_back(r.id);
        }
        canvas()->selection()->set(inside);
    }
}

void SelectTool::mouseDoubleClicked(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton || !canvas()) return;
    const core::Id single = canvas()->selection()->single();
    const core::Region *r = single ? document()->region(single) : nullptr;
    if (!r) return;
    core::Point onEdge;
    const int edge = hitEdge(r->shape, {event.pos.x(), event.pos.y()}, event.tolerance, &onEdge);
    if (edge < 0) return;
    if (auto more = insertVertex(r->shape, edge, onEdge)) document()->changeShape(single, *more);
}

void SelectTool::reset()
{
    if (m_mode == Mode::Banding && canvas()) canvas()->clearDraft();
    m_mode = Mode::Idle;
    m_moving.clear();
    m_origin.clear();
    m_moved.clear();
}

} // namespace annotation
