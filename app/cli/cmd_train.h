#pragma once
// The training subcommands (train, eval, weights import/export), registered only
// when the build has the training engine.
#include <iosfwd>

namespace CLI {
class App;
}

namespace cli {

// Adds the subcommands to `app`; each sets `rc` when it runs.
void addTrainingCommands(CLI::App &app, int &rc, std::ostream &out, std::ostream &err);

} // namespace cli
