#pragma once
// File helpers with errors as values. writeFileAtomic writes a temporary file
// beside the target, fsyncs it and renames it over the target, so a reader (or a
// crash) sees either the old file or the new one, never a torn one.
#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace core {

Result<std::string> readFile(const std::string &path);
// Reads the whole file into the memory `buffer(size)` returns (at least size bytes): for
// readers that need a buffer of their own, such as simdjson's padded one.
Status readFileInto(const std::string &path, const std::function<char *(std::size_t)> &buffer);
Status writeFileAtomic(const std::string &path, const std::string &data);
// FNV-1a (64 bits) of the file's bytes: the same picture under another name hashes alike.
Result<std::uint64_t> fileContentHash(const std::string &path);

// 1-based "line:col" of a byte offset in text, for parse errors.
std::string lineColAt(std::string_view text, std::size_t offset);

// Lexically normalised '/'-separated path ("a/./b/../c" -> "a/c"); keeps leading "..".
std::string normalizePath(const std::string &path);
// True if `rel` (relative, '/'-separated) stays inside its root after normalisation.
bool staysInside(const std::string &rel);

} // namespace core
