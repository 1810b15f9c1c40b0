#pragma once
// Polygon: click the vertices; click the first vertex again or press Enter to close (P).
#include "annotation/tools/pathtool.h"

namespace annotation {

class PolygonTool : public PathTool {
    Q_OBJECT
public:
    explicit PolygonTool(QObject *parent = nullptr);

protected:
    bool closed() const override { return true; }
    bool finishesAt(const ToolEvent &event) const override;
};

} // namespace annotation
