#pragma once
// The project's training runs, read through a connection of their own on a worker
// thread (the Train and Inspect workspaces list them).
#include "core/project_store.h"

#include <QFuture>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

inline QFuture<core::Result<std::vector<core::RunRecord>>> loadRuns(const QString &projectPath)
{
    return QtConcurrent::run([project = projectPath.toStdString()]() -> core::Result<std::vector<core::RunRecord>> {
        auto store = core::ProjectStore::open(project);
        if (!store) return store.error();
        return store->runs();
    });
}

} // namespace ui
