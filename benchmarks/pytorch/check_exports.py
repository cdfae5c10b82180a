#!/usr/bin/env python3
"""Checks descent's exported files with the tools their users have: the ONNX checker, ONNX
Runtime (Python) and PyTorch loading the safetensors weights into nn.Linear layers.

Usage: check_exports.py JAVA DESCENT_JAR CHECKPOINT WORKDIR
Writes WORKDIR/m.onnx, m.safetensors, rows.csv (257 random raw rows), descent.csv (descent's
predictions), then compares descent's class probabilities with ONNX Runtime's and PyTorch's
(relative L2 <= 1e-5, same predicted classes). Exit 1 on any mismatch.
"""
import csv
import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from safetensors.torch import load_file, safe_open

TOLERANCE = 1e-5


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Mlp(torch.nn.Module):
    def __init__(self, shapes, activations, shift, scale):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(i, o) for o, i in shapes)
        self.activations = activations
        # Plain attributes, not buffers: the state dict holds exactly the nn.Linear parameters.
        self.shift = torch.tensor(shift)
        self.scale = torch.tensor(scale)

    def forward(self, x):
        x = (x - self.shift) / self.scale
        for layer, act in zip(self.layers, self.activations):
            x = layer(x)
            if act == "relu":
                x = torch.relu(x)
            elif act == "leaky_relu":
                x = torch.nn.functional.leaky_relu(x, 0.01)
            elif act == "sigmoid":
                x = torch.sigmoid(x)
            elif act == "tanh":
                x = torch.tanh(x)
            elif act == "gelu":
                x = torch.nn.functional.gelu(x, approximate="tanh")
        return x


def main():
    java, jar, checkpoint, work = sys.argv[1:5]
    subprocess.run([java, "-jar", jar, "export", "--checkpoint", checkpoint, "--onnx", f"{work}/m.onnx",
                    "--safetensors", f"{work}/m.safetensors"], check=True)
    model = onnx.load(f"{work}/m.onnx")
    onnx.checker.check_model(model, full_check=True)
    print(f"onnx.checker: valid (opset {model.opset_import[0].version}, IR {model.ir_version})")

    width = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    x = (np.random.default_rng(5).random((257, width)) * 255).astype(np.float32)
    with open(f"{work}/rows.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{i}" for i in range(width)])
        w.writerows([[repr(float(v)) for v in row] for row in x])
    subprocess.run([java, "-jar", jar, "predict", "--checkpoint", checkpoint, "--csv", f"{work}/rows.csv",
                    "--output", f"{work}/descent.csv"], check=True)
    with open(f"{work}/descent.csv") as f:
        rows = list(csv.reader(f))[1:]
    descent_classes = np.array([int(r[0]) for r in rows])
    descent_p = np.array([[float(v) for v in r[2:]] for r in rows])

    logits = ort.InferenceSession(f"{work}/m.onnx").run(None, {"features": x})[0]
    ort_p = softmax(logits.astype(np.float64))

    with safe_open(f"{work}/m.safetensors", "pt") as f:
        meta = f.metadata()
    state = load_file(f"{work}/m.safetensors")
    n = len(json.loads(meta["activations"]))
    shapes = [tuple(state[f"layers.{i}.weight"].shape) for i in range(n)]
    net = Mlp(shapes, json.loads(meta["activations"]), json.loads(meta.get("normalization_shift", "[0]")),
              json.loads(meta.get("normalization_scale", "[1]")))
    net.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(x)).numpy()

    checks = {
        "descent predict vs ONNX Runtime (probabilities)": rel_l2(descent_p, ort_p),
        "PyTorch from safetensors vs ONNX Runtime (logits)": rel_l2(torch_logits, logits),
    }
    ok = True
    for name, err in checks.items():
        print(f"{name}: relative L2 {err:.2e} (tolerance {TOLERANCE:g})")
        ok &= err <= TOLERANCE
    same = int((descent_classes == logits.argmax(axis=1)).sum())
    print(f"predicted classes equal on {same} of {len(rows)} rows")
    ok &= same == len(rows)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
