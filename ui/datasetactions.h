#pragma once
// The Dataset menu: Classes, Split, Statistics and Validate, each a dialog that
// works on the open project (see classmanager.h and datasetdialogs.h).
#include <QList>
#include <QObject>

class QAction;
class QMenu;

namespace ui {

class MainWindow;

class DatasetActions : public QObject {
    Q_OBJECT
public:
    DatasetActions(MainWindow *window, QMenu *menu);
    // Enabled only while a project is open.
    const QList<QAction *> &projectActions() const { return m_projectActions; }

private:
    MainWindow *m_window;
    QList<QAction *> m_projectActions;
};

} // namespace ui
