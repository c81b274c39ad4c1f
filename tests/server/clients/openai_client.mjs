// Drives hearth serve with the official `openai` package: chat and completions, streaming and
// not, logprobs, usage, models, embeddings, and an error through the client. Prints the
// observations as JSON for tests/server/test_clients.cpp to check.
import { load, main } from './common.mjs';

main(async (a) => {
  const OpenAI = load(a.modules, 'openai').default;
  const client = new OpenAI({ baseURL: `${a.base}/v1`, apiKey: a.key || 'none', maxRetries: 0 });
  const out = {};

  const models = await client.models.list();
  out.models = models.data.map((m) => ({ id: m.id, hearth: m.hearth }));

  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ];
  const chat = await client.chat.completions.create({
    model: a.chat_model, messages, temperature: 0, max_tokens: 12, seed: 7, logprobs: true, top_logprobs: 3,
  });
  out.chat = {
    content: chat.choices[0].message.content,
    finish_reason: chat.choices[0].finish_reason,
    usage: chat.usage,
    timings: chat.timings,
    logprobs: chat.choices[0].logprobs.content,
  };

  const stream = await client.chat.completions.create({
    model: a.chat_model, messages, temperature: 0, max_tokens: 12, seed: 7, stream: true,
    stream_options: { include_usage: true }, logprobs: true, top_logprobs: 2,
  });
  let text = '';
  let finish = null;
  let usage = null;
  let timings = null;
  let lpTokens = 0;
  let chunks = 0;
  let topOk = true;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) { usage = chunk.usage; timings = chunk.timings; }
    const c = chunk.choices[0];
    if (!c) continue;
    if (c.delta && c.delta.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
    if (c.logprobs && c.logprobs.content) {
      for (const t of c.logprobs.content) {
        lpTokens++;
        if (t.top_logprobs.length !== 2 || typeof t.entropy !== 'number') topOk = false;
      }
    }
  }
  out.chat_stream = { content: text, finish_reason: finish, usage, timings, logprob_tokens: lpTokens, chunks, top_ok: topOk };

  const comp = await client.completions.create({
    model: a.text_model, prompt: 'Once upon a time', temperature: 0, max_tokens: 16,
  });
  out.completion = { text: comp.choices[0].text, finish_reason: comp.choices[0].finish_reason, usage: comp.usage };

  const cstream = await client.completions.create({
    model: a.text_model, prompt: 'Once upon a time', temperature: 0, max_tokens: 16, stream: true,
  });
  let ctext = '';
  let cfinish = null;
  for await (const chunk of cstream) {
    if (chunk.choices[0]) {
      ctext += chunk.choices[0].text || '';
      if (chunk.choices[0].finish_reason) cfinish = chunk.choices[0].finish_reason;
    }
  }
  out.completion_stream = { text: ctext, finish_reason: cfinish };

  const emb = await client.embeddings.create({ model: a.text_model, input: ['Once upon a time', 'The end'] });
  out.embeddings = emb.data.map((d) => ({ length: d.embedding.length, norm: Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0)) }));

  try {
    await client.chat.completions.create({ model: 'no-such-model', messages });
    out.unknown_model = { status: 0 };
  } catch (e) {
    out.unknown_model = { status: e.status, message: e.message };
  }
  return out;
});
