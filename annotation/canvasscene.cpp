#include "annotation/canvasscene.h"

#include "annotation/canvas.h"
#include "annotation/tools/abstracttool.h"

#include <QGraphicsSceneMouseEvent>

namespace annotation {

CanvasScene::CanvasScene(Canvas *canvas) : QGraphicsScene(canvas), m_canvas(canvas) {}

ToolEvent CanvasScene::toolEvent(const QGraphicsSceneMouseEvent *event) const
{
    ToolEvent e;
    e.pos = event->scenePos();
    e.button = event->button();
    e.buttons = event->buttons();
    e.modifiers = event->modifiers();
    e.zoom = m_canvas->zoom();
    e.tolerance = m_canvas->tolerance();
    return e;
}

void CanvasScene::mousePressEvent(QGraphicsSceneMouseEvent *event)
{
    QGraphicsScene::mousePressEvent(event); // the items first
    if (event->isAccepted() || mouseGrabberItem()) return;
    if (AbstractTool *tool = m_canvas->tool(); tool && m_canvas->document()) {
        tool->mousePressed(toolEvent(event));
        m_toolHasPress = true;
        event->accept();
    }
}

void CanvasScene::mouseMoveEvent(QGraphicsSceneMouseEvent *event)
{
    if (mouseGrabberItem()) {
        QGraphicsScene::mouseMoveEvent(event);
        return;
    }
    QGraphicsScene::mouseMoveEvent(event); // hover on the handles
    if (AbstractTool *tool = m_canvas->tool(); tool && m_canvas->document()) tool->mouseMoved(toolEvent(event));
}

void CanvasScene::mouseReleaseEvent(QGraphicsSceneMouseEvent *event)
{
    if (mouseGrabberItem()) {
        QGraphicsScene::mouseReleaseEvent(event);
        return;
    }
    if (AbstractTool *tool = m_canvas->tool(); tool && m_canvas->document() && m_toolHasPress) tool->mouseReleased(toolEvent(event));
    m_toolHasPress = event->buttons() != Qt::NoButton && m_toolHasPress;
}

void CanvasScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent *event)
{
    QGraphicsScene::mouseDoubleClickEvent(event); // a handle takes it as a press
    if (event->isAccepted() || mouseGrabberItem()) return;
    if (AbstractTool *tool = m_canvas->tool(); tool && m_canvas->document()) {
        tool->mouseDoubleClicked(toolEvent(event));
        m_toolHasPress = true;
        event->accept();
    }
}

} // namespace annotation
