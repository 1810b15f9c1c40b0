#include "annotation/tools/pointtool.h"

namespace annotation {

PointTool::PointTool(QObject *parent)
    : CreationTool(tr("Point"), QIcon(QStringLiteral(":/icons/point.svg")), QKeySequence(QStringLiteral("T")), tr("Click to place a point"), parent)
{
    setStatusText(tr("Point: click to place one"));
}

void PointTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton) return;
    if (auto shape = core::Shape::point(event.pos.x(), event.pos.y())) commit(*shape);
}

} // namespace annotation
