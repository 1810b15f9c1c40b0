#include "annotation/tools/creationtool.h"

#include "annotation/canvas.h"

namespace annotation {

void CreationTool::reset() { clearDraft(); }

void CreationTool::commit(const core::Shape &shape)
{
    if (canvas()) canvas()->addRegion(shape);
}

void CreationTool::showDraft(const QPainterPath &path)
{
    if (canvas()) canvas()->setDraft(path);
}

void CreationTool::clearDraft()
{
    if (canvas()) canvas()->clearDraft();
}

} // namespace annotation
