#include "annotation/tools/polygontool.h"

#include <QLineF>

namespace annotation {

PolygonTool::PolygonTool(QObject *parent)
    : PathTool(tr("Polygon"), QIcon(QStringLiteral(":/icons/polygon.svg")), QKeySequence(QStringLiteral("P")),
               tr("Click vertices; click the first vertex or press Enter to close; Backspace removes the last; Esc cancels"), parent)
{
    setStatusText(tr("Polygon: click the vertices; the first one again or Enter closes it"));
}

bool PolygonTool::finishesAt(const ToolEvent &event) const
{
    return points().size() >= 3 && QLineF(event.pos, points().front()).length() <= event.tolerance; // closed on the first vertex
}

} // namespace annotation
