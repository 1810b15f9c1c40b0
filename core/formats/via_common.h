#pragma once
// Shared pieces of the VIA codecs (annotations JSON, 2.x project, CSV): one VIA
// image record <-> ImageEntry, one VIA region <-> RegionData. Unknown keys go to
// `extra` so that VIA -> Dataset -> VIA keeps everything VIA wrote.
#include "core/format.h"
#include "core/formats/class_names.h"
#include "core/formats/json_reader.h"
#include "core/json_path.h"

#include <nlohmann/json.hpp>

#include <string_view>

namespace core::via {

using ojson = nlohmann::ordered_json;

// Readers walk simdjson On-Demand values (core/formats/json_reader.h). `path` is the place of
// the value read; errors name it: "$['img.jpg'].regions[3].shape_attributes: all_points_x has
// 12 values, all_points_y 9". Region classes are added to `classes`.

// One VIA image record filed under `key`: filename, size, regions as object or list, file_attributes.
Result<ImageEntry> readImageRecord(std::string_view key, json::od::value rec, json::JsonReader &in, JsonPath &path,
                                   const ReadOptions &opts, ClassNames &classes);
// One region as VIA CSV stores it: its shape_attributes and region_attributes cells, parsed.
// Errors are placed at `where` (the CSV line and region id) plus the JSON path.
Result<RegionData> regionFromCells(const ojson &shapeAttributes, ojson regionAttributes, const std::string &file,
                                   const std::string &where, const ReadOptions &opts, ClassNames &classes);

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

// Number, or a string holding a number (some VIA files quote numbers).
bool toNumber(const ojson &v, double *out);
// obj[key] as a whole number in [lo, hi] into *out; true when absent or null (out untouched), false when invalid.
bool readInt(const ojson &obj, const char *key, int lo, int hi, int *out);
// A whole number from -1 (unknown) up to 9e15, as a number or a string.
bool toFileSize(const ojson &v, std::int64_t *out);
// Writes whole numbers as integers, as VIA does.
ojson number(double v);

} // namespace core::via
