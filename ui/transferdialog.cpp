#include "ui/transferdialog.h"
#include "ui/filedialogs.h"

#include "core/transfer.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimerEvent>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

TransferDialog::TransferDialog(Mode mode, const QString &projectPath, QWidget *parent)
    : QDialog(parent), m_mode(mode), m_project(projectPath), m_cancel(std::make_shared<std::atomic<bool>>(false)),
      m_permille(std::make_shared<std::atomic<int>>(0))
{
    const bool import = mode == Mode::Import;
    setWindowTitle(import ? tr("Import Annotations") : tr("Export Annotations"));
    m_path = new QLineEdit;
    m_path->setPlaceholderText(import ? tr("annotation file or folder") : tr("file or folder to write"));
    auto *browseButton = new QPushButton(tr("Browse…"));
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browseButton);
    m_format = new QComboBox;
    if (import) m_format->addItem(tr("detect from the file"), QString());
    for (const core::Format *f : import ? core::FormatRegistry::instance().readers() : core::FormatRegistry::instance().writers())
        m_format->addItem(QStringLiteral("%1 — %2").arg(QString::fromStdString(f->name()), QString::fromStdString(f->description())),
                          QString::fromStdString(f->name()));
    auto *form = new QFormLayout;
    form->addRow(import ? tr("From") : tr("To"), pathRow);
    form->addRow(tr("Format"), m_format);
    if (import) {
        m_images = new QLineEdit;
        m_images->setPlaceholderText(tr("the annotation file's folder"));
        m_images->setToolTip(tr("Folder the annotation file's image names are relative to"));
        form->addRow(tr("Images"), m_images);
        m_defaultClass = new QLineEdit;
        m_defaultClass->setPlaceholderText(tr("none: regions without a class stay unclassed"));
        form->addRow(tr("Default class"), m_defaultClass);
        m_replace = new QCheckBox(tr("Replace the regions of images already in the project"));
        m_replace->setToolTip(tr("Unchecked: the imported regions are added to those already there"));
        form->addRow(QString(), m_replace);
    } else {
        m_split = new QComboBox;
        m_split->addItem(tr("all images"), QString());
        for (const char *s : {"train", "val", "test", "unassigned"}) m_split->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
        form->addRow(tr("Split"), m_split);
    }
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_result = new QLabel;
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_buttons = new QDialogButtonBox;
    m_startButton = m_buttons->addButton(import ? tr("Import") : tr("Export"), QDialogButtonBox::AcceptRole);
    m_cancelButton = m_buttons->addButton(QDialogButtonBox::Cancel);
    m_cancelButton->setToolTip(tr("Stop; an import that is stopped changes nothing"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_result);
    layout->addWidget(m_buttons);
    connect(browseButton, &QPushButton::clicked, this, &TransferDialog::browse);
    connect(m_startButton, &QPushButton::clicked, this, &TransferDialog::start);
    connect(m_cancelButton, &QPushButton::clicked, this, &TransferDialog::reject);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &TransferDialog::onDone);
    resize(560, sizeHint().height());
}

TransferDialog::~TransferDialog()
{
    *m_cancel = true;
    m_watcher.waitForFinished();
}

void TransferDialog::setSource(const QString &path)
{
    m_path->setText(path);
    if (m_mode == Mode::Import && m_images && m_images->text().isEmpty())
        m_images->setPlaceholderText(QString::fromStdString(core::defaultImagesDir(path.toStdString())));
}

void TransferDialog::setFormat(const QString &name)
{
    const int i = m_format->findData(name);
    if (i >= 0) m_format->setCurrentIndex(i);
}

void TransferDialog::setSplit(const QString &split)
{
    if (!m_split) return;
    const int i = m_split->findData(split);
    if (i >= 0) m_split->setCurrentIndex(i);
}

QString TransferDialog::resultText() const { return m_result->text(); }

void TransferDialog::browse()
{
    const core::Format *f = core::FormatRegistry::instance().find(m_format->currentData().toString().toStdString());
    const QString filter = f ? QStringLiteral("%1 (%2);;").arg(QString::fromStdString(f->description()), QString::fromStdString(f->fileFilter())) : QString();
    const QString path = m_mode == Mode::Import ? openFileName(this, windowTitle(), filter + tr("All files (*)"))
                                                : saveFileName(this, windowTitle(), filter + tr("All files (*)"));
    if (!path.isEmpty()) setSource(path);
}

void TransferDialog::setRunning(bool running)
{
    m_running = running;
    m_startButton->setEnabled(!running);
    m_cancelButton->setText(running ? tr("Stop") : tr("Close"));
    if (running && !m_timer) m_timer = startTimer(100);
    if (!running && m_timer) {
        killTimer(m_timer);
        m_timer = 0;
    }
}

void TransferDialog::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_timer) m_progress->setValue(m_permille->load());
}

void TransferDialog::start()
{
    if (m_running) return;
    const std::string path = m_path->text().trimmed().toStdString();
    if (path.empty()) {
        m_result->setText(tr("Choose a file first."));
        return;
    }
    const std::string project = m_project.toStdString();
    std::string formatName = m_format->currentData().toString().toStdString();
    const core::Format *format = nullptr;
    if (m_mode == Mode::Import && formatName.empty()) {
        format = core::detectFormat(path);
        if (!format) {
            m_result->setText(tr("%1: cannot tell its format; choose one.").arg(m_path->text()));
            return;
        }
    } else {
        format = core::FormatRegistry::instance().find(formatName);
    }
    *m_cancel = false;
    *m_permille = 0;
    m_progress->setValue(0);
    m_result->setText(m_mode == Mode::Import ? tr("Importing as %1…").arg(QString::fromStdString(format->name())) : tr("Exporting…"));
    auto cancel = m_cancel;
    auto permille = m_permille;
    auto progress = [permille](double p) { *permille = static_cast<int>(p * 1000); };
    if (m_mode == Mode::Import) {
        core::ImportRequest req;
        req.source = path;
        req.images = m_images->text().trimmed().toStdString();
        req.defaultClass = m_defaultClass->text().trimmed().toStdString();
        req.replaceRegions = m_replace->isChecked();
        req.progress = progress;
        m_watcher.setFuture(QtConcurrent::run([project, format, req, cancel]() mutable {
            req.cancel = cancel.get();
            auto store = core::ProjectStore::open(project); // this thread's own connection
            if (!store) return Outcome{false, QString::fromStdString(store.error().toString())};
            auto rep = core::importInto(*store, *format, req);
            if (!rep) return Outcome{false, QString::fromStdString(rep.error().toString())};
            return Outcome{true, QObject::tr("Imported %1 new images (%2 already in the project), %3 regions, %4 new classes.")
                                     .arg(rep->imagesAdded)
                                     .arg(rep->imagesMatched)
                                     .arg(rep->regionsAdded)
                                     .arg(rep->classesAdded)};
        }));
    } else {
        core::ExportRequest req;
        req.out = path;
        const std::string split = m_split->currentData().toString().toStdString();
        core::Split s;
        if (!split.empty() && core::splitFromName(split, &s)) req.split = s;
        req.progress = progress;
        m_watcher.setFuture(QtConcurrent::run([project, format, req, cancel]() mutable {
            req.cancel = cancel.get();
            auto store = core::ProjectStore::open(project);
            if (!store) return Outcome{false, QString::fromStdString(store.error().toString())};
            auto rep = core::exportFrom(*store, *format, req);
            if (!rep) return Outcome{false, QString::fromStdString(rep.error().toString())};
            QString message = QObject::tr("Exported %1 images and %2 regions to %3.")
                                  .arg(rep->images)
                                  .arg(rep->regions)
                                  .arg(QString::fromStdString(req.out));
            for (const std::string &note : rep->notes) message += QLatin1Char('\n') + QString::fromStdString(note) + QLatin1Char('.');
            return Outcome{true, message};
        }));
    }
    setRunning(true);
}

void TransferDialog::onDone()
{
    const Outcome o = m_watcher.result();
    setRunning(false);
    m_progress->setValue(o.ok ? 1000 : m_permille->load());
    m_result->setText(o.ok ? o.message : tr("<b>Nothing was changed.</b> %1").arg(o.message.toHtmlEscaped()));
    if (o.ok && m_mode == Mode::Import) Q_EMIT projectChanged();
    Q_EMIT finished(o.ok, o.message);
}

void TransferDialog::reject()
{
    if (m_running) { // first Stop cancels; the dialog stays to say what happened
        *m_cancel = true;
        m_result->setText(tr("Stopping…"));
        return;
    }
    QDialog::reject();
}

} // namespace ui
