# Reference outputs for tst_models: builds each model in PyTorch/torchvision with a
# fixed seed, saves its weights (zip and legacy .pth) and an input with the
# expected logits. Usage: /usr/bin/python3 reference_models.py OUTDIR
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class Mlp(nn.Module):
    def __init__(self, inputs, classes):
        super().__init__()
        self.fc1 = nn.Linear(inputs, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, classes)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


class SmallCnn(nn.Module):  # PyTorch's MNIST example, as in the lecture
    def __init__(self, channels, size, classes):
        super().__init__()
        s = (size - 4) // 2
        self.conv1 = nn.Conv2d(channels, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * s * s, 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return self.fc2(x)


def main(out):
    torch.manual_seed(0)
    cases = {
        "mlp": (Mlp(28 * 28, 10), torch.randn(2, 1, 28, 28)),
        "smallcnn": (SmallCnn(1, 28, 10), torch.randn(2, 1, 28, 28)),
        "resnet18": (torchvision.models.resnet18(num_classes=7), torch.randn(2, 3, 64, 64)),
        "resnet50": (torchvision.models.resnet50(num_classes=5), torch.randn(1, 3, 64, 64)),
    }
    for name, (model, x) in cases.items():
        # Non-trivial batch-norm statistics, so running_mean/var must load too.
        model.train()
        with torch.no_grad():
            model(torch.randn_like(x) * 2 + 0.5)
        model.eval()
        with torch.no_grad():
            y = model(x)
        sd = model.state_dict()
        torch.save(sd, f"{out}/{name}.pth")
        torch.save(sd, f"{out}/{name}_legacy.pth", _use_new_zipfile_serialization=False)
        torch.save({"input": x, "output": y}, f"{out}/{name}_io.pth")


if __name__ == "__main__":
    main(sys.argv[1])
