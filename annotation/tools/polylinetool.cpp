#include "annotation/tools/polylinetool.h"

namespace annotation {

PolylineTool::PolylineTool(QObject *parent)
    : PathTool(tr("Polyline"), QIcon(QStringLiteral(":/icons/polyline.svg")), QKeySequence(QStringLiteral("L")),
               tr("Click vertices; Enter or a double-click ends the line; Backspace removes the last; Esc cancels"), parent)
{
    setStatusText(tr("Polyline: click the vertices; Enter or a double-click ends it"));
}

void PolylineTool::mouseDoubleClicked(const ToolEvent &event)
{
    if (event.button == Qt::LeftButton) finish(); // the double-click's first press placed the last vertex
}

} // namespace annotation
