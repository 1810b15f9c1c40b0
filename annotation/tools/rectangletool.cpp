#include "annotation/tools/rectangletool.h"

namespace annotation {

RectangleTool::RectangleTool(QObject *parent)
    : DragShapeTool(tr("Rectangle"), QIcon(QStringLiteral(":/icons/rectangle.svg")), QKeySequence(QStringLiteral("R")), tr("Drag to draw a box"), parent)
{
    setStatusText(tr("Rectangle: drag from one corner to the other"));
}

QPainterPath RectangleTool::draftPath(QPointF from, QPointF to) const
{
    QPainterPath path;
    path.addRect(QRectF(from, to).normalized());
    return path;
}

std::optional<core::Shape> RectangleTool::shapeFor(QPointF from, QPointF to) const
{
    const QRectF box = QRectF(from, to).normalized();
    if (box.width() < 1 || box.height() < 1) return std::nullopt;
    auto shape = core::Shape::rect(box.x(), box.y(), box.width(), box.height());
    return shape ? std::optional<core::Shape>(*shape) : std::nullopt;
}

} // namespace annotation
