#pragma once
// The project viewer: the image list of a project and a canvas that shows the
// selected image with its regions outlined in their class colours. Images are
// decoded on a worker thread; the GUI thread never waits on disk.
#include "annotation/document.h"
#include "core/project_store.h"

#include <QFutureWatcher>
#include <QImage>
#include <QMainWindow>

#include <memory>
#include <optional>

class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QKeyEvent;
class QMenu;
class QListView;
class QLineEdit;
class QTabWidget;
class QActionGroup;
class QComboBox;
class QGraphicsPathItem;
class QGraphicsPixmapItem;
class QTimer;
class QSplitter;

namespace ui {
class AttributeEditor;
class DatasetModel;
class DatasetFilter;
class RegionLayer;
}

namespace ui {

class TrainPanel;
class InspectPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a project; on failure shows nothing new and returns the reason.
    core::Status openProject(const QString &path);
    QGraphicsScene *scene() const { return m_scene; }
    QGraphicsView *view() const { return m_view; }
    annotation::Document *document() const { return m_doc.get(); }
    enum class Tool { Select, Rectangle, Polygon, Polyline, Point, Circle, Ellipse };
    void setTool(Tool tool);
    QTabWidget *workspaces() const { return m_tabs; }
    TrainPanel *trainPanel() const { return m_train; } // null in a build without the training engine
    InspectPanel *inspectPanel() const { return m_inspect; }
    int imageCount() const;
    void showImage(int row);
    QString currentImagePath() const; // absolute path of the image in Annotate, empty when none
    const std::vector<core::Id> &selection() const { return m_selection; }
    void setSelection(std::vector<core::Id> ids);
    void copySelection();
    void paste();
    bool labelsShown() const { return m_showLabels; }
    AttributeEditor *attributeEditor() const { return m_attrs; }
    DatasetFilter *datasetFilter() const { return m_filter; }
    QListView *imageList() const { return m_list; }
    int drawnRegionCount() const;
    RegionLayer *regionLayer() const { return m_layer; } // regions on the canvas (the layer and the selected ones)
    core::Id regionAt(QPointF p, double tolerance) const;
    QLabel *storeErrorBanner() const { return m_storeError; }
    void reloadImages();               // after images or annotations came in from elsewhere
    void addImageFolder(const QString &dir);
    void showTransfer(bool import, const QString &path); // the import or export dialog, prefilled with `path`
    void showShortcuts();
    void showProblem(const QString &imagePath, int region); // jump from the validation report
    // Images beyond 8k pixels: the part of the image at full resolution over the
    // downscaled overview (image pixels), or an empty rect while none is shown.
    QRect detailRect() const;

Q_SIGNALS:
    void imageShown(int row); // after the image and its regions are on the canvas
    void detailShown(const QRect &rect); // a full-resolution part of a big image is on the canvas

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void openProjectOrSay(const QString &path);
    void setImages(std::vector<core::ImageInfo> images); // fills the dataset panel
    bool readImages();                                  // setImages() from the store; false: the banner says why
    void storeReadFailed(const core::Error &e);         // the banner, for a read that failed
    void selectRow(int row);                              // row of m_images: current in the list (when shown) and on the canvas
    void newProject();
    void onImageDecoded();
    void selectionShown(); // tells the attribute editor which region is selected
    void redrawRegions();
    void refreshClasses();
    core::Id currentClass() const;
    bool canvasMouse(QEvent *event);
    bool canvasKey(QKeyEvent *event);
    void updateDraft(const QPointF &cursor);
    void commitPolygon();
    void commitDraft(bool closed);
    void cancelDraft();
    void addShape(const core::Shape &shape);
    bool isSelected(core::Id id) const;
    void updateDetail();
    void onDetailDecoded();

    std::shared_ptr<core::ProjectStore> m_store;
    std::unique_ptr<annotation::Document> m_doc;
    Tool m_tool = Tool::Select;
    QActionGroup *m_tools = nullptr;
    QComboBox *m_classBox = nullptr;
    std::vector<QPointF> m_draft;          // vertices of the shape being drawn (image pixels), outside the model
    QPointF m_dragStart;
    bool m_dragging = false;
    int m_dragId = 0;
    std::vector<core::Id> m_selection;    // selected regions of this image; vertex editing needs exactly one
    std::vector<core::Region> m_clipboard; // copied regions (shapes, classes, attributes), pasted onto any image
    bool m_selectAdded = false;           // select the regions of the next Added event (after a paste)
    bool m_showLabels = false, m_fill = true;
    QList<QAction *> m_editActions;
    QList<QAction *> m_projectActions;    // need an open project
    QMenu *m_recentMenu = nullptr;
    QSplitter *m_split = nullptr;
    AttributeEditor *m_attrs = nullptr;
    int m_selectRegionIndex = -1;
    QLabel *m_storeError = nullptr;
    std::vector<core::ClassRecord> m_classes; // as read by refreshClasses(), which every class change calls
    RegionLayer *m_layer = nullptr;       // the unselected regions, one item
    int m_vertex = -1; // vertex being dragged, -1 for none
    std::vector<core::Shape> m_dragOrigin; // shapes of the selection when a move began
    QGraphicsPathItem *m_draftItem = nullptr;
    bool m_panning = false, m_spaceHeld = false, m_fitNext = true;
    QPoint m_panFrom;
    std::vector<core::ImageInfo> m_images;
    QTabWidget *m_tabs = nullptr;
    TrainPanel *m_train = nullptr;
    InspectPanel *m_inspect = nullptr;
    QListView *m_list = nullptr;
    DatasetModel *m_model = nullptr;
    DatasetFilter *m_filter = nullptr;
    QLineEdit *m_search = nullptr;
    QComboBox *m_splitFilter = nullptr, *m_classFilter = nullptr, *m_stateFilter = nullptr;
    QLabel *m_listCount = nullptr;
    int m_shownRow = -1; // row of m_images on the canvas
    QGraphicsScene *m_scene = nullptr;
    QGraphicsView *m_view = nullptr;
    QLabel *m_coords = nullptr;
    QMenu *m_undoMenu = nullptr;
    QFutureWatcher<QImage> m_decode;
    int m_pendingRow = -1;
    // Big images: when the zoom asks for more pixels than the overview has, the
    // part in view (with a margin) is decoded at full resolution off the GUI thread
    // and laid over the overview; it is decoded again once the view leaves it.
    struct Detail {
        QImage image;
        QRect rect;
        quint64 generation = 0;
    };
    QString m_detailPath;           // the big image on the canvas; empty for an ordinary one
    QSize m_fullSize;
    double m_overviewScale = 1;     // overview pixels per image pixel
    QTimer *m_detailTimer = nullptr;
    QFutureWatcher<Detail> m_detailDecode;
    QGraphicsPixmapItem *m_detailItem = nullptr;
    QRect m_detailRect, m_detailWanted; // shown, and being decoded
    quint64 m_detailGeneration = 0;     // bumped per image: late results of an earlier image are dropped
};

} // namespace ui
