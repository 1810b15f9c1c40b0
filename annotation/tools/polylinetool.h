#pragma once
// Polyline: click the vertices; Enter or a double-click ends the line (L).
#include "annotation/tools/pathtool.h"

namespace annotation {

class PolylineTool : public PathTool {
    Q_OBJECT
public:
    explicit PolylineTool(QObject *parent = nullptr);
    void mouseDoubleClicked(const ToolEvent &event) override;

protected:
    bool closed() const override { return false; }
};

} // namespace annotation
