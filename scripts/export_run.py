"""Runs a model written by `wb export` on a real ONNX runtime and on a plain
f64 implementation of the published torch.nn.LSTMCell equations.

    export_run.py run --onnx M.onnx --safetensors M.safetensors --sidecar M.json \
        --cases cases.json --out results.json
    export_run.py measure --tanh-rel R --sigmoid-abs A --saturated S --gain G

`run` reads input sets ({"cases": [{"inputs": {name: v}, "streams": {name: [..]}}]})
and writes, per set, the reads of onnxruntime (from the .onnx file) and of the
f64 reference (from the .safetensors file and the sidecar, which says how to
build each step's input and decode each read: docs/export.md §5).

`measure` measures the activation accuracy of onnxruntime's LSTM kernel (its
own tanh and sigmoid, read back through the cell state) against what the
bound assumes; exit 1 if an assumption does not hold.

`wb export --check` runs this script; so do the tests.
"""

import argparse
import json
import math
import sys

import numpy as np


def sigmoid(z):
    # 1 / (1 + e^-z), computed without overflow.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def wb_op(tok, a, b):
    if tok == "+":
        return a + b
    if tok == "-":
        return a - b
    if tok == "*":
        return a * b
    if tok == "/":
        return a / b
    if tok == "%":
        return math.fmod(a, b)
    if tok == "^":
        return a ** b
    if tok == "<":
        return float(a < b)
    if tok == "<=":
        return float(a <= b)
    if tok == ">":
        return float(a > b)
    if tok == ">=":
        return float(a >= b)
    if tok == "==":
        return float(a == b)
    if tok == "!=":
        return float(a != b)
    if tok == "min":
        return a if a <= b else b
    if tok == "max":
        return a if a >= b else b
    raise ValueError(f"unknown operator {tok!r}")


UNARY = {
    "neg": lambda a: -a,
    "abs": abs,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "ln": math.log,
    "tanh": math.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + math.exp(-a)),
}


def evaluate(postfix, value):
    """Evaluates the sidecar's postfix tokens; `value(name)` gives names."""
    stack = []
    for tok in postfix:
        if isinstance(tok, (int, float)):
            stack.append(float(tok))
        elif isinstance(tok, dict):
            stack.append(float(value(tok["name"])))
        elif tok in UNARY:
            stack.append(UNARY[tok](stack.pop()))
        else:
            b = stack.pop()
            a = stack.pop()
            stack.append(wb_op(tok, a, b))
    return stack.pop() if stack else 0.0


def reference(weights, side, case):
    """torch.nn.LSTMCell's equations in f64, stepped over the sidecar's inputs."""
    w_ih = weights["weight_ih"].astype(np.float64)
    w_hh = weights["weight_hh"].astype(np.float64)
    b = weights["bias_ih"].astype(np.float64) + weights["bias_hh"].astype(np.float64)
    hidden = side["hidden_size"]
    phases = side["steps_per_element"]
    scale = side["scale"]
    inputs = {k: v[0] for k, v in case["inputs"].items()}
    streams = case["streams"]
    loop = side["loop"]
    if loop["kind"] == "repeat":
        length = loop["count"]
    else:
        length = len(streams[loop["streams"][0]]) if loop["streams"] else 0

    def scalar(name):
        return inputs[name]

    c = np.array([evaluate(u["start"], scalar) / scale if u["start"] else 0.0 for u in side["units"]])
    h = np.tanh(c) * np.array(side["h0_mask"], dtype=np.float64)
    features = [col for col in side["input_layout"] if col["kind"] == "feature"]
    loop_reads = {r["output"]: [] for r in side["reads"] if r["where"] == "loop"}
    by_phase = {}
    for r in side["reads"]:
        if r["where"] == "loop":
            by_phase.setdefault(r["phase"], []).append(r)
    for k in range(length):
        def element(name, k=k):
            if name in streams:
                return streams[name][k]
            return inputs[name]

        for p in range(phases):
            x = np.zeros(side["input_size"])
            x[p] = 1.0
            for col in features:
                if col["phase"] == p:
                    v = evaluate(col["postfix"], element)
                    if col["transform"] == "logit":
                        v = math.log(v) - math.log(1.0 - v)
                    x[col["column"]] = v
            z = w_ih @ x + w_hh @ h + b
            i = sigmoid(z[0:hidden])
            f = sigmoid(z[hidden:2 * hidden])
            g = np.tanh(z[2 * hidden:3 * hidden])
            o = sigmoid(z[3 * hidden:4 * hidden])
            c = f * c + i * g
            h = o * np.tanh(c)
            for r in by_phase.get(p, []):
                vals = {name: scale * h[u] for name, u in r["units"].items()}
                loop_reads[r["output"]].append(
                    evaluate(r["postfix"], lambda n: vals[n] if n in vals else element(n)))
    out = dict(loop_reads)
    for r in side["reads"]:
        if r["where"] == "after":
            vals = {name: scale * c[u] for name, u in r["units"].items()}
            out[r["output"]] = [evaluate(r["postfix"], lambda n: vals[n] if n in vals else scalar(n))]
    return out


def run(args):
    import onnxruntime as ort
    from safetensors.numpy import load_file

    side = json.load(open(args.sidecar))
    if side.get("format") != "wb-export" or side.get("version") != 1:
        sys.exit(f"{args.sidecar}: not a wb-export sidecar of version 1")
    weights = load_file(args.safetensors)
    cases = json.load(open(args.cases))["cases"]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    fed = {i.name for i in sess.get_inputs()}
    results = []
    for case in cases:
        feeds = {}
        for k, v in case["inputs"].items():
            if k in fed:
                feeds[k] = np.array(v, dtype=np.float64).reshape(1)
        for k, v in case["streams"].items():
            if k in fed:
                feeds[k] = np.array(v, dtype=np.float64).reshape(-1)
        outs = dict(zip(names, sess.run(None, feeds)))
        onnx_reads = {k: [float(x) for x in v.reshape(-1)] for k, v in outs.items() if k != "valid"}
        results.append({
            "onnx": onnx_reads,
            "valid": bool(outs["valid"].reshape(-1)[0]),
            "reference": reference(weights, side, case),
        })
    json.dump({"onnxruntime": ort.__version__, "cases": results}, open(args.out, "w"))


def lstm_model(hidden_bias, w_col, batch):
    """An LSTM of one unit and one input whose gate pre-activations are
    w_col * x + hidden_bias (ONNX order i, o, f, c)."""
    import onnx
    from onnx import TensorProto, helper

    w = np.array(w_col, dtype=np.float32).reshape(1, 4, 1)
    r = np.zeros((1, 4, 1), dtype=np.float32)
    b = np.concatenate([np.array(hidden_bias, dtype=np.float32), np.zeros(4, dtype=np.float32)]).reshape(1, 8)
    graph = helper.make_graph(
        [helper.make_node("LSTM", ["X", "W", "R", "B", "", "h0", "c0"], ["Y", "", "Y_c"], hidden_size=1)],
        "measure",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, batch, 1]),
         helper.make_tensor_value_info("c0", TensorProto.FLOAT, [1, batch, 1]),
         helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, batch, 1])],
        [helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, [1, batch, 1])],
        [helper.make_tensor("W", TensorProto.FLOAT, w.shape, w.flatten()),
         helper.make_tensor("R", TensorProto.FLOAT, r.shape, r.flatten()),
         helper.make_tensor("B", TensorProto.FLOAT, b.shape, b.flatten())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def measure(args):
    import onnxruntime as ort

    def cell(model, xs, c0):
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        n = len(xs)
        feeds = {
            "X": np.array(xs, dtype=np.float32).reshape(1, n, 1),
            "c0": np.full((1, n, 1), c0, dtype=np.float32),
            "h0": np.zeros((1, n, 1), dtype=np.float32),
        }
        return sess.run(None, feeds)[0].reshape(-1).astype(np.float64)

    g = args.gain
    # tanh: i open, f shut, c' = tanh(x): read back as the cell state.
    xs = np.concatenate([np.geomspace(1e-30, 2.0 ** -8, 4000), -np.geomspace(1e-30, 2.0 ** -8, 4000)])
    xs = xs.astype(np.float32).astype(np.float64)
    got = cell(lstm_model([g, g, -g, 0.0], [0, 0, 0, 1], len(xs)), xs, 0.0)
    tanh_rel = float(np.max(np.abs(got - np.tanh(xs)) / np.abs(np.tanh(xs))))
    # sigmoid: f = sigmoid(z), i shut, c0 = 1: c' = sigmoid(z).
    zs = np.concatenate([np.linspace(-20, 20, 4001), [-g, g, -2 * g, 2 * g, -1e6, 1e6, -2.0 ** 31, 2.0 ** 31]])
    zs = zs.astype(np.float32).astype(np.float64)
    got = cell(lstm_model([-g, 0.0, 0.0, 0.0], [0, 0, 1, 0], len(zs)), zs, 1.0)
    exact = sigmoid(zs)
    sig_abs = float(np.max(np.abs(got - exact)))
    sat = np.abs(zs) >= g
    saturated = float(np.max(np.abs(got[sat] - (zs[sat] > 0))))
    report = {
        "onnxruntime": ort.__version__,
        "tanh_relative": tanh_rel,
        "sigmoid_absolute": sig_abs,
        "sigmoid_saturated_beyond_gain": saturated,
    }
    print(json.dumps(report))
    ok = tanh_rel <= args.tanh_rel and sig_abs <= args.sigmoid_abs and saturated <= args.saturated
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    for flag in ("--onnx", "--safetensors", "--sidecar", "--cases", "--out"):
        r.add_argument(flag, required=True)
    m = sub.add_parser("measure")
    for flag in ("--tanh-rel", "--sigmoid-abs", "--saturated", "--gain"):
        m.add_argument(flag, type=float, required=True)
    args = p.parse_args()
    if args.command == "run":
        run(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
