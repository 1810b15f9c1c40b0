#pragma once
// Circle: press at the centre and drag out the radius (C).
#include "annotation/tools/dragshapetool.h"

namespace annotation {

class CircleTool : public DragShapeTool {
    Q_OBJECT
public:
    explicit CircleTool(QObject *parent = nullptr);

protected:
    QPainterPath draftPath(QPointF from, QPointF to) const override;
    std::optional<core::Shape> shapeFor(QPointF from, QPointF to) const override;
};

} // namespace annotation
