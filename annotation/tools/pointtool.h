#pragma once
// Point: a click places one (T).
#include "annotation/tools/creationtool.h"

namespace annotation {

class PointTool : public CreationTool {
    Q_OBJECT
public:
    explicit PointTool(QObject *parent = nullptr);
    void mousePressed(const ToolEvent &event) override;
};

} // namespace annotation
