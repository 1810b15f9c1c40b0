#pragma once
// The project's training runs, read through a connection of their own on a worker
// thread (the Train and Inspect workspaces list them).
#include "core/project_store.h"

#include <QFuture>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

inline QFuture<std::vector<core::RunRecord>> loadRuns(const QString &projectPath)
{
    return QtConcurrent::run([project = projectPath.toStdString()] {
        auto store = core::ProjectStore::open(project);
        return store ? store->runs() : std::vector<core::RunRecord>{};
    });
}

} // namespace ui
