#pragma once
// Smart region (S): drag a box around an object, or click inside one, and OpenCV's
// grabCut segments it on a worker thread (core/smart_segment.h: it notices when
// grabCut fails and recovers); the outline, simplified to 1.5 screen pixels
// (Douglas-Peucker), is added as one polygon (one undo step) and selected, for the
// handles or the vertex tool to correct. Esc while it works abandons it.
//
// The pixels come from the canvas's picture (for a huge image, from its pyramid at
// the level the object needs), read on the worker, never on the GUI thread.
#include "annotation/tools/creationtool.h"

#include <QFutureWatcher>

#include "core/smart_segment.h"

namespace annotation {

class SmartRegionTool : public CreationTool {
    Q_OBJECT
public:
    explicit SmartRegionTool(QObject *parent = nullptr);
    ~SmartRegionTool() override;

    void mousePressed(const ToolEvent &event) override;
    void mouseMoved(const ToolEvent &event) override;
    void mouseReleased(const ToolEvent &event) override;
    bool keyPressed(QKeyEvent *event) override;
    bool isBusy() const override { return m_dragging || (m_watcher.isRunning() && m_running == m_generation); }
    void reset() override;
    bool showsHandles() const override { return true; } // the region just added is corrected with them
    // The last segmentation's outcome, for tests and the status bar: which candidate, whether grabCut's own was refused.
    const core::SmartResult &lastResult() const { return m_last; }

Q_SIGNALS:
    void finished(bool ok); // a segmentation ended (the region is added when ok)

private:
    struct Job {
        core::Result<core::SmartResult> result = core::makeError(core::ErrorCode::Cancelled, {}, {}, "not run");
        quint64 generation = 0;
    };
    void start(const QRectF &box, bool atPoint, QPointF point, double zoom);
    void onFinished();

    QPointF m_start;
    bool m_dragging = false;
    quint64 m_generation = 0; // a result for an earlier image or an abandoned job is dropped
    quint64 m_running = 0;    // the generation of the job on the worker
    QFutureWatcher<Job> m_watcher;
    core::SmartResult m_last;
};

} // namespace annotation
