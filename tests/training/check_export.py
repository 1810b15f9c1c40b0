# Loads a state dict written by Annotrain Studio with torch.load into
# torchvision's resnet18 (strict) and prints the logits for the saved input.
import sys

import torch
import torchvision

weights, io = sys.argv[1], sys.argv[2]
model = torchvision.models.resnet18(num_classes=7)
model.load_state_dict(torch.load(weights), strict=True)
model.eval()
data = torch.load(io)
with torch.no_grad():
    y = model(data["input"])
print(float((y - data["output"]).abs().max()))
