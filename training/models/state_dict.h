#pragma once
// Reading and writing PyTorch state dicts (.pth / .pt) without Python.
//
// Reads both layouts torch.save produces: the zip archive of PyTorch >= 1.6
// (<name>/data.pkl + <name>/data/<key>, records stored uncompressed) and the older
// "legacy" stream (magic number, protocol, sys info, the data pickle, the storage
// keys, then raw storages). The pickle machine accepts only the GLOBALs that
// rebuild tensors and ordered dicts; any other GLOBAL (os.system, builtins.eval,
// a TorchScript class, ...) is refused with an error naming it, so a crafted file
// cannot run code.
//
// A file someone sent cannot crash the reader or exhaust memory either: the zip
// directory is parsed here with every offset checked against the file's size;
// nesting deeper than kMaxPickleDepth, a dict or list that contains itself, and a
// pickle that would need more memory than its size explains are refused; tensors
// never reach outside their storages, and storages never exceed the file.
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace training {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>; // in file order

// A state dict nests a few levels: a checkpoint's dict around the model's, a
// tensor's argument tuples, the _metadata dicts. Anything deeper is refused.
constexpr int kMaxPickleDepth = 32;

struct StateDictResult {
    StateDict tensors;
    std::string error; // empty on success; else the reason, without the file's name (the caller names the file)
    bool ok() const { return error.empty(); }
};

// Reads a regular file (never a FIFO or device). Tensors come back on the CPU.
StateDictResult loadStateDict(const std::string &path);
// Writes the zip layout with an OrderedDict pickle: torch.load and torchvision's
// load_state_dict accept it. The file is written beside `path` and renamed over
// it, so a crash leaves the old file or the new one, and a symlink at `path` is
// replaced, not written through. Returns "" or the reason it failed (without the path).
std::string saveStateDict(const StateDict &tensors, const std::string &path);

} // namespace training
