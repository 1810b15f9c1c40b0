#pragma once
// The CLI run in-process, as a user runs it: exit code, stdout and stderr.
#include "app/cli/cli.h"

#include <sstream>
#include <string>
#include <vector>

struct Run {
    int rc;
    std::string out, err;
};

inline Run runCli(std::vector<std::string> args)
{
    std::ostringstream out, err;
    const int rc = cli::run(args, out, err);
    return {rc, out.str(), err.str()};
}
