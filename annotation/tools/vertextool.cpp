#include "annotation/tools/vertextool.h"

#include "annotation/canvas.h"
#include "annotation/selection.h"
#include "annotation/shapeedit.h"

namespace annotation {

VertexTool::VertexTool(QObject *parent)
    : AbstractTool(tr("Edit Vertices"), QIcon(QStringLiteral(":/icons/vertex.svg")), QKeySequence(QStringLiteral("N")),
                   tr("Click a region to edit it; drag a handle to move a vertex or corner, click an edge to insert a vertex, Shift+click a "
                      "vertex to delete it. Regions never move as a whole with this tool"),
                   parent)
{
    setStatusText(tr("Edit vertices: click a region, then drag its handles; click an edge to add a vertex"));
}

void VertexTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton || !canvas()) return;
    Selection *selection = canvas()->selection();
    const core::Id edited = selection->single();
    if (const core::Region *r = edited ? document()->region(edited) : nullptr) {
        core::Point onEdge;
        const int edge = hitEdge(r->shape, {event.pos.x(), event.pos.y()}, event.tolerance, &onEdge);
        if (edge >= 0) {
            if (auto more = insertVertex(r->shape, edge, onEdge)) document()->changeShape(edited, *more);
            return;
        }
    }
    const core::Id hit = canvas()->regionAt(event.pos, event.tolerance);
    selection->set(hit ? std::vector<core::Id>{hit} : std::vector<core::Id>{});
}

} // namespace annotation
