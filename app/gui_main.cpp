// annotrain: the GUI. `annotrain PROJECT` opens a project; `annotrain --sample`
// opens the built-in sample (created on first use in the user's data folder).
#include "core/sample_project.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QMessageBox>
#include <QStandardPaths>

#include <csignal>
#include <iostream>

int main(int argc, char **argv)
{
    std::signal(SIGXFSZ, SIG_IGN); // a write past a file-size limit fails with EFBIG: the banner says so
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Annotrain Studio"));
    QApplication::setOrganizationName(QStringLiteral("Annotrain"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Label images, train models, inspect predictions."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("sample"), QStringLiteral("Open the built-in sample project.")});
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("Project file (*.atproj) to open."));
    parser.process(app);

    QString project = parser.positionalArguments().value(0);
    if (parser.isSet(QStringLiteral("sample"))) {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/sample");
        project = dir + QStringLiteral("/sample.atproj");
        if (!QFileInfo::exists(project)) {
            QDir().mkpath(dir);
            auto made = core::createSampleProject(dir.toStdString());
            if (!made) {
                std::cerr << "error: " << made.error().toString() << "\n";
                return 1;
            }
        }
    }
    ui::MainWindow w;
    if (!project.isEmpty()) {
        if (auto s = w.openProject(project); !s) {
            std::cerr << "error: " << s.error().toString() << "\n";
            return 2;
        }
    }
    w.show();
    return app.exec();
}
