#pragma once
// Base of the tools that draw a new region. The shape in progress lives in the
// tool and on the canvas's draft layer, never in the model: closing the program
// mid-shape loses only that shape. commit() adds the finished shape, with the
// class of new regions, as one AddRegions command.
#include "annotation/tools/abstracttool.h"

#include "core/shape.h"

#include <QPainterPath>

namespace annotation {

class CreationTool : public AbstractTool {
    Q_OBJECT
public:
    using AbstractTool::AbstractTool;
    void reset() override;

protected:
    void commit(const core::Shape &shape);
    void showDraft(const QPainterPath &path);
    void clearDraft();
};

} // namespace annotation
