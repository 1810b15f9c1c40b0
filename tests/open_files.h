#pragma once
// What this test process has open: how many of its descriptors point at a deleted file
// whose name contains `stem` (a WAL another program deleted under a live connection).
#include <filesystem>
#include <string>

inline int deletedDescriptors(const std::string &stem)
{
    namespace fs = std::filesystem;
    int n = 0;
    for (const auto &e : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const std::string target = fs::read_symlink(e.path(), ec).string();
        if (!ec && target.find(stem) != std::string::npos && target.find("(deleted)") != std::string::npos) ++n;
    }
    return n;
}
