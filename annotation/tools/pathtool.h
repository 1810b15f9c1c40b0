#pragma once
// Base of the tools that draw a shape vertex by vertex (polygon, polyline): each
// click adds a vertex, the draft runs from the last one to the cursor; Enter
// finishes, Backspace takes the last vertex back, Esc abandons the shape. A shape
// with too few distinct vertices (3 for a polygon, 2 for a polyline) adds nothing.
#include "annotation/tools/creationtool.h"

#include <vector>

namespace annotation {

class PathTool : public CreationTool {
    Q_OBJECT
public:
    using CreationTool::CreationTool;
    void mousePressed(const ToolEvent &event) override;
    void mouseMoved(const ToolEvent &event) override;
    bool keyPressed(QKeyEvent *event) override;
    bool isBusy() const override { return !m_points.empty(); }
    void reset() override;
    const std::vector<QPointF> &points() const { return m_points; }

protected:
    virtual bool closed() const = 0;
    // Whether a press at `event` ends the shape instead of adding a vertex.
    virtual bool finishesAt(const ToolEvent &) const { return false; }
    void finish();

private:
    void updateDraft(QPointF cursor);
    std::vector<QPointF> m_points; // image pixels
};

} // namespace annotation
