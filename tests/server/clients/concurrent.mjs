// N streaming clients at once (openai package, temperature 0), then each request alone:
// continuous batching must not change anyone's output. Prints {"together": [...], "alone": [...]}.
import { load, main } from './common.mjs';

main(async (a) => {
  const OpenAI = load(a.modules, 'openai').default;
  const client = new OpenAI({ baseURL: `${a.base}/v1`, apiKey: a.key || 'none', maxRetries: 0 });
  const n = Number(a.n || 8);
  const starts = ['Once upon a time', 'The little dog', 'Lily wanted to', 'One day, a bird', 'Tom and Sam',
    'The sun was', 'A big red ball', 'Mom said'];
  const run = async (i) => {
    const stream = await client.completions.create({
      model: a.text_model, prompt: starts[i % starts.length], temperature: 0, max_tokens: Number(a.tokens || 48), stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const c of stream) {
      if (c.choices[0]) { text += c.choices[0].text || ''; chunks++; }
    }
    return { text, chunks };
  };
  const together = await Promise.all(Array.from({ length: n }, (_, i) => run(i)));
  const alone = [];
  for (let i = 0; i < n; i++) alone.push(await run(i));
  return { together, alone };
});
