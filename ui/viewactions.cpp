#include "ui/viewactions.h"

#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"

#include <QMenu>

namespace ui {

ViewActions::ViewActions(AnnotateWorkspace *annotate, QMenu *menu) : QObject(annotate)
{
    annotation::Canvas *canvas = annotate->canvas();
    menu->addAction(tr("&Fit to Window"), QKeySequence(QStringLiteral("F")), canvas, &annotation::Canvas::fitToWindow);
    menu->addAction(tr("&Actual Size (100 %)"), QKeySequence(QStringLiteral("Ctrl+0")), canvas, &annotation::Canvas::zoomToActualSize);
    menu->addAction(tr("Zoom &In"), QKeySequence::ZoomIn, canvas, [canvas] { canvas->zoomBy(1.25); });
    menu->addAction(tr("Zoom &Out"), QKeySequence::ZoomOut, canvas, [canvas] { canvas->zoomBy(0.8); });
    menu->addSeparator();
    QAction *labels = menu->addAction(tr("Show &Labels"), QKeySequence(QStringLiteral("Ctrl+L")), canvas, &annotation::Canvas::setShowLabels);
    labels->setCheckable(true);
    QAction *fill = menu->addAction(tr("&Fill Regions"), QKeySequence(QStringLiteral("Shift+F")), canvas, &annotation::Canvas::setFillRegions);
    fill->setCheckable(true);
    fill->setChecked(true);
}

} // namespace ui
