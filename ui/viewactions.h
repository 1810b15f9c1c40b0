#pragma once
// The View menu: Fit to Window (F), Actual Size (Ctrl+0), Zoom In and Out, Show
// Labels (Ctrl+L) and Fill Regions (Shift+F) of the Annotate canvas.
#include <QObject>

class QMenu;

namespace ui {

class AnnotateWorkspace;

class ViewActions : public QObject {
    Q_OBJECT
public:
    ViewActions(AnnotateWorkspace *annotate, QMenu *menu);
};

} // namespace ui
