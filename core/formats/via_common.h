#pragma once
// Shared pieces of the VIA codecs (annotations JSON, 2.x project, CSV): one VIA
// image record <-> ImageEntry, one VIA region <-> RegionData. Unknown keys go to
// `extra` so that VIA -> Dataset -> VIA keeps everything VIA wrote.
#include "core/format.h"

#include <nlohmann/json.hpp>

namespace core::via {

using ojson = nlohmann::ordered_json;

// Where a record came from, for error messages: file name and JSON path prefix.
struct Context {
    std::string file;
    std::string path; // e.g. "$['img.jpg']"
};

// Parses one VIA image record (filename, size, regions as object or list, file_attributes).
Result<ImageEntry> readImageRecord(const std::string &key, const ojson &rec, const Context &ctx,
                                   const ReadOptions &opts, Dataset &ds);
// Parses one region ({shape_attributes, region_attributes}).
Result<RegionData> readRegion(const ojson &region, const Context &ctx, const ReadOptions &opts, Dataset &ds);
// Parses shape_attributes alone; unknown keys land in *unknown.
Result<Shape> readShapeAttributes(const ojson &sa, const Context &ctx, ojson *unknown);

// Writers produce JSON text directly (a 10,000-image file is written in well under a second).
std::string shapeAttributesJson(const Shape &s, const ojson &extra);
// Region attributes to write: the region's own, plus the class under opts.classAttribute if they do not carry it.
ojson regionAttributesFor(const RegionData &r, const WriteOptions &opts);
std::string regionJson(const RegionData &r, const WriteOptions &opts);
// ImageEntry.fileSize, or the file's size in opts.imagesDir when unknown (-1 if neither).
std::int64_t fileSizeFor(const ImageEntry &im, const WriteOptions &opts);
// The keys VIA files the images under, one per image and all different: the source's
// key where it had one, else (and where two sources' keys would meet, as for the same
// picture imported from two folders) filename + size.
std::vector<std::string> imageKeys(const Dataset &data, const WriteOptions &opts);
// The image record as JSON text.
std::string imageRecordJson(const ImageEntry &im, const WriteOptions &opts);

// Picks the class of a region from its attributes (ReadOptions.classAttribute or the usual names).
std::string classFromAttributes(const ojson &attrs, const ReadOptions &opts);

// "$['name']" with quotes escaped.
std::string keyPath(const std::string &key);
// Number, or a string holding a number (some VIA files quote numbers).
bool toNumber(const ojson &v, double *out);
// obj[key] as a whole number in [lo, hi] into *out; true when absent or null (out untouched), false when invalid.
bool readInt(const ojson &obj, const char *key, int lo, int hi, int *out);
// A whole number from -1 (unknown) up to 9e15, as a number or a string.
bool toFileSize(const ojson &v, std::int64_t *out);
// Writes whole numbers as integers, as VIA does.
ojson number(double v);

// Parses JSON text; parse errors carry file and line:col.
Result<ojson> parseJsonText(const std::string &text, const std::string &file);
// The same into nlohmann::json (keys sorted, faster to build) for files whose key order does not matter.
Result<nlohmann::json> parseJsonTextUnordered(const std::string &text, const std::string &file);

} // namespace core::via
