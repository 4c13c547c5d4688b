# Writes small real models for the torchscript plugin's tests, in every form a user may
# hand it: TorchScript (scripted and traced, several result shapes), and the forms C++
# cannot run (a pickled module, a state_dict, a legacy pickle).
#   /usr/bin/python3 make_test_models.py OUT_DIR
import os
import sys

import torch
import torch.nn as nn
from typing import Dict, Tuple

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Double(nn.Module):
    def forward(self, x):
        return x * 2


class TupleResult(nn.Module):
    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        return x + 1, x.sum(dim=[1, 2, 3])


class DictResult(nn.Module):
    def forward(self, x) -> Dict[str, torch.Tensor]:
        return {"b": x - 1, "a": x * 3}


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class SmallCnn(nn.Module):
    """A conv net with batch norm in eval mode: per-sample results must not depend on the batch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(dim=[2, 3]))


torch.jit.script(Double()).save(f"{out}/double.pt")
torch.jit.script(TupleResult()).save(f"{out}/tuple.pt")
torch.jit.script(DictResult()).save(f"{out}/dict.pt")
torch.jit.script(TwoInputs()).save(f"{out}/two_inputs.pt")
cnn = SmallCnn().eval()
with torch.no_grad():
    cnn.bn.running_mean.uniform_(-0.5, 0.5)
    cnn.bn.running_var.uniform_(0.5, 2.0)
torch.jit.trace(cnn, torch.rand(2, 3, 16, 16)).save(f"{out}/cnn.pt")

torch.save(cnn, f"{out}/pickled_module.pt")
torch.save(cnn.state_dict(), f"{out}/state_dict.pt")
torch.save(cnn, f"{out}/legacy_pickle.pt", _use_new_zipfile_serialization=False)
print("test models written to", out)
