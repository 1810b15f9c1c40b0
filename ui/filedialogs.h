#pragma once
// Every file dialog of the program, built so that it never opens the files it lists.
//
// Qt's file dialog asks the MIME database for each file's icon and type, and for a
// name it does not know (*.atproj) the database reads the file's first bytes. That
// open and close of the project file would cancel the POSIX locks SQLite holds on it
// (SQLite's "How To Corrupt An SQLite Database File", 2.2). The store's VFS does not
// depend on POSIX locks (core/sqlite_vfs.h); these dialogs make sure nothing reads
// the project file behind SQLite's back in the first place: Qt's own dialog (a
// platform dialog may sniff files itself) with an icon provider that goes by name.
#include <QFileDialog>
#include <QString>

class QWidget;

namespace ui {

// A dialog in `mode` (QFileDialog::ExistingFile, AnyFile, Directory), not yet shown.
// The caller owns it.
QFileDialog *createFileDialog(QWidget *parent, QFileDialog::FileMode mode, const QString &caption,
                              const QString &dir = {}, const QString &filter = {});

// Modal helpers in the style of QFileDialog's static functions; empty when cancelled.
QString openFileName(QWidget *parent, const QString &caption, const QString &filter = {});
QString saveFileName(QWidget *parent, const QString &caption, const QString &filter = {});
QString existingDirectory(QWidget *parent, const QString &caption);

} // namespace ui
