#pragma once
// The Help menu: Keyboard Shortcuts (every menu's and tool's, read from the actions
// themselves, plus the canvas's keys) and About.
#include <QObject>

class QMenu;

namespace ui {

class MainWindow;

class HelpActions : public QObject {
    Q_OBJECT
public:
    HelpActions(MainWindow *window, QMenu *menu);
    void showShortcuts();

private:
    MainWindow *m_window;
};

} // namespace ui
