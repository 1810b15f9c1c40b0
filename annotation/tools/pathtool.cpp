#include "annotation/tools/pathtool.h"

#include <QKeyEvent>

namespace annotation {

void PathTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton) return;
    if (finishesAt(event)) {
        finish();
        return;
    }
    m_points.push_back(event.pos);
    updateDraft(event.pos);
}

void PathTool::mouseMoved(const ToolEvent &event)
{
    if (!m_points.empty()) updateDraft(event.pos);
}

bool PathTool::keyPressed(QKeyEvent *event)
{
    if (m_points.empty()) return false;
    switch (event->key()) {
    case Qt::Key_Return:
    case Qt::Key_Enter:
        finish();
        return true;
    case Qt::Key_Escape:
        reset();
        return true;
    case Qt::Key_Backspace:
        m_points.pop_back();
        if (m_points.empty()) reset();
        else updateDraft(m_points.back());
        return true;
    default:
        return false;
    }
}

void PathTool::reset()
{
    m_points.clear();
    CreationTool::reset();
}

void PathTool::finish()
{
    std::vector<core::Point> pts;
    for (const QPointF &p : m_points) pts.push_back({p.x(), p.y()});
    reset();
    if (core::distinctPointCount(pts) < (closed() ? 3u : 2u)) return;
    if (auto shape = closed() ? core::Shape::polygon(pts) : core::Shape::polyline(pts)) commit(*shape);
}

void PathTool::updateDraft(QPointF cursor)
{
    QPainterPath path;
    path.moveTo(m_points.front());
    for (std::size_t i = 1; i < m_points.size(); ++i) path.lineTo(m_points[i]);
    path.lineTo(cursor);
    showDraft(path);
}

} // namespace annotation
