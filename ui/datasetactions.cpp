#include "ui/datasetactions.h"

#include "ui/annotateworkspace.h"
#include "ui/classmanager.h"
#include "ui/datasetdialogs.h"
#include "ui/mainwindow.h"

#include <QMenu>
#include <QTabWidget>
#include <QTableWidget>

namespace ui {

DatasetActions::DatasetActions(MainWindow *window, QMenu *menu) : QObject(window), m_window(window)
{
    auto project = [this] { return QString::fromStdString(m_window->annotate()->store()->path()); };
    m_projectActions << menu->addAction(tr("&Classes…"), QKeySequence(QStringLiteral("Ctrl+K")), this, [this] {
        auto *d = new ClassManagerDialog(m_window->annotate()->document(), m_window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->show();
    });
    m_projectActions << menu->addAction(tr("&Split…"), this, [this, project] {
        auto *d = new SplitDialog(project(), m_window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &SplitDialog::applied, this, [this](bool ok) {
            if (ok) m_window->annotate()->reloadImages(AnnotateWorkspace::Reload::ListsOnly);
        });
        d->show();
    });
    m_projectActions << menu->addAction(tr("S&tatistics…"), this, [this, project] {
        auto *d = new StatsDialog(project(), m_window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->show();
    });
    m_projectActions << menu->addAction(tr("&Validate…"), QKeySequence(QStringLiteral("Ctrl+Shift+V")), this, [this, project] {
        auto *d = new ValidationDialog(project(), m_window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &ValidationDialog::jumpTo, this, [this](const QString &imagePath, int region) {
            m_window->workspaces()->setCurrentWidget(m_window->annotate());
            m_window->annotate()->showProblem(imagePath, region);
        });
        connect(d, &ValidationDialog::finished, this, [this, d] { // "With problems" in the list filter
            QStringList paths;
            for (int r = 0; r < d->table()->rowCount(); ++r) paths << d->table()->item(r, 2)->text();
            m_window->annotate()->setProblemImages(paths);
        });
        d->show();
    });
}

} // namespace ui
