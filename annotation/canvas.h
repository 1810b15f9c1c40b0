#pragma once
// The canvas: the editor widget of one image. It owns the view (zoom around the
// cursor with the wheel, pan with the middle button or Space + drag, fit and 100 %,
// the cursor's image coordinates), the stack of layers and what the editor keeps
// beside the document: the selection and the clipboard. Mouse events go to the
// scene's items first (handles), then to the tool in use (see CanvasScene); keys go
// to the tool, then to the canvas (Esc clears the selection, Delete removes it);
// any other key is ignored and so travels on to the parent widget (the workspace
// uses D/A and 1-9).
//
// Layers, bottom to top (z):
//   -1  ImageLayer       the picture, whole or from its tile pyramid
//    1  RegionLayer      every region not selected, rendered off the GUI thread
//    2  SelectionLayer   the selected regions and their handles
//    5  labels           class names, at a fixed screen size (View › Show Labels)
//    6  OverlayLayer     what another workspace puts on top (Inspect's predictions)
//   10  draft            the shape the tool is drawing
//
// Scene coordinates are image pixels (core/shape.h: pixel corners, x right, y down).
// The canvas reads nothing from the store itself: the document holds the regions
// and the class styles are given to it.
#include "annotation/document.h"
#include "annotation/clipboard.h"

#include <QColor>
#include <QGraphicsView>

#include <memory>
#include <unordered_map>

class QGraphicsPathItem;
class QGraphicsSimpleTextItem;

namespace core {
class PyramidCache;
}

namespace annotation {

class AbstractTool;
class CanvasScene;
class ImageLayer;
class OverlayLayer;
class RegionLayer;
class Selection;
class SelectionLayer;

class Canvas : public QGraphicsView {
    Q_OBJECT
public:
    struct ClassStyle {
        QColor color;
        QString name;
    };

    explicit Canvas(QWidget *parent = nullptr);
    ~Canvas() override;

    // --- the document, and the editor state beside it
    void setDocument(Document *doc); // may be null: a canvas that only shows (Inspect)
    Document *document() const { return m_doc; }
    Selection *selection() const { return m_selection; }
    Clipboard &clipboard() { return m_clipboard; }
    // The tool the mouse and keys go to (not owned); null for none.
    void setTool(AbstractTool *tool);
    AbstractTool *tool() const { return m_tool; }
    void setNewRegionClass(core::Id id) { m_newClass = id; }
    core::Id newRegionClass() const { return m_newClass; }
    void setClassStyles(std::unordered_map<core::Id, ClassStyle> styles);
    void setShowLabels(bool on);
    bool labelsShown() const { return m_showLabels; }
    void setFillRegions(bool on);
    bool regionsFilled() const { return m_fill; }

    // --- the picture
    void setPyramidCache(std::shared_ptr<core::PyramidCache> cache);
    // Decodes `path` (or opens its pyramid) off the GUI thread; imageReady() when it is on the canvas.
    void showImage(const QString &path);
    QSize imageSize() const;
    ImageLayer *imageLayer() const { return m_image; }
    RegionLayer *regionLayer() const { return m_regions; }
    SelectionLayer *selectionLayer() const { return m_selected; }
    OverlayLayer *overlay() const { return m_overlay; }

    // --- the view
    void fitToWindow();
    void zoomToActualSize();
    void zoomBy(double factor); // around the middle of the view
    double zoom() const;        // screen pixels per image pixel
    double tolerance() const;   // 6 screen pixels in image pixels: what a click may miss by

    // --- for the tools
    void setDraft(const QPainterPath &path); // image pixels; shown over everything
    void clearDraft();
    const QGraphicsPathItem *draftItem() const { return m_draft; }
    // Shows `shapes` for the selected `ids` while a drag is under way (stores nothing).
    void previewShapes(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes);
    core::Id regionAt(QPointF p, double tolerance) const; // topmost: selected ones first
    int drawnRegionCount() const;
    // One AddRegions command: `shape` with the class of new regions; selected after when `select`.
    void addRegion(const core::Shape &shape, bool select = false);

    // --- edits of the selection, each one command (none when nothing is selected)
    void selectAll();
    void deleteSelection();
    int copySelection(); // how many were copied
    void paste();        // onto this image; selects what it added

Q_SIGNALS:
    void imageReady(bool ok);                       // after showImage(): the picture (or why not) is on the canvas
    void cursorMoved(const QPointF &imagePos);
    void message(const QString &text, int timeoutMs); // for a status bar
    void toolStatusChanged(const QString &text);

protected:
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void keyReleaseEvent(QKeyEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;

private:
    void onDocumentChanged(const ChangeEvent &event);
    void onImageLoaded(bool ok);
    void refreshRegions();
    QColor colorOf(core::Id classId) const;

    CanvasScene *m_scene;
    ImageLayer *m_image;
    RegionLayer *m_regions;
    SelectionLayer *m_selected;
    QGraphicsItem *m_labels;          // parent of the label items
    OverlayLayer *m_overlay;
    QGraphicsPathItem *m_draft;
    QGraphicsSimpleTextItem *m_note;  // why there is no picture, or the pyramid being built
    Document *m_doc = nullptr;
    Selection *m_selection;
    Clipboard m_clipboard;
    AbstractTool *m_tool = nullptr;
    core::Id m_newClass = 0;
    std::unordered_map<core::Id, ClassStyle> m_styles;
    bool m_showLabels = false, m_fill = true;
    bool m_selectAdded = false; // the next Added event (a paste) becomes the selection
    bool m_panning = false, m_spaceHeld = false;
    QPoint m_panFrom;
};

} // namespace annotation
