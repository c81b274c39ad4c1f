// Load generator for `make bench-server` (plain fetch, no packages): aggregate generation
// throughput at 1, 2, 4 and 8 concurrent streams, and time to first token for a ~500-token
// prompt with and without its prefix in the server's prefix cache.
//   node scripts/bench_server.mjs --base http://127.0.0.1:PORT --model NAME [--tokens 32]
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const base = args.base;
const model = args.model;
const genTokens = Number(args.tokens || 32);
const levels = (args.levels || '1,2,4,8').split(',').map(Number);

// One streaming completion; returns {ttft_ms, tokens, ms, prompt_tokens, cached}.
async function stream(prompt, maxTokens) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, prompt, max_tokens: maxTokens, temperature: 0, stream: true,
      stream_options: { include_usage: true } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let ttft = null;
  let usage = null;
  let timings = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, at);
      buf = buf.slice(at + 2);
      if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
      const j = JSON.parse(ev.slice(6));
      if (ttft === null && j.choices && j.choices[0] && j.choices[0].text) ttft = performance.now() - t0;
      if (j.usage) { usage = j.usage; timings = j.timings; }
    }
  }
  return { ttft_ms: ttft ?? performance.now() - t0, tokens: usage ? usage.completion_tokens : 0, ms: performance.now() - t0,
    prompt_tokens: usage ? usage.prompt_tokens : 0, cached: timings ? timings.prompt_cached : 0 };
}

// Deterministic filler text of roughly n tokens.
function filler(n, seed) {
  const words = ['river', 'stone', 'garden', 'light', 'window', 'market', 'silver', 'morning', 'bridge', 'forest',
    'engine', 'letter', 'harbor', 'candle', 'meadow', 'winter', 'copper', 'lantern', 'valley', 'thunder'];
  let x = seed >>> 0;
  const out = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out.push(words[x % words.length]);
  }
  return out.join(' ');
}

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

await stream('Warm up', 4);
const results = {};
for (const n of levels) {
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => stream(`Story ${i}: ${filler(8, 100 + i)}`, genTokens)));
  const secs = (performance.now() - t0) / 1000;
  const tokens = runs.reduce((s, r) => s + r.tokens, 0);
  results[n] = tokens / secs;
  console.log(`streams=${n}  tokens=${tokens}  wall=${secs.toFixed(2)} s  aggregate=${results[n].toFixed(2)} tok/s`);
}
if (results[1] && results[4]) console.log(`4 streams / 1 stream = ${(results[4] / results[1]).toFixed(2)}x (target >= 1.5x)`);

const uncached = [];
const cached = [];
for (let rep = 0; rep < 3; rep++) {
  const prefix = filler(500, 7000 + rep);  // a fresh prefix each time: nothing cached yet
  const cold = await stream(`${prefix} question ${rep}a`, 1);
  uncached.push(cold.ttft_ms);
  const warm = await stream(`${prefix} question ${rep}b`, 1);  // same prefix: served from the cache
  cached.push(warm.ttft_ms);
  console.log(`prefix ${rep}: prompt ${cold.prompt_tokens} tokens, uncached TTFT ${cold.ttft_ms.toFixed(1)} ms; ` +
    `cached (${warm.cached} tokens reused) TTFT ${warm.ttft_ms.toFixed(1)} ms`);
}
const u = median(uncached);
const c = median(cached);
console.log(`TTFT median: uncached ${u.toFixed(1)} ms, cached prefix ${c.toFixed(1)} ms = ${(100 * c / u).toFixed(1)}% (target <= 20%)`);
