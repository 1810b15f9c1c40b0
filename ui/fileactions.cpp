#include "ui/fileactions.h"

#include "core/project_store.h"
#include "ui/annotateworkspace.h"
#include "ui/filedialogs.h"
#include "ui/mainwindow.h"
#include "ui/transferdialog.h"

#include <QApplication>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

FileActions::FileActions(MainWindow *window, QMenu *menu) : QObject(window), m_window(window)
{
    menu->addAction(tr("&New Project…"), QKeySequence::New, this, &FileActions::newProject);
    menu->addAction(tr("&Open Project…"), QKeySequence::Open, this, [this] {
        const QString p = openFileName(m_window, tr("Open Project"), tr("Annotrain projects (*.atproj)"));
        if (!p.isEmpty()) m_window->openProjectOrSay(p);
    });
    m_recent = menu->addMenu(tr("Open &Recent"));
    connect(m_recent, &QMenu::aboutToShow, this, [this] {
        m_recent->clear();
        const QStringList recent = QSettings().value(QStringLiteral("recentProjects")).toStringList();
        for (const QString &p : recent) m_recent->addAction(p, this, [this, p] { m_window->openProjectOrSay(p); });
        if (recent.isEmpty()) m_recent->addAction(tr("(none yet)"))->setEnabled(false);
    });
    menu->addSeparator();
    m_projectActions << menu->addAction(tr("Add Image &Folder…"), this, [this] {
        const QString dir = existingDirectory(m_window, tr("Add Images"));
        if (!dir.isEmpty()) addImageFolder(dir);
    });
    m_projectActions << menu->addAction(tr("&Import Annotations…"), QKeySequence(QStringLiteral("Ctrl+I")), this, [this] { showTransfer(true, {}); });
    m_projectActions << menu->addAction(tr("&Export Annotations…"), QKeySequence(QStringLiteral("Ctrl+E")), this, [this] { showTransfer(false, {}); });
    menu->addSeparator();
    menu->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
}

void FileActions::newProject()
{
    const QString path = saveFileName(m_window, tr("New Project"), tr("Annotrain projects (*.atproj)"));
    if (path.isEmpty()) return;
    const QString file = path.endsWith(QStringLiteral(".atproj")) ? path : path + QStringLiteral(".atproj");
    auto store = core::ProjectStore::create(file.toStdString());
    if (!store) {
        QMessageBox::warning(m_window, tr("New Project"), QString::fromStdString(store.error().toString()));
        return;
    }
    m_window->openProjectOrSay(file);
}

void FileActions::addImageFolder(const QString &dir)
{
    core::ProjectStore *store = m_window->annotate()->store();
    if (!store) return;
    const std::string project = store->path(), folder = dir.toStdString();
    m_window->statusBar()->showMessage(tr("Adding the images below %1…").arg(dir));
    QtConcurrent::run([project, folder] {
        auto other = core::ProjectStore::open(project); // this thread's own connection
        if (!other) return QString::fromStdString(other.error().toString());
        auto n = other->addImagesFromDir(folder);
        return n ? QString() : QString::fromStdString(n.error().toString());
    }).then(this, [this, dir](const QString &error) {
        if (!error.isEmpty()) {
            QMessageBox::warning(m_window, tr("Add Images"), error);
            return;
        }
        AnnotateWorkspace *annotate = m_window->annotate();
        connect(annotate, &AnnotateWorkspace::listsReloaded, this, [this, annotate, dir] {
            m_window->statusBar()->showMessage(tr("Added the images below %1; %2 images in the project").arg(dir).arg(annotate->imageCount()), 5000);
        }, Qt::SingleShotConnection);
        annotate->reloadImages();
    });
}

void FileActions::showTransfer(bool import, const QString &path)
{
    core::ProjectStore *store = m_window->annotate()->store();
    if (!store) return;
    auto *d = new TransferDialog(import ? TransferDialog::Mode::Import : TransferDialog::Mode::Export, QString::fromStdString(store->path()), m_window);
    d->setAttribute(Qt::WA_DeleteOnClose);
    if (!path.isEmpty()) d->setSource(path);
    connect(d, &TransferDialog::projectChanged, m_window->annotate(), [this] { m_window->annotate()->reloadImages(); });
    d->show();
}

} // namespace ui
