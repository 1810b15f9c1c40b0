#include "annotation/tools/circletool.h"

#include <QLineF>

namespace annotation {

CircleTool::CircleTool(QObject *parent)
    : DragShapeTool(tr("Circle"), QIcon(QStringLiteral(":/icons/circle.svg")), QKeySequence(QStringLiteral("C")), tr("Press at the centre and drag out the radius"),
                    parent)
{
    setStatusText(tr("Circle: press at the centre, drag out the radius"));
}

QPainterPath CircleTool::draftPath(QPointF from, QPointF to) const
{
    QPainterPath path;
    const double r = QLineF(from, to).length();
    path.addEllipse(from, r, r);
    return path;
}

std::optional<core::Shape> CircleTool::shapeFor(QPointF from, QPointF to) const
{
    const double r = QLineF(from, to).length();
    if (r < 1) return std::nullopt;
    auto shape = core::Shape::circle(from.x(), from.y(), r);
    return shape ? std::optional<core::Shape>(*shape) : std::nullopt;
}

} // namespace annotation
