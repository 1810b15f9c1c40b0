#pragma once
// annotrain-cli: the CLI contract of DESIGN.md. Exit codes: 0 success; 1 the
// operation ran and found problems or failed; 2 bad usage or unreadable input.
// Errors go to `err` as "error: <file>[:<line>:<col>]: <what is wrong>".
#include <iosfwd>
#include <string>
#include <vector>

namespace cli {

int run(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace cli
