# Seeds for fuzz_state_dict: small real state dicts (zip and legacy layout, as
# torch.save writes them) and the pickles that crashed the reader before it limited
# nesting and refused cycles (issue 9). Usage: /usr/bin/python3 state_dict_seeds.py DIR
import collections
import os
import pickle
import sys

import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
sd = collections.OrderedDict(w=torch.arange(6.0).view(2, 3), b=torch.zeros(2, dtype=torch.long))
torch.save(sd, os.path.join(out, "small.pth"))
torch.save({"model": sd, "epoch": 3}, os.path.join(out, "wrapped_legacy.pth"), _use_new_zipfile_serialization=False)
# The pickle inside a real archive, for the target's zip wrapper.
import io, zipfile
buf = io.BytesIO()
torch.save(sd, buf)
with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
    name = [n for n in z.namelist() if n.endswith("data.pkl")][0]
    open(os.path.join(out, "data.pkl"), "wb").write(z.read(name))
d = {}
d["a"] = d
open(os.path.join(out, "self_dict.pkl"), "wb").write(pickle.dumps(d, protocol=2))
l = []
l.append(l)
open(os.path.join(out, "self_list.pkl"), "wb").write(pickle.dumps(l, protocol=2))
# Nesting beyond the limit, written opcode by opcode (pickle itself would recurse).
key = b"X\x01\x00\x00\x00k"
open(os.path.join(out, "deep_dict.pkl"), "wb").write(b"\x80\x02" + (b"}" + key) * 2000 + b"}" + b"s" * 2000 + b".")
open(os.path.join(out, "deep_list.pkl"), "wb").write(b"\x80\x02" + b"]" * 3001 + b"a" * 3000 + b".")
