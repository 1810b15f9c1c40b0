#pragma once
// Base of the tools that draw a shape with one drag (rectangle, circle, ellipse):
// press at one point, the draft follows the cursor, release commits. Esc during the
// drag abandons it; a drag too small to make a shape (under a pixel) adds nothing.
#include "annotation/tools/creationtool.h"

#include <optional>

namespace annotation {

class DragShapeTool : public CreationTool {
    Q_OBJECT
public:
    using CreationTool::CreationTool;
    void mousePressed(const ToolEvent &event) override;
    void mouseMoved(const ToolEvent &event) override;
    void mouseReleased(const ToolEvent &event) override;
    bool keyPressed(QKeyEvent *event) override;
    bool isBusy() const override { return m_dragging; }
    void reset() override;

protected:
    // The outline shown while dragging from `from` to `to` (image pixels).
    virtual QPainterPath draftPath(QPointF from, QPointF to) const = 0;
    // The shape the drag makes, or none when it is too small.
    virtual std::optional<core::Shape> shapeFor(QPointF from, QPointF to) const = 0;

private:
    QPointF m_start;
    bool m_dragging = false;
};

} // namespace annotation
