#pragma once
// Select and move (V): a click selects the region under the cursor (Ctrl+click adds
// or removes one; a plain click on one of several selected keeps only it); a drag
// on a region moves the whole selection, previewed on the
// canvas and stored as one ChangeShape on release; a drag on empty canvas selects
// the regions inside the band. A region selected alone shows its handles (drag one
// to reshape, Shift+click a vertex to delete it: the SelectionLayer does that);
// a double-click on an edge of a selected polygon or polyline inserts a vertex.
#include "annotation/tools/abstracttool.h"

#include "core/project_store.h"

#include <vector>

namespace annotation {

class SelectTool : public AbstractTool {
    Q_OBJECT
public:
    explicit SelectTool(QObject *parent = nullptr);
    void mousePressed(const ToolEvent &event) override;
    void mouseMoved(const ToolEvent &event) override;
    void mouseReleased(const ToolEvent &event) override;
    void mouseDoubleClicked(const ToolEvent &event) override;
    QCursor cursor() const override { return Qt::ArrowCursor; }
    bool isBusy() const override { return m_mode != Mode::Idle; }
    void reset() override;
    bool showsHandles() const override { return true; }

private:
    enum class Mode { Idle, Moving, Banding };
    Mode m_mode = Mode::Idle;
    QPointF m_start;
    core::Id m_clicked = 0; // pressed on, in a selection of several
    std::vector<core::Id> m_moving;
    std::vector<core::Shape> m_origin, m_moved;
};

} // namespace annotation
