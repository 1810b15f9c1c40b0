#include "annotation/tools/ellipsetool.h"

namespace annotation {

EllipseTool::EllipseTool(QObject *parent)
    : DragShapeTool(tr("Ellipse"), QIcon(QStringLiteral(":/icons/ellipse.svg")), QKeySequence(QStringLiteral("E")), tr("Drag the box the ellipse fits in"), parent)
{
    setStatusText(tr("Ellipse: drag the box it fits in"));
}

QPainterPath EllipseTool::draftPath(QPointF from, QPointF to) const
{
    QPainterPath path;
    path.addEllipse(QRectF(from, to).normalized());
    return path;
}

std::optional<core::Shape> EllipseTool::shapeFor(QPointF from, QPointF to) const
{
    const QRectF box = QRectF(from, to).normalized();
    if (box.width() < 1 || box.height() < 1) return std::nullopt;
    auto shape = core::Shape::ellipse(box.center().x(), box.center().y(), box.width() / 2, box.height() / 2);
    return shape ? std::optional<core::Shape>(*shape) : std::nullopt;
}

} // namespace annotation
