#pragma once
// The File menu: New Project, Open Project, Open Recent, Add Image Folder, Import
// and Export Annotations, Quit. Adding a folder and importing run off the GUI thread
// on connections of their own; the Annotate workspace reads its lists again after.
#include <QList>
#include <QObject>

class QAction;
class QMenu;

namespace ui {

class MainWindow;

class FileActions : public QObject {
    Q_OBJECT
public:
    FileActions(MainWindow *window, QMenu *menu);

    // Adds every image below `dir` to the open project.
    void addImageFolder(const QString &dir);
    // The import or export dialog, prefilled with `path` (empty: none).
    void showTransfer(bool import, const QString &path);
    // Enabled only while a project is open.
    const QList<QAction *> &projectActions() const { return m_projectActions; }

private:
    void newProject();

    MainWindow *m_window;
    QMenu *m_recent;
    QList<QAction *> m_projectActions;
};

} // namespace ui
