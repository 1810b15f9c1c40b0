#include "app/cli/cli.h"

#include <csignal>
#include <iostream>

int main(int argc, char **argv)
{
    // Past a file-size limit (ulimit -f, prlimit --fsize) a write then fails with EFBIG
    // and the command says so, instead of the process dying by SIGXFSZ mid-write.
    std::signal(SIGXFSZ, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    return cli::run(args, std::cout, std::cerr);
}
