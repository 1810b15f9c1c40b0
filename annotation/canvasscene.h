#pragma once
// The scene of the canvas (after Tiled's MapScene): a mouse event goes first to the
// scene's own items (the handles of the selection); only one that no item took is
// handed to the canvas's tool, converted to image pixels with the hit tolerance of
// the current zoom. Scene coordinates are image pixels.
#include <QGraphicsScene>

namespace annotation {

class Canvas;
struct ToolEvent;

class CanvasScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit CanvasScene(Canvas *canvas);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent *event) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent *event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent *event) override;
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent *event) override;

private:
    ToolEvent toolEvent(const QGraphicsSceneMouseEvent *event) const;

    Canvas *m_canvas;
    bool m_toolHasPress = false; // the tool took the press, so it gets the release
};

} // namespace annotation
