#include "app/cli/cli.h"

#include "app/cli/cmd_coco_eval.h"

#include "core/dataset_ops.h"
#include "core/format.h"
#include "core/project_store.h"
#include "core/sample_project.h"
#include "core/transfer.h"
#ifdef ANNOTRAIN_WITH_TRAINING
#include "app/cli/cmd_predict.h"
#include "app/cli/cmd_train.h"
#endif

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace core;

namespace cli {

namespace {

constexpr int kOk = 0, kProblems = 1, kBadInput = 2;

// DESIGN.md's contract: 2 for bad or unreadable input, 1 for an operation that ran and
// failed (a write error, a lock, a cancel).
int exitCodeFor(const Error &e)
{
    switch (e.code) {
    case ErrorCode::Io:
    case ErrorCode::Busy:
    case ErrorCode::Cancelled:
    case ErrorCode::Internal: return kProblems;
    default: return kBadInput;
    }
}

struct Context {
    std::ostream &out;
    std::ostream &err;
    int fail(const Error &e, int code) const
    {
        err << "error: " << e.toString() << "\n";
        return code;
    }
    int fail(const std::string &msg, int code = kBadInput) const
    {
        err << "error: " << msg << "\n";
        return code;
    }
};

// A progress bar on stderr, only when stdout is a terminal.
std::function<void(double)> progressBar(const Context &ctx, const std::string &label)
{
    if (!::isatty(STDOUT_FILENO) || &ctx.out != &std::cout) return {};
    return [label, last = -1](double f) mutable {
        const int pct = static_cast<int>(f * 100);
        if (pct == last) return;
        last = pct;
        const int filled = pct * 30 / 100;
        std::cerr << "\r" << label << " [" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(30 - filled), ' ') << "] " << std::setw(3) << pct << "%" << (pct >= 100 ? "\n" : "")
                  << std::flush;
    };
}

const Format *findFormat(const Context &ctx, const std::string &name, unsigned cap)
{
    const Format *f = FormatRegistry::instance().find(name);
    if (!f || !(f->capabilities() & cap)) {
        std::string list;
        for (const Format *g : FormatRegistry::instance().all())
            if (g->capabilities() & cap) list += (list.empty() ? "" : ", ") + g->name();
        ctx.fail("unknown " + std::string(cap == CanRead ? "input" : "output") + " format '" + name + "' (one of: " + list + ")");
        return nullptr;
    }
    return f;
}

std::vector<std::string> formatNames(unsigned cap)
{
    std::vector<std::string> v;
    for (const Format *g : FormatRegistry::instance().all())
        if (g->capabilities() & cap) v.push_back(g->name());
    return v;
}

int cmdNew(const Context &ctx, const std::string &project, const std::vector<std::string> &dirs)
{
    for (const auto &d : dirs) {
        std::error_code ec;
        if (!fs::is_directory(d, ec)) return ctx.fail(d + ": not a folder");
    }
    auto store = ProjectStore::create(project);
    if (!store) return ctx.fail(store.error(), kBadInput);
    int total = 0;
    for (const auto &d : dirs) {
        auto n = store->addImagesFromDir(d);
        if (!n) return ctx.fail(n.error(), kProblems);
        total += *n;
    }
    ctx.out << "created " << project << " with " << total << " images\n";
    return kOk;
}

struct ImportArgs {
    std::string project, src, format, images, classAttribute, defaultClass, split;
    bool replace = false;
};

// --split: "" (none given) or one of train, val, test, unassigned.
bool parseSplit(const Context &ctx, const std::string &text, std::optional<Split> *out)
{
    if (text.empty()) return true;
    Split s;
    if (!splitFromName(text, &s)) {
        ctx.fail("--split: '" + text + "' is not train, val, test or unassigned");
        return false;
    }
    *out = s;
    return true;
}

// What a writer changed or left out, one note a line on stderr.
void printNotes(const Context &ctx, const WriteReport &report)
{
    for (const std::string &n : report.notes) ctx.err << "note: " << n << "\n";
}

int cmdImport(const Context &ctx, const ImportArgs &a)
{
    const Format *f = findFormat(ctx, a.format, CanRead);
    if (!f) return kBadInput;
    auto store = ProjectStore::open(a.project);
    if (!store) return ctx.fail(store.error(), kBadInput);
    ImportRequest req;
    req.source = a.src;
    req.images = a.images;
    req.classAttribute = a.classAttribute;
    req.defaultClass = a.defaultClass;
    req.replaceRegions = a.replace;
    if (!parseSplit(ctx, a.split, &req.split)) return kBadInput;
    req.progress = progressBar(ctx, "importing");
    auto rep = importInto(*store, *f, req);
    if (!rep) return ctx.fail(rep.error(), exitCodeFor(rep.error()));
    ctx.out << "imported " << rep->imagesAdded << " new images (" << rep->imagesMatched << " already in the project), "
            << rep->regionsAdded << " regions, " << rep->classesAdded << " new classes\n";
    return kOk;
}

int cmdExport(const Context &ctx, const std::string &project, const std::string &outPath, const std::string &format,
              const std::string &splitText, const std::string &defaultClass)
{
    const Format *f = findFormat(ctx, format, CanWrite);
    if (!f) return kBadInput;
    ExportRequest req;
    if (!parseSplit(ctx, splitText, &req.split)) return kBadInput;
    auto store = ProjectStore::open(project);
    if (!store) return ctx.fail(store.error(), kBadInput);
    req.out = outPath;
    req.defaultClass = defaultClass;
    req.progress = progressBar(ctx, "exporting");
    auto rep = exportFrom(*store, *f, req);
    if (!rep) return ctx.fail(rep.error(), exitCodeFor(rep.error()));
    printNotes(ctx, *rep);
    ctx.out << "exported " << rep->images << " images, " << rep->regions << " regions to " << outPath << "\n";
    return kOk;
}

int cmdConvert(const Context &ctx, const std::string &src, const std::string &outPath, const std::string &from,
               const std::string &to, const std::string &images, const std::string &defaultClass)
{
    const Format *in = findFormat(ctx, from, CanRead);
    if (!in) return kBadInput;
    const Format *out = findFormat(ctx, to, CanWrite);
    if (!out) return kBadInput;
    ReadOptions ro;
    ro.imagesDir = images.empty() ? defaultImagesDir(src) : images;
    auto ds = in->read(src, ro);
    if (!ds) return ctx.fail(ds.error(), kBadInput);
    WriteOptions wo;
    wo.imagesDir = ro.imagesDir;
    wo.defaultClass = defaultClass;
    auto rep = out->write(*ds, outPath, wo);
    if (!rep) return ctx.fail(rep.error(), exitCodeFor(rep.error()));
    printNotes(ctx, *rep);
    ctx.out << "converted " << rep->images << " images, " << rep->regions << " regions\n";
    return kOk;
}

int cmdStats(const Context &ctx, const std::string &project, bool json)
{
    auto store = ProjectStore::open(project);
    if (!store) return ctx.fail(store.error(), kBadInput);
    const auto ds = store->exportDataset();
    if (!ds) return ctx.fail(ds.error(), kBadInput);
    const nlohmann::json s = datasetStats(*ds);
    if (json) {
        ctx.out << s.dump(2) << "\n";
        return kOk;
    }
    ctx.out << "images            " << s["images"] << "\nannotated images  " << s["annotated_images"] << "\nregions           " << s["regions"] << "\n";
    ctx.out << "splits            train " << s["splits"]["train"] << ", val " << s["splits"]["val"] << ", test " << s["splits"]["test"]
            << ", unassigned " << s["splits"]["unassigned"] << "\nclasses\n";
    for (auto it = s["classes"].begin(); it != s["classes"].end(); ++it)
        ctx.out << "  " << std::left << std::setw(24) << it.key() << it.value() << "\n";
    ctx.out << "shapes\n";
    for (auto it = s["shapes"].begin(); it != s["shapes"].end(); ++it)
        ctx.out << "  " << std::left << std::setw(24) << it.key() << it.value() << "\n";
    return kOk;
}

int cmdValidate(const Context &ctx, const std::string &target, bool json, const std::string &format, const std::string &images)
{
    Dataset ds;
    std::vector<std::string> roots;
    std::error_code ec;
    if (fs::path(target).extension() == ".atproj") {
        auto store = ProjectStore::open(target);
        if (!store) return ctx.fail(store.error(), kBadInput);
        auto read = store->exportDataset(std::nullopt, &roots);
        if (!read) return ctx.fail(read.error(), kBadInput);
        ds = std::move(read.value());
    } else {
        const Format *f = nullptr;
        if (!format.empty()) {
            if (!(f = findFormat(ctx, format, CanRead))) return kBadInput;
        } else {
            if (!(f = detectFormat(target))) return ctx.fail(target + ": cannot tell its format; give --format");
        }
        ReadOptions ro;
        ro.imagesDir = images.empty() ? defaultImagesDir(target) : images;
        auto r = f->read(target, ro);
        if (!r) return ctx.fail(r.error(), kBadInput);
        ds = std::move(r.value());
        roots.assign(ds.images.size(), ro.imagesDir);
    }
    const auto problems = validateDataset(ds, roots, progressBar(ctx, "decoding"));
    if (json) {
        ctx.out << problemsToJson(problems).dump(2) << "\n";
    } else {
        for (const auto &p : problems)
            ctx.out << p.severity << ": " << p.image << (p.region >= 0 ? " region " + std::to_string(p.region) : "") << ": " << p.message
                    << " [" << p.kind << "]\n";
        ctx.out << (problems.empty() ? "clean: " : std::to_string(problems.size()) + " problems in ") << ds.images.size() << " images, "
                << ds.regionCount() << " regions\n";
    }
    return problems.empty() ? kOk : kProblems;
}

int cmdSplit(const Context &ctx, const std::string &project, const std::string &ratios, std::uint64_t seed, bool stratify,
             int kfold, int fold)
{
    SplitOptions so;
    if (auto s = parseRatios(ratios, &so); !s) return ctx.fail(s.error(), kBadInput);
    so.seed = seed;
    so.stratify = stratify;
    so.kfold = kfold;
    so.fold = fold;
    if (kfold == 1 || kfold < 0) return ctx.fail("--kfold must be 2 or more");
    auto store = ProjectStore::open(project);
    if (!store) return ctx.fail(store.error(), kBadInput);
    if (auto s = splitProject(*store, so); !s) return ctx.fail(s.error(), kBadInput);
    const auto ds = store->exportDataset();
    if (!ds) return ctx.fail(ds.error(), kProblems);
    const auto st = datasetStats(*ds);
    ctx.out << "train " << st["splits"]["train"] << ", val " << st["splits"]["val"] << ", test " << st["splits"]["test"] << "\n";
    return kOk;
}

} // namespace

int run(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    Context ctx{out, err};
    CLI::App app{"Annotrain Studio command line: projects, formats, datasets", "annotrain-cli"};
    app.require_subcommand(1);
    int rc = kOk;

    std::string project, src, outPath, format, from, to, images, split, ratios = "0.8,0.1,0.1", defaultClass = "object";
    std::vector<std::string> dirs;
    bool json = false, stratify = false;
    std::uint64_t seed = 0;
    int kfold = 0, fold = 0;
    ImportArgs ia;
    const auto readers = formatNames(CanRead), writers = formatNames(CanWrite);

    auto *cNew = app.add_subcommand("new", "Create a project and add the images below each --images folder");
    cNew->add_option("PROJECT", project, "project file to create (*.atproj)")->required();
    cNew->add_option("--images", dirs, "image folder, searched recursively (repeatable)");
    cNew->callback([&] { rc = cmdNew(ctx, project, dirs); });

    auto *cImport = app.add_subcommand("import", "Import annotations into a project (one transaction: all or nothing)");
    cImport->add_option("PROJECT", ia.project, "project file")->required();
    cImport->add_option("SRC", ia.src, "annotation file or folder")->required();
    cImport->add_option("--format", ia.format, "input format")->required()->check(CLI::IsMember(readers));
    cImport->add_option("--images", ia.images, "folder the annotation's image names are relative to (default: beside SRC)");
    cImport->add_option("--class-attribute", ia.classAttribute, "region attribute holding the class (VIA)");
    cImport->add_option("--default-class", ia.defaultClass, "class for regions that name none");
    cImport->add_option("--split", ia.split, "put the imported images in this split: train, val, test or unassigned");
    cImport->add_flag("--replace", ia.replace, "replace the regions of images already in the project");
    cImport->callback([&] { rc = cmdImport(ctx, ia); });

    auto *cExport = app.add_subcommand("export", "Export a project's annotations");
    cExport->add_option("PROJECT", project, "project file")->required();
    cExport->add_option("OUT", outPath, "output file or folder")->required();
    cExport->add_option("--format", format, "output format")->required()->check(CLI::IsMember(writers));
    cExport->add_option("--split", split, "only this split: train, val, test or unassigned");
    cExport->add_option("--default-class", defaultClass, "class for regions without one, where the format needs a class")->capture_default_str();
    cExport->callback([&] { rc = cmdExport(ctx, project, outPath, format, split, defaultClass); });

    auto *cConvert = app.add_subcommand("convert", "Convert annotations from one format to another, without a project");
    cConvert->add_option("SRC", src, "input file or folder")->required();
    cConvert->add_option("OUT", outPath, "output file or folder")->required();
    cConvert->add_option("--from", from, "input format")->required()->check(CLI::IsMember(readers));
    cConvert->add_option("--to", to, "output format")->required()->check(CLI::IsMember(writers));
    cConvert->add_option("--images", images, "image folder (for formats that need image sizes)");
    cConvert->add_option("--default-class", defaultClass, "class for regions without one, where the output format needs a class")->capture_default_str();
    cConvert->callback([&] { rc = cmdConvert(ctx, src, outPath, from, to, images, defaultClass); });

    auto *cStats = app.add_subcommand("stats", "Counts of images, regions, classes, shapes and splits");
    cStats->add_option("PROJECT", project, "project file")->required();
    cStats->add_flag("--json", json, "print one JSON document");
    cStats->callback([&] { rc = cmdStats(ctx, project, json); });

    auto *cValidate = app.add_subcommand("validate", "Find missing images, bad shapes, unlabelled regions, duplicates and split leaks (exit 1 if any)");
    cValidate->add_option("TARGET", project, "project file (*.atproj) or annotation file")->required();
    cValidate->add_flag("--json", json, "print one JSON document");
    cValidate->add_option("--format", format, "format of an annotation file (default: detected)");
    cValidate->add_option("--images", images, "image folder of an annotation file");
    cValidate->callback([&] { rc = cmdValidate(ctx, project, json, format, images); });

    auto *cSplit = app.add_subcommand("split", "Assign train/val/test splits (deterministic for a seed)");
    cSplit->add_option("PROJECT", project, "project file")->required();
    cSplit->add_option("--ratios", ratios, "train,val,test fractions summing to 1")->capture_default_str();
    cSplit->add_option("--seed", seed, "random seed")->required();
    cSplit->add_flag("--stratify", stratify, "keep each class's proportion in every split");
    cSplit->add_option("--kfold", kfold, "number of folds K (fold I becomes val, the rest train; test is kept)");
    cSplit->add_option("--fold", fold, "which fold is val, 0..K-1");
    cSplit->callback([&] { rc = cmdSplit(ctx, project, ratios, seed, stratify, kfold, fold); });

    std::string sampleDir;
    int sampleImages = kSampleImages;
    auto *cSample = app.add_subcommand("sample", "Create the built-in sample project in a folder");
    cSample->add_option("DIR", sampleDir, "folder to create it in")->required();
    cSample->add_option("--images", sampleImages, "how many images it has")->check(CLI::Range(3, 100000))->capture_default_str();
    cSample->callback([&] {
        auto p = createSampleProject(sampleDir, sampleImages);
        rc = p ? (ctx.out << "created " << *p << "\n", kOk) : ctx.fail(p.error(), kProblems);
    });

    addCocoEvalCommand(app, rc, out, err);
#ifdef ANNOTRAIN_WITH_TRAINING
    addTrainingCommands(app, rc, out, err);
    addPredictCommand(app, rc, out, err);
#endif

    std::vector<std::string> rev(args.rbegin(), args.rend());
    try {
        app.parse(rev);
    } catch (const CLI::CallForHelp &) {
        out << app.help();
        return kOk;
    } catch (const CLI::CallForAllHelp &) {
        out << app.help("", CLI::AppFormatMode::All);
        return kOk;
    } catch (const CLI::ParseError &e) {
        // --help on a subcommand arrives here too.
        if (e.get_exit_code() == 0) {
            for (auto *sub : app.get_subcommands())
                out << sub->help();
            if (app.get_subcommands().empty()) out << app.help();
            return kOk;
        }
        err << "error: " << e.what() << "\n";
        return kBadInput;
    } catch (const std::exception &e) {
        err << "error: " << e.what() << "\n";
        return kProblems;
    }
    return rc;
}

} // namespace cli
