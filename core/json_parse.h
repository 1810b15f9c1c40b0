#pragma once
// JSON from files a user can supply, parsed with a bound on nesting. nlohmann's parser
// itself is iterative, but almost everything done with the value afterwards (copy,
// compare, dump, the store's write) recurses once per level: a 200,000-deep array in a
// VIA file overflowed the stack there. Every reader refuses nesting beyond
// kMaxJsonDepth while it parses, naming the place. The big annotation readers use
// simdjson (core/formats/json_reader.h) with the same limit; this is the parser for
// small documents (VIA 3 projects, the JSON inside VIA CSV cells, run configs).
#include "core/result.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace core {

// Deepest nesting of arrays and objects a reader accepts (the root object is level 1).
// Annotation formats need fewer than ten levels (VIA's region attributes sit at level 5);
// at 256 every recursive walk of an accepted value stays far inside a thread's stack,
// sanitizers included.
constexpr int kMaxJsonDepth = 256;

// Parses `text`, the content of `file` (named in errors). A syntax error is an Error{Parse}
// at "line:col" with "invalid JSON: ..."; nesting deeper than maxDepth is an Error{Parse}
// at the JSON path of the first value too deep ("$.a[0][0]...").
// `root` starts the paths of that error: "$" for a whole file, or e.g. a CSV cell's place.
template <class Json>
Result<Json> parseJson(std::string_view text, const std::string &file, int maxDepth = kMaxJsonDepth, const std::string &root = "$");

extern template Result<nlohmann::ordered_json> parseJson(std::string_view, const std::string &, int, const std::string &);
extern template Result<nlohmann::json> parseJson(std::string_view, const std::string &, int, const std::string &);

// The first syntax error in `text`, or nesting beyond maxDepth, without building a value;
// nothing when it is well-formed. The simdjson readers ask it for the exact place and
// wording of an error they ran into, and whether a file they refuse for its content has a
// syntax error too (which is reported first, as a DOM parser would).
std::optional<Error> checkJson(std::string_view text, const std::string &file, int maxDepth = kMaxJsonDepth);

// The error every reader returns for a value nested too deep, and the test for it.
Error jsonTooDeep(const std::string &file, const std::string &path, int maxDepth = kMaxJsonDepth);
bool isTooDeep(const Error &e);

} // namespace core
