#include "annotation/tools/dragshapetool.h"

#include <QKeyEvent>

namespace annotation {

void DragShapeTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton) return;
    m_start = event.pos;
    m_dragging = true;
}

void DragShapeTool::mouseMoved(const ToolEvent &event)
{
    if (m_dragging) showDraft(draftPath(m_start, event.pos));
}

void DragShapeTool::mouseReleased(const ToolEvent &event)
{
    if (!m_dragging || event.button != Qt::LeftButton) return;
    m_dragging = false;
    clearDraft();
    if (auto shape = shapeFor(m_start, event.pos)) commit(*shape);
}

bool DragShapeTool::keyPressed(QKeyEvent *event)
{
    if (m_dragging && event->key() == Qt::Key_Escape) {
        reset();
        return true;
    }
    return false;
}

void DragShapeTool::reset()
{
    m_dragging = false;
    CreationTool::reset();
}

} // namespace annotation
