// Drives hearth serve with the official `ollama` package: generate and chat, streaming and
// not, options, format, tags/show/ps/embed/version, preload and unload. Prints observations
// as JSON for tests/server/test_clients.cpp to check.
import { load, main } from './common.mjs';

main(async (a) => {
  const { Ollama } = load(a.modules, 'ollama');
  const ollama = new Ollama({ host: a.base });
  const out = {};

  out.version = await ollama.version();
  out.tags = (await ollama.list()).models.map((m) => ({ name: m.name, size: m.size, details: m.details }));

  const pre = await ollama.generate({ model: a.text_model, prompt: '' });
  out.preload = { done: pre.done, done_reason: pre.done_reason };
  out.ps_after_preload = (await ollama.ps()).models.map((m) => m.name);

  const gen = await ollama.generate({ model: a.text_model, prompt: 'Once upon a time', raw: true, options: { temperature: 0, num_predict: 16 } });
  out.generate = {
    response: gen.response, done: gen.done, done_reason: gen.done_reason, eval_count: gen.eval_count,
    prompt_eval_count: gen.prompt_eval_count, total_duration: gen.total_duration, eval_duration: gen.eval_duration,
  };

  const gstream = await ollama.generate({ model: a.text_model, prompt: 'Once upon a time', raw: true, stream: true, options: { temperature: 0, num_predict: 16 } });
  let text = '';
  let last = null;
  let parts = 0;
  for await (const part of gstream) {
    parts++;
    text += part.response;
    if (part.done) last = part;
  }
  out.generate_stream = { response: text, parts, done_reason: last && last.done_reason, eval_count: last && last.eval_count };

  const messages = [{ role: 'user', content: 'Say hello.' }];
  const chat = await ollama.chat({ model: a.chat_model, messages, options: { temperature: 0, num_predict: 12, seed: 3 } });
  out.chat = { content: chat.message.content, role: chat.message.role, done_reason: chat.done_reason, eval_count: chat.eval_count };

  const cstream = await ollama.chat({ model: a.chat_model, messages, stream: true, options: { temperature: 0, num_predict: 12, seed: 3 } });
  let ctext = '';
  let clast = null;
  for await (const part of cstream) {
    ctext += part.message.content;
    if (part.done) clast = part;
  }
  out.chat_stream = { content: ctext, done_reason: clast && clast.done_reason, eval_count: clast && clast.eval_count };

  const js = await ollama.chat({ model: a.chat_model, messages: [{ role: 'user', content: 'JSON please' }], format: 'json', options: { temperature: 0, num_predict: 48 } });
  out.json_format = { content: js.message.content, done_reason: js.done_reason };

  const show = await ollama.show({ model: a.chat_model });
  out.show = { family: show.details.family, has_template: show.template.length > 0 };

  const emb = await ollama.embed({ model: a.text_model, input: ['Once upon a time', 'The end'] });
  out.embed = emb.embeddings.map((e) => ({ length: e.length, norm: Math.sqrt(e.reduce((s, x) => s + x * x, 0)) }));

  const unload = await ollama.generate({ model: a.text_model, prompt: '', keep_alive: 0 });
  out.unload = { done_reason: unload.done_reason };
  // The unload happens when the model is idle; the reaper runs every 250 ms.
  await new Promise((r) => setTimeout(r, 600));
  out.ps_after_unload = (await ollama.ps()).models.map((m) => m.name);

  try {
    await ollama.generate({ model: 'no-such-model', prompt: 'hi' });
    out.unknown_model = { status: 0 };
  } catch (e) {
    out.unknown_model = { status: e.status_code, message: e.error || e.message };
  }
  return out;
});
