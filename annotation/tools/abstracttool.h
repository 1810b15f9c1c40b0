#pragma once
// A tool of the canvas (after Tiled's AbstractTool): a strategy object the canvas
// hands the mouse events its own items (handles) did not take, already in image
// pixels, and the keys it did not use. A tool changes regions only through the
// Document's commands (via the canvas: addRegion(), the selection's edits), and a
// creation tool keeps its shape in progress (the draft) out of the model until it
// commits it as one command.
//
// Tools know nothing of windows, menus or the store: a test drives one with a
// Canvas alone.
#include <QCursor>
#include <QIcon>
#include <QKeySequence>
#include <QObject>
#include <QPointF>

class QKeyEvent;

namespace annotation {

class Canvas;
class Document;

// A mouse event as a tool sees it.
struct ToolEvent {
    QPointF pos;                             // image pixels
    Qt::MouseButton button = Qt::NoButton;   // the button pressed or released; NoButton for a move
    Qt::MouseButtons buttons;                // held
    Qt::KeyboardModifiers modifiers;
    double tolerance = 1;                    // image pixels making 6 screen pixels at this zoom
    double zoom = 1;                         // screen pixels per image pixel
};

class AbstractTool : public QObject {
    Q_OBJECT
public:
    AbstractTool(QString name, QIcon icon, QKeySequence shortcut, QString toolTip, QObject *parent = nullptr);

    const QString &name() const { return m_name; }
    const QIcon &icon() const { return m_icon; }
    const QKeySequence &shortcut() const { return m_shortcut; }
    const QString &toolTip() const { return m_toolTip; }
    QString statusText() const { return m_status; }

    // The canvas makes the tool its own (activate) and lets it go (deactivate: any draft is dropped).
    virtual void activate(Canvas *canvas);
    virtual void deactivate();
    virtual void mousePressed(const ToolEvent &) {}
    virtual void mouseMoved(const ToolEvent &) {}
    virtual void mouseReleased(const ToolEvent &) {}
    virtual void mouseDoubleClicked(const ToolEvent &) {}
    // True when the tool used the key; the canvas handles (or passes on) the others.
    virtual bool keyPressed(QKeyEvent *) { return false; }
    virtual QCursor cursor() const { return Qt::CrossCursor; }
    // A shape in progress or work pending: the keys that change the image wait.
    virtual bool isBusy() const { return false; }
    // The image under the tool changed: drop drafts and pending work.
    virtual void reset() {}
    // Whether a region selected alone shows its handles while this tool is in use.
    virtual bool showsHandles() const { return false; }

Q_SIGNALS:
    void statusTextChanged(const QString &text);

protected:
    Canvas *canvas() const { return m_canvas; }
    Document *document() const;
    void setStatusText(const QString &text);

private:
    QString m_name;
    QIcon m_icon;
    QKeySequence m_shortcut;
    QString m_toolTip, m_status;
    Canvas *m_canvas = nullptr;
};

} // namespace annotation
