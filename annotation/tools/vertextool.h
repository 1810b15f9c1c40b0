#pragma once
// Edit vertices (N): a click picks the region to edit and shows its handles; drag a
// handle to move a vertex (a box's corner, a circle's rim, an ellipse's axis end),
// Shift+click a vertex to delete it (the SelectionLayer does both), and a click on
// an edge of the polygon or polyline being edited inserts a vertex there. It never
// moves a whole region, so a slip of the hand cannot drag one away.
#include "annotation/tools/abstracttool.h"

namespace annotation {

class VertexTool : public AbstractTool {
    Q_OBJECT
public:
    explicit VertexTool(QObject *parent = nullptr);
    void mousePressed(const ToolEvent &event) override;
    QCursor cursor() const override { return Qt::PointingHandCursor; }
    bool showsHandles() const override { return true; }
};

} // namespace annotation
