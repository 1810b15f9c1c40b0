#pragma once
// Reading and writing PyTorch state dicts (.pth / .pt) without Python.
//
// Reads both layouts torch.save produces: the zip archive of PyTorch >= 1.6
// (<name>/data.pkl + <name>/data/<key>) and the older "legacy" stream (magic
// number, protocol, sys info, the data pickle, the storage keys, then raw
// storages). The pickle machine accepts only the GLOBALs that rebuild tensors
// and ordered dicts; any other GLOBAL (os.system, builtins.eval, ...) is refused
// with an error naming it, so a crafted file cannot run code.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace training {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>; // in file order

struct StateDictResult {
    StateDict tensors;
    std::string error; // empty on success: "<file>: <reason>"
    bool ok() const { return error.empty(); }
};

StateDictResult loadStateDict(const std::string &path);
// Writes the zip layout with an OrderedDict pickle: torch.load and
// torchvision's load_state_dict accept it. Returns an error message or "".
std::string saveStateDict(const StateDict &tensors, const std::string &path);

} // namespace training
