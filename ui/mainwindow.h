#pragma once
// The main window is a shell: the workspaces in tabs (Annotate, Train, Inspect),
// the menus, whose actions live in one handler class per menu (FileActions,
// EditActions, ViewActions, DatasetActions, HelpActions), the status bar, drops,
// and the window's remembered layout. It opens the project and hands it to the
// workspaces; everything else happens in them.
#include "core/project_store.h"

#include <QMainWindow>

class QLabel;
class QTabWidget;

namespace ui {

class AnnotateWorkspace;
class DatasetActions;
class EditActions;
class FileActions;
class InspectPanel;
class TrainPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a project; on failure shows nothing new and returns the reason.
    core::Status openProject(const QString &path);
    // The same, saying why in a message box when it fails.
    void openProjectOrSay(const QString &path);

    AnnotateWorkspace *annotate() const { return m_annotate; }
    QTabWidget *workspaces() const { return m_tabs; }
    TrainPanel *trainPanel() const { return m_train; }     // null in a build without the training engine
    InspectPanel *inspectPanel() const { return m_inspect; }
    FileActions *fileActions() const { return m_file; }

Q_SIGNALS:
    void imageShown(int row); // the Annotate workspace's: the image and its regions are on the canvas

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void connectTraining();

    AnnotateWorkspace *m_annotate;
    QTabWidget *m_tabs;
    TrainPanel *m_train = nullptr;
    InspectPanel *m_inspect = nullptr;
    FileActions *m_file;
    EditActions *m_edit;
    DatasetActions *m_dataset;
    QLabel *m_coords;
};

} // namespace ui
