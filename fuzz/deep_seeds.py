"""Seeds with deep structure for the fuzzers (nesting near and past every bound, long chains, long
lists), so that libFuzzer starts where the recursive and repeated paths of each reader are.
Writes fuzz/corpus/<target>/deep_*; run with the project's Python (onnx installed):
    .venv/bin/python fuzz/deep_seeds.py
"""
import json
import struct
from pathlib import Path

import onnx
from onnx import TensorProto, helper

CORPUS = Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def nested_json(depth, leaf='"gradient"'):
    return "[" * depth + leaf + "]" * depth


def study_configs():
    base = json.loads((CORPUS / "study_config" / "default.json").read_text())
    for depth in (62, 63, 64, 65):  # the reader's bound is 64 levels
        text = json.dumps(base)[:-1] + ', "reinit": ' + nested_json(depth, "{}") + "}"
        write("study_config", f"deep_{depth}.json", text)
    base["methods"] = [f"smoothgrad(gradient, n={n})" for n in range(1, 400)]
    write("study_config", "deep_long_methods.json", json.dumps(base))
    base["methods"] = ["smoothgrad(" * 8 + "gradient" + ")" * 8]
    write("study_config", "deep_nested_method.json", json.dumps(base))


def specs():
    # First byte: which registry (0 method, 1 metric, 2 check, 3 rule).
    for depth in (7, 8, 9, 40):  # specs nest at most 8 deep
        write("spec", f"deep_method_{depth}.txt", "\0" + "smoothgrad(" * depth + "gradient" + ")" * depth)
    write("spec", "deep_check.txt", "\2" + "smprt(metric=" * 6 + "ssim" + ")" * 6)
    write("spec", "deep_long_list.txt", "\0" + ",".join(f"smoothgrad(n={n}, sigma=0.{n})" for n in range(1, 300)))
    write("spec", "deep_rule.txt", "\3" + ",".join(f"epsilon(eps={n})" for n in range(1, 200)))


def rules():
    entries = [{"kind": "conv", "rule": "gamma(gamma=0.25)"}, {"position": "first", "rule": "zbox(low=-1, high=1)"},
               {"layer": "fc1", "rule": "epsilon(eps=0.5)"}]
    write("rules", "list.json", json.dumps(entries))
    write("rules", "object.json", json.dumps({"rules": entries}))
    write("rules", "deep_long.json", json.dumps([{"layer": f"layer{i}", "rule": "epsilon"} for i in range(500)]))
    for depth in (63, 65):
        write("rules", f"deep_{depth}.json", json.dumps({"rules": None})[:-1].replace("null", nested_json(depth, "{}")) + "}")


def npy_header(descr, shape_text):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def npys():
    write("npy", "deep_tuple.npy", npy_header("<f4", "(" * 100 + "1," + ")" * 100))
    write("npy", "deep_many_dims.npy", npy_header("<f4", "(" + "1, " * 64 + ")") + b"\0" * 4)
    write("npy", "deep_long_dims.npy", npy_header("<f4", "(2, 1, 3, 3)") + b"\0" * 72)


def idx():
    for dims in (4, 255):
        write("idx", f"deep_dims_{dims}.idx", bytes([0, 0, 8, dims]) + struct.pack(">I", 1) * dims + b"\1")


def onnx_model(nodes, inits, name):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph(nodes, name, [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def onnxs():
    # A long chain: 400 Relu and Add nodes.
    nodes, prev = [], "x"
    bias = helper.make_tensor("b", TensorProto.FLOAT, [4], [0.5, -0.5, 0.25, 0])
    for i in range(200):
        nodes.append(helper.make_node("Add", [prev, "b"], [f"a{i}"]))
        nodes.append(helper.make_node("Relu", [f"a{i}"], [f"r{i}"]))
        prev = f"r{i}"
    write("onnx", "deep_chain.onnx", onnx_model(nodes, [bias], "chain").SerializeToString())
    # Subgraphs nested 30 deep (If's branches): the importer must refuse them, not recurse.
    leaf = helper.make_graph([helper.make_node("Relu", ["x"], ["y0"])], "g0", [],
                             [helper.make_tensor_value_info("y0", TensorProto.FLOAT, [1, 4])])
    inner = leaf
    for d in range(1, 30):
        cond = helper.make_tensor("c", TensorProto.BOOL, [], [True])
        node = helper.make_node("If", ["c"], [f"y{d}"], then_branch=inner, else_branch=leaf)  # one deep branch: linear size
        inner = helper.make_graph([node], f"g{d}", [], [helper.make_tensor_value_info(f"y{d}", TensorProto.FLOAT, [1, 4])],
                                  [cond])
    top = onnx_model(list(inner.node), list(inner.initializer), "nested")
    write("onnx", "deep_nested_if.onnx", top.SerializeToString())


if __name__ == "__main__":
    study_configs()
    specs()
    rules()
    npys()
    idx()
    onnxs()
