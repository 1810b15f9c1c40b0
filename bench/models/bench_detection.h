#pragma once
// bench_models --arch fasterrcnn_*|maskrcnn_*: see bench_detection.cpp.
#include <string>

struct DetectionBenchArgs {
    std::string arch, data, weights, mode = "train", profile;
    int steps = 3;
    long size = 512;
    bool channelsLast = true;
};

// Prints one JSON line; returns the exit code (2: unreadable input).
int runDetectionBench(const DetectionBenchArgs &args);
