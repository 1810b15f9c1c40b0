#pragma once
// Rectangle: drag from one corner to the other (R).
#include "annotation/tools/dragshapetool.h"

namespace annotation {

class RectangleTool : public DragShapeTool {
    Q_OBJECT
public:
    explicit RectangleTool(QObject *parent = nullptr);

protected:
    QPainterPath draftPath(QPointF from, QPointF to) const override;
    std::optional<core::Shape> shapeFor(QPointF from, QPointF to) const override;
};

} // namespace annotation
