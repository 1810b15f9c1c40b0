// Pascal VOC XML ("voc"): one XML per image (a folder, or its Annotations/
// subfolder). Boxes are xmin,ymin,xmax,ymax in pixels; difficult, truncated and
// pose are kept as region attributes. A small XML reader for this subset
// (elements, text, entities, comments, declarations) reports line numbers.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/image_size.h"

#include <cmath>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace core {

namespace {

struct XmlNode {
    std::string name, text;
    std::size_t line = 0;
    std::vector<std::unique_ptr<XmlNode>> children;
    const XmlNode *child(const std::string &n) const
    {
        for (const auto &c : children)
            if (c->name == n) return c.get();
        return nullptr;
    }
    std::string childText(const std::string &n) const
    {
        const XmlNode *c = child(n);
        return c ? c->text : std::string();
    }
};

class XmlReader {
public:
    XmlReader(const std::string &text, const std::string &file) : m_s(text), m_file(file) {}

    Result<std::unique_ptr<XmlNode>> parse()
    {
        skipMisc();
        if (m_p >= m_s.size() || m_s[m_p] != '<') return fail("expected an element");
        auto root = element();
        if (!root) return root;
        skipMisc();
        if (m_p < m_s.size()) return fail("text after the root element");
        return root;
    }

private:
    Error failError(const std::string &msg) const { return makeError(ErrorCode::Parse, m_file, lineColAt(m_s, m_p), "invalid XML: " + msg); }
    Result<std::unique_ptr<XmlNode>> fail(const std::string &msg) const { return failError(msg); }

    void skipSpace()
    {
        while (m_p < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_p]))) ++m_p;
    }
    // Whitespace, comments, <?...?> and <!DOCTYPE ...>.
    void skipMisc()
    {
        for (;;) {
            skipSpace();
            if (m_s.compare(m_p, 4, "<!--") == 0) {
                const auto e = m_s.find("-->", m_p + 4);
                m_p = e == std::string::npos ? m_s.size() : e + 3;
            } else if (m_s.compare(m_p, 2, "<?") == 0 || m_s.compare(m_p, 2, "<!") == 0) {
                const auto e = m_s.find('>', m_p);
                m_p = e == std::string::npos ? m_s.size() : e + 1;
            } else {
                return;
            }
        }
    }
    bool decode(const std::string &raw, std::string *out) const
    {
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '&') {
                *out += raw[i];
                continue;
            }
            const auto semi = raw.find(';', i);
            if (semi == std::string::npos) return false;
            const std::string ent = raw.substr(i + 1, semi - i - 1);
            if (ent == "amp") *out += '&';
            else if (ent == "lt") *out += '<';
            else if (ent == "gt") *out += '>';
            else if (ent == "quot") *out += '"';
            else if (ent == "apos") *out += '\'';
            else if (!ent.empty() && ent[0] == '#') {
                long cp = 0;
                try {
                    cp = ent.size() > 1 && ent[1] == 'x' ? std::stol(ent.substr(2), nullptr, 16) : std::stol(ent.substr(1));
                } catch (const std::exception &) {
                    return false;
                }
                if (cp < 0x80) *out += static_cast<char>(cp);
                else *out += '?';
            } else {
                return false;
            }
            i = semi;
        }
        return true;
    }
    Result<std::unique_ptr<XmlNode>> element()
    {
        if (++m_depth > 64) return fail("elements nested too deeply");
        auto node = std::make_unique<XmlNode>();
        node->line = static_cast<std::size_t>(std::count(m_s.begin(), m_s.begin() + static_cast<long>(m_p), '\n')) + 1;
        ++m_p; // '<'
        const std::size_t start = m_p;
        while (m_p < m_s.size() && !std::isspace(static_cast<unsigned char>(m_s[m_p])) && m_s[m_p] != '>' && m_s[m_p] != '/') ++m_p;
        node->name = m_s.substr(start, m_p - start);
        if (node->name.empty()) return fail("element without a name");
        // Attributes are skipped; VOC keeps its data in elements.
        bool inQuote = false;
        char q = 0;
        while (m_p < m_s.size() && (inQuote || (m_s[m_p] != '>' && m_s.compare(m_p, 2, "/>") != 0))) {
            if (inQuote && m_s[m_p] == q) inQuote = false;
            else if (!inQuote && (m_s[m_p] == '"' || m_s[m_p] == '\'')) { inQuote = true; q = m_s[m_p]; }
            ++m_p;
        }
        if (m_p >= m_s.size()) return fail("unterminated tag <" + node->name + ">");
        if (m_s[m_p] == '/') {
            m_p += 2;
            --m_depth;
            return node;
        }
        ++m_p;
        std::string raw;
        for (;;) {
            if (m_p >= m_s.size()) return fail("element <" + node->name + "> is never closed");
            if (m_s.compare(m_p, 4, "<!--") == 0) {
                skipMisc();
                continue;
            }
            if (m_s.compare(m_p, 9, "<![CDATA[") == 0) {
                const auto e = m_s.find("]]>", m_p);
                if (e == std::string::npos) return fail("unterminated CDATA");
                node->text += m_s.substr(m_p + 9, e - m_p - 9);
                m_p = e + 3;
                continue;
            }
            if (m_s.compare(m_p, 2, "</") == 0) {
                const auto e = m_s.find('>', m_p);
                if (e == std::string::npos) return fail("unterminated closing tag");
                std::string closing = m_s.substr(m_p + 2, e - m_p - 2);
                while (!closing.empty() && std::isspace(static_cast<unsigned char>(closing.back()))) closing.pop_back();
                if (closing != node->name) return fail("</" + closing + "> closes <" + node->name + ">");
                m_p = e + 1;
                break;
            }
            if (m_s[m_p] == '<') {
                auto c = element();
                if (!c) return c;
                node->children.push_back(std::move(c.value()));
                continue;
            }
            raw += m_s[m_p++];
        }
        std::string text;
        if (!decode(raw, &text)) return fail("bad entity in <" + node->name + ">");
        node->text += text;
        const auto a = node->text.find_first_not_of(" \t\r\n"), b = node->text.find_last_not_of(" \t\r\n");
        node->text = a == std::string::npos ? std::string() : node->text.substr(a, b - a + 1);
        --m_depth;
        return node;
    }

    const std::string &m_s;
    std::string m_file;
    std::size_t m_p = 0;
    int m_depth = 0;
};

std::string xmlEscape(const std::string &s)
{
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

bool number(const std::string &s, double *out)
{
    char *end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end && *end == '\0' && std::isfinite(*out);
}

Status readOne(const std::string &file, const std::string &annDir, Dataset &ds)
{
    auto text = readFile(file);
    if (!text) return text.error();
    auto root = XmlReader(*text, file).parse();
    if (!root) return root.error();
    const XmlNode &a = **root;
    if (a.name != "annotation") return makeError(ErrorCode::Invalid, file, "1", "root element is <" + a.name + ">, expected <annotation>");
    ImageEntry im;
    std::string fn = a.childText("filename");
    if (fn.empty()) fn = fs::path(file).stem().string() + ".jpg";
    // VOC's own layout keeps images in JPEGImages/ beside Annotations/.
    const std::string folder = a.childText("folder");
    (void)folder;
    im.path = annDir.empty() ? fn : annDir + "/" + fn;
    if (const XmlNode *size = a.child("size")) {
        double w = 0, h = 0;
        if (!number(size->childText("width"), &w) || !number(size->childText("height"), &h) || w < 0 || h < 0 || w > 1e6 || h > 1e6)
            return makeError(ErrorCode::Invalid, file, std::to_string(size->line), "<size> needs numeric width and height");
        im.width = static_cast<int>(w);
        im.height = static_cast<int>(h);
    }
    for (const auto &o : a.children) {
        if (o->name != "object") continue;
        const std::string where = std::to_string(o->line);
        const XmlNode *bb = o->child("bndbox");
        if (!bb) return makeError(ErrorCode::Invalid, file, where, "<object> has no <bndbox>");
        double v[4];
        const char *keys[] = {"xmin", "ymin", "xmax", "ymax"};
        for (int k = 0; k < 4; ++k)
            if (!number(bb->childText(keys[k]), &v[k]))
                return makeError(ErrorCode::Invalid, file, std::to_string(bb->line), std::string("<") + keys[k] + "> is missing or not a number");
        if (v[2] < v[0] || v[3] < v[1]) return makeError(ErrorCode::Invalid, file, std::to_string(bb->line), "xmax/ymax is smaller than xmin/ymin");
        RegionData r;
        r.shape = *Shape::rect(v[0], v[1], v[2] - v[0], v[3] - v[1]);
        r.className = o->childText("name");
        if (r.className.empty()) return makeError(ErrorCode::Invalid, file, where, "<object> has no <name>");
        ds.ensureClass(r.className);
        for (const char *k : {"pose", "truncated", "difficult", "occluded"})
            if (const XmlNode *c = o->child(k)) r.attributes[k] = c->text;
        im.regions.push_back(std::move(r));
    }
    ds.images.push_back(std::move(im));
    return {};
}

class VocFormat : public Format {
public:
    std::string name() const override { return "voc"; }
    std::string description() const override { return "Pascal VOC XML (folder)"; }
    std::string fileFilter() const override { return "*.xml"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        std::error_code ec;
        const std::string dir = fs::is_directory(path + "/Annotations", ec) ? path + "/Annotations" : path;
        if (!fs::is_directory(dir, ec)) return fs::path(path).extension() == ".xml";
        for (const auto &e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".xml") return true;
        return false;
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        Dataset ds;
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
            if (auto s = readOne(path, {}, ds); !s) return s.error();
            return ds;
        }
        // VOC layout: Annotations/*.xml with images in JPEGImages/.
        const bool vocLayout = fs::is_directory(path + "/Annotations", ec);
        const std::string dir = vocLayout ? path + "/Annotations" : path;
        // Below subfolders too: an export keeps each image's folder (train/x.xml for train/x.jpg).
        std::vector<fs::path> files;
        for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if (it->is_regular_file() && it->path().extension() == ".xml") files.push_back(it->path());
        std::sort(files.begin(), files.end());
        if (files.empty()) return makeError(ErrorCode::Invalid, path, {}, "folder holds no VOC .xml files");
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            if (opts.progress) opts.progress(static_cast<double>(i) / static_cast<double>(files.size()));
            const std::string sub = files[i].parent_path().lexically_relative(dir).generic_string();
            std::string annDir = vocLayout ? "JPEGImages" : "";
            if (!sub.empty() && sub != ".") annDir += (annDir.empty() ? "" : "/") + sub;
            if (auto s = readOne(files[i].string(), annDir, ds); !s) return s.error();
        }
        return ds;
    }

    bool needsClasses() const override { return true; }
    std::string imageOutputFile(const ImageEntry &im) const override
    {
        const fs::path rel(im.path);
        return (rel.parent_path() / (rel.stem().string() + ".xml")).lexically_normal().generic_string();
    }

    // One <image stem>.xml per image into the folder `path`; rectangles as boxes, other closed shapes by their bounding box.
    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        std::error_code ec;
        fs::create_directories(path, ec);
        if (ec) return makeError(ErrorCode::Io, path, {}, "cannot create folder: " + ec.message());
        WriteReport report;
        std::size_t open = 0;
        for (const ImageEntry &im : data.images) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            auto size = entryImageSize(im, opts.imagesDir, path); // VOC tools need the size
            if (!size) return size.error();
            const int w = size->width, h = size->height;
            const fs::path rel(im.path);
            std::string x = "<annotation>\n  <folder>" + xmlEscape(rel.parent_path().generic_string()) + "</folder>\n  <filename>"
                            + xmlEscape(rel.filename().string()) + "</filename>\n  <size>\n    <width>" + std::to_string(w)
                            + "</width>\n    <height>" + std::to_string(h) + "</height>\n    <depth>3</depth>\n  </size>\n";
            for (const RegionData &r : im.regions) {
                if (!r.shape.isClosed()) {
                    ++open;
                    continue;
                }
                ++report.regions;
                const Box b = r.shape.boundingBox();
                x += "  <object>\n    <name>" + xmlEscape(r.className) + "</name>\n";
                for (const char *k : {"pose", "truncated", "difficult", "occluded"})
                    if (r.attributes.contains(k) && r.attributes[k].is_string())
                        x += std::string("    <") + k + ">" + xmlEscape(r.attributes[k].get<std::string>()) + "</" + k + ">\n";
                x += "    <bndbox>\n      <xmin>" + via::number(b.x).dump() + "</xmin>\n      <ymin>" + via::number(b.y).dump()
                     + "</ymin>\n      <xmax>" + via::number(b.right()).dump() + "</xmax>\n      <ymax>" + via::number(b.bottom()).dump()
                     + "</ymax>\n    </bndbox>\n  </object>\n";
            }
            x += "</annotation>\n";
            const fs::path file = fs::path(path) / imageOutputFile(im);
            fs::create_directories(file.parent_path(), ec);
            if (auto s = writeFileAtomic(file.string(), x); !s) return s.error();
            ++report.images;
        }
        report.notes = openShapesNote(open, "Pascal VOC");
        return report;
    }
};

} // namespace

std::unique_ptr<Format> makeVocFormat() { return std::make_unique<VocFormat>(); }

} // namespace core
