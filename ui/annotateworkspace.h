#pragma once
// The Annotate workspace: the dataset panel (a dock on the left), the canvas with
// the editing tools (annotation/), the attribute editor (a dock on the right) and a
// banner for edits the project could not take. It owns the Document of the open
// project and the tools; the main window only hands it the project and routes the
// menus to it.
//
// Reads of the store happen off the GUI thread (on a connection of their own),
// except the first image list when a project opens (the open itself) and the
// Document's own reads of one image's regions.
#include "annotation/canvas.h"
#include "annotation/document.h"
#include "core/project_store.h"

#include <QMainWindow>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QListView;
class QActionGroup;

namespace core {
class PyramidCache;
}

namespace annotation {
class AbstractTool;
}

namespace ui {

class AttributeEditor;
class DatasetFilter;
class DatasetPanel;

class AnnotateWorkspace : public QMainWindow {
    Q_OBJECT
public:
    enum class Tool { Select, Vertex, Rectangle, Polygon, Polyline, Point, Circle, Ellipse, Smart };

    explicit AnnotateWorkspace(QWidget *parent = nullptr);
    ~AnnotateWorkspace() override;

    // Shows the project of `store` (the first image once decoded: imageShown(0)).
    void setProject(std::shared_ptr<core::ProjectStore> store);
    core::ProjectStore *store() const { return m_store.get(); }
    annotation::Document *document() const { return m_doc.get(); }
    annotation::Canvas *canvas() const { return m_canvas; }
    std::shared_ptr<core::PyramidCache> pyramidCache() const { return m_pyramids; }

    void setTool(Tool tool);
    annotation::AbstractTool *tool(Tool tool) const;
    QActionGroup *toolActions() const { return m_toolActions; }

    int imageCount() const;
    const std::vector<core::ImageInfo> &images() const;
    // Puts image `row` on the canvas; imageShown(row) once it is there.
    void showImage(int row);
    // Makes `row` current in the list (when the filters show it) and shows it.
    void selectRow(int row);
    int shownRow() const { return m_shownRow; }
    QString currentImagePath() const; // absolute path of the image on the canvas (or coming), empty when none
    const std::vector<core::Id> &selection() const;
    void setSelection(std::vector<core::Id> ids);
    const std::vector<core::ClassRecord> &classes() const { return m_classes; }
    core::Id currentClass() const; // of new regions
    // Reads the image list and the classes again, off the GUI thread (after imports,
    // splits, class edits); listsReloaded() when they are shown. With the regions, the
    // document reads those of the image on the canvas again (an import may have added some).
    enum class Reload { ListsOnly, ListsAndRegions };
    void reloadImages(Reload what = Reload::ListsAndRegions);
    // From the validation report: shows the image and selects its region number `region` (0-based).
    void showProblem(const QString &imagePath, int region);
    void setProblemImages(const QStringList &relPaths);

    AttributeEditor *attributeEditor() const { return m_attrs; }
    DatasetPanel *datasetPanel() const { return m_panel; }
    DatasetFilter *datasetFilter() const;
    QListView *imageList() const;
    QLabel *storeErrorBanner() const { return m_storeError; }
    QComboBox *classBox() const { return m_classBox; }
    int drawnRegionCount() const { return m_canvas->drawnRegionCount(); }

Q_SIGNALS:
    void imageShown(int row);  // after the image and its regions are on the canvas
    void listsReloaded();      // after reloadImages(): the list and the classes are the store's
    void message(const QString &text, int timeoutMs);

protected:
    // Keys the canvas leaves: D / PgDn and A / PgUp walk the filtered list, 1-9 pick a class.
    void keyPressEvent(QKeyEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createTools();
    void onImageReady(bool ok);
    void onDocumentChanged(const annotation::ChangeEvent &event);
    void applyLists(std::vector<core::ImageInfo> images, std::vector<core::ClassRecord> classes);
    void applyClasses(std::vector<core::ClassRecord> classes);
    void storeReadFailed(const core::Error &e); // the banner, for a read that failed
    void pickClass(int index, bool applyToSelection);

    std::shared_ptr<core::ProjectStore> m_store;
    std::unique_ptr<annotation::Document> m_doc;
    std::shared_ptr<core::PyramidCache> m_pyramids;
    annotation::Canvas *m_canvas;
    DatasetPanel *m_panel;
    AttributeEditor *m_attrs;
    QLabel *m_storeError;
    QComboBox *m_classBox;
    QActionGroup *m_toolActions;
    std::vector<annotation::AbstractTool *> m_tools; // by Tool, children of this
    std::vector<core::ImageInfo> m_images;
    std::vector<core::ClassRecord> m_classes;
    int m_shownRow = -1, m_pendingRow = -1;
    int m_selectRegionIndex = -1; // select this region of the next image shown (validation report)
    bool m_fitNext = true;        // the first image of a project is fitted; the next ones keep the zoom
    quint64 m_listGeneration = 0; // a reload that lands after a newer one (or another project) is dropped
};

} // namespace ui
