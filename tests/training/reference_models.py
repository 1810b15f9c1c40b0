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


class ConvNet(nn.Module):  # four 3x3 conv-BN-ReLU stages, max pooling between, global average pooling
    def __init__(self, channels, classes, widths=(16, 32, 64, 128)):
        super().__init__()
        layers = []
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            if i + 1 < len(widths):
                layers.append(nn.MaxPool2d(2))
            channels = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def double_conv(inp, out):
    return nn.Sequential(
        nn.Conv2d(inp, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
        nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True))


class UNet(nn.Module):  # Ronneberger et al. 2015, four levels, base width 16
    def __init__(self, channels, classes, b=16):
        super().__init__()
        self.inc = double_conv(channels, b)
        self.down1 = double_conv(b, 2 * b)
        self.down2 = double_conv(2 * b, 4 * b)
        self.down3 = double_conv(4 * b, 8 * b)
        self.up1 = nn.ConvTranspose2d(8 * b, 4 * b, 2, stride=2)
        self.conv1 = double_conv(8 * b, 4 * b)
        self.up2 = nn.ConvTranspose2d(4 * b, 2 * b, 2, stride=2)
        self.conv2 = double_conv(4 * b, 2 * b)
        self.up3 = nn.ConvTranspose2d(2 * b, b, 2, stride=2)
        self.conv3 = double_conv(2 * b, b)
        self.outc = nn.Conv2d(b, classes, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(F.max_pool2d(x1, 2))
        x3 = self.down2(F.max_pool2d(x2, 2))
        x4 = self.down3(F.max_pool2d(x3, 2))
        y = self.conv1(torch.cat([self.up1(x4), x3], 1))
        y = self.conv2(torch.cat([self.up2(y), x2], 1))
        y = self.conv3(torch.cat([self.up3(y), x1], 1))
        return self.outc(y)


def main(out):
    torch.manual_seed(0)
    cases = {
        "mlp": (Mlp(28 * 28, 10), torch.randn(2, 1, 28, 28)),
        "smallcnn": (SmallCnn(1, 28, 10), torch.randn(2, 1, 28, 28)),
        "convnet": (ConvNet(3, 6), torch.randn(2, 3, 40, 40)),
        "resnet18": (torchvision.models.resnet18(num_classes=7), torch.randn(2, 3, 64, 64)),
        "resnet50": (torchvision.models.resnet50(num_classes=5), torch.randn(1, 3, 64, 64)),
        "unet": (UNet(3, 4), torch.randn(2, 3, 32, 32)),
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
