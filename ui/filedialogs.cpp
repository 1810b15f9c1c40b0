#include "ui/filedialogs.h"

#include <QFileIconProvider>
#include <QStringList>

namespace ui {

namespace {

// Icons and type names from the name alone: never the MIME database, which reads
// the content of files with unknown suffixes.
class NameOnlyIconProvider : public QFileIconProvider {
public:
    QIcon icon(IconType type) const override { return QFileIconProvider::icon(type); }
    QIcon icon(const QFileInfo &info) const override
    {
        if (info.isRoot()) return QFileIconProvider::icon(Drive);
        return QFileIconProvider::icon(info.isDir() ? Folder : File);
    }
    QString type(const QFileInfo &info) const override
    {
        if (info.isDir()) return QFileDialog::tr("Folder");
        const QString suffix = info.suffix();
        return suffix.isEmpty() ? QFileDialog::tr("File") : QFileDialog::tr("%1 File").arg(suffix.toUpper());
    }
};

QFileIconProvider *iconProvider()
{
    static NameOnlyIconProvider provider; // shared by every dialog, lives as long as the program
    return &provider;
}

QString exec(QFileDialog *d)
{
    const bool accepted = d->exec() == QDialog::Accepted;
    const QStringList files = d->selectedFiles();
    delete d;
    return accepted && !files.isEmpty() ? files.first() : QString();
}

} // namespace

QFileDialog *createFileDialog(QWidget *parent, QFileDialog::FileMode mode, const QString &caption, const QString &dir,
                              const QString &filter)
{
    auto *d = new QFileDialog(parent, caption, dir, filter);
    d->setOption(QFileDialog::DontUseNativeDialog, true);
    d->setIconProvider(iconProvider());
    d->setFileMode(mode);
    if (mode == QFileDialog::Directory) d->setOption(QFileDialog::ShowDirsOnly, true);
    return d;
}

QString openFileName(QWidget *parent, const QString &caption, const QString &filter)
{
    return exec(createFileDialog(parent, QFileDialog::ExistingFile, caption, {}, filter));
}

QString saveFileName(QWidget *parent, const QString &caption, const QString &filter)
{
    QFileDialog *d = createFileDialog(parent, QFileDialog::AnyFile, caption, {}, filter);
    d->setAcceptMode(QFileDialog::AcceptSave);
    return exec(d);
}

QString existingDirectory(QWidget *parent, const QString &caption)
{
    return exec(createFileDialog(parent, QFileDialog::Directory, caption));
}

} // namespace ui
