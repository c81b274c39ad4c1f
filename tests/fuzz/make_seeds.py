#!/usr/bin/env python3
"""Writes the small, complete GGUF seed files in tests/fuzz/seeds/.

The shared fixtures are megabytes long and are cut to 64 KiB for the fuzzer, so none of
them reaches the tensor-bounds checks intact; these seeds do (every one parses). Re-run
after changing it:  python3 tests/fuzz/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds")

# ggml type id -> (block size, bytes per block)
TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
         10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18),
         23: (256, 136), 24: (1, 1), 26: (1, 4), 28: (1, 8), 30: (1, 2)}


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q", 12: "<d"}


def payload(vtype, value):
    if vtype == 8:
        return gstr(value)
    if vtype == 9:
        etype, items = value
        out = struct.pack("<iQ", etype, len(items))
        for it in items:
            out += payload(etype, it)
        return out
    return struct.pack(SCALAR[vtype], value)


def gguf(kvs, tensors, alignment=32, version=3):
    """kvs: [(key, vtype, value)]; tensors: [(name, ne, type)] packed in order."""
    out = b"GGUF" + struct.pack("<IqQ", version, len(tensors), len(kvs))
    for key, vtype, value in kvs:
        out += gstr(key) + struct.pack("<i", vtype) + payload(vtype, value)
    offset, sizes = 0, []
    for name, ne, ttype in tensors:
        bs, ts = TYPES[ttype]
        n = 1
        for d in ne:
            n *= d
        nbytes = n // bs * ts
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<q", d) for d in ne)
        out += struct.pack("<IQ", ttype, offset)
        sizes.append(nbytes)
        offset += (nbytes + alignment - 1) // alignment * alignment
    if tensors:
        out += b"\0" * (-len(out) % alignment)
    for i, nbytes in enumerate(sizes):
        out += bytes((i * 31 + k) & 0xFF for k in range(nbytes))
        out += b"\0" * (-len(out) % alignment)
    return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    # Spec §1.6a: the 384-byte worked example.
    example = gguf([("general.alignment", 4, 32)], [("w", [32, 2], 0)])
    assert len(example) == 384
    write("example-384.gguf", example)

    # Every value type, arrays of each, a nested array, alignment 64, many tensor types.
    kvs = [
        ("general.architecture", 8, "llama"),
        ("general.alignment", 4, 64),
        ("k.u8", 0, 200), ("k.i8", 1, -3), ("k.u16", 2, 65535), ("k.i16", 3, -2), ("k.u32", 4, 7),
        ("k.i32", 5, -7), ("k.f32", 6, 1.5), ("k.bool", 7, 1), ("k.str", 8, ""), ("k.u64", 10, 2**64 - 1),
        ("k.i64", 11, -(2**63)), ("k.f64", 12, -0.25),
        ("k.arr.u8", 9, (0, [1, 2, 3])), ("k.arr.str", 9, (8, ["a", "", "bc"])), ("k.arr.f32", 9, (6, [0.5])),
        ("k.arr.empty", 9, (5, [])), ("k.nested", 9, (9, [(5, [1, 2]), (5, [])])),
        ("general.file_type", 4, 15),
    ]
    tensors = [("t.f32", [8, 2], 0), ("t.f16", [4], 1), ("t.q4_0", [32, 2], 2), ("t.q8_0", [64], 8),
               ("t.q4_k", [256], 12), ("t.q6_k", [256], 14), ("t.empty", [0, 4], 0), ("t.scalar", [], 0),
               ("t.i8", [3, 1, 1, 1], 24)]
    write("all-types.gguf", gguf(kvs, tensors, alignment=64))

    # A miniature llama: tokenizer arrays and a few quantized weights.
    toks = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(8)] + ["\u2581the", "a", "b"]
    kvs = [
        ("general.architecture", 8, "llama"), ("llama.block_count", 4, 1), ("llama.context_length", 4, 64),
        ("llama.embedding_length", 4, 32), ("llama.feed_forward_length", 4, 64),
        ("llama.attention.head_count", 4, 2), ("llama.attention.layer_norm_rms_epsilon", 6, 1e-5),
        ("tokenizer.ggml.model", 8, "llama"), ("tokenizer.ggml.tokens", 9, (8, toks)),
        ("tokenizer.ggml.scores", 9, (6, [float(-i) for i in range(len(toks))])),
        ("tokenizer.ggml.token_type", 9, (5, [2, 3, 3] + [6] * 8 + [1, 1, 1])),
        ("tokenizer.ggml.bos_token_id", 4, 1), ("tokenizer.ggml.add_bos_token", 7, 1),
        ("general.quantization_version", 4, 2),
    ]
    tensors = [("token_embd.weight", [32, len(toks)], 8), ("output_norm.weight", [32], 0),
               ("blk.0.attn_q.weight", [32, 32], 2), ("blk.0.ffn_up.weight", [32, 64], 3)]
    write("mini-llama.gguf", gguf(kvs, tensors))

    # Metadata only (like the vocab fixtures), version 2.
    write("vocab-only-v2.gguf", gguf(kvs[7:], [], version=2))


if __name__ == "__main__":
    main()
