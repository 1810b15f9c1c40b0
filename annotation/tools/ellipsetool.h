#pragma once
// Ellipse: drag the box it fits in (E).
#include "annotation/tools/dragshapetool.h"

namespace annotation {

class EllipseTool : public DragShapeTool {
    Q_OBJECT
public:
    explicit EllipseTool(QObject *parent = nullptr);

protected:
    QPainterPath draftPath(QPointF from, QPointF to) const override;
    std::optional<core::Shape> shapeFor(QPointF from, QPointF to) const override;
};

} // namespace annotation
