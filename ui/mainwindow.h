#pragma once
// The project viewer: the image list of a project and a canvas that shows the
// selected image with its regions outlined in their class colours. Images are
// decoded on a worker thread; the GUI thread never waits on disk.
#include "core/project_store.h"

#include <QFutureWatcher>
#include <QImage>
#include <QMainWindow>

#include <memory>
#include <optional>

class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QListWidget;
class QTabWidget;

namespace ui {

class TrainPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a project; on failure shows nothing new and returns the reason.
    core::Status openProject(const QString &path);
    QGraphicsScene *scene() const { return m_scene; }
    QTabWidget *workspaces() const { return m_tabs; }
    TrainPanel *trainPanel() const { return m_train; } // null in a build without the training engine
    int imageCount() const;
    void showImage(int row);

Q_SIGNALS:
    void imageShown(int row); // after the image and its regions are on the canvas

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onImageDecoded();

    std::optional<core::ProjectStore> m_store;
    std::vector<core::ImageInfo> m_images;
    QTabWidget *m_tabs = nullptr;
    TrainPanel *m_train = nullptr;
    QListWidget *m_list = nullptr;
    QGraphicsScene *m_scene = nullptr;
    QGraphicsView *m_view = nullptr;
    QLabel *m_coords = nullptr;
    QFutureWatcher<QImage> m_decode;
    int m_pendingRow = -1;
};

} // namespace ui
