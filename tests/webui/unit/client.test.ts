// streamChat against a mocked fetch: SSE chunks split at awkward places, errors, aborts.
import { ApiError, listModels, streamChat } from '../../../webui/src/api/client';
import { SseParser } from '../../../webui/src/api/sse';
import { buildChatRequest, defaultParams } from '../../../webui/src/logic/params';

function sseResponse(pieces: string[], status = 200): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(encoder.encode(p));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { 'Content-Type': 'text/event-stream' } });
}

const tok = (token: string, logprob: number) => ({ token, logprob, bytes: [...new TextEncoder().encode(token)], top_logprobs: [{ token, logprob }], entropy: 0.5 });

function chunk(content: string, tokens: object[]) {
  return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, logprobs: { content: tokens }, finish_reason: null }] })}\n\n`;
}

const request = buildChatRequest('m', [{ role: 'user', content: 'hi' }], defaultParams, { seed: 7 });

describe('SseParser', () => {
  it('joins events split across pieces and ignores comments', () => {
    const p = new SseParser();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(':1}\n\n: keep-alive\n\ndata: [DO')).toEqual(['{"a":1}']);
    expect(p.push('NE]\r\n\r\n')).toEqual(['[DONE]']);
    expect(p.push('data: tail')).toEqual([]);
    expect(p.finish()).toEqual(['tail']);
  });
});

describe('streamChat', () => {
  it('collects deltas, tokens, finish reason, usage and timings', async () => {
    const whole = [
      chunk('Hel', [tok('Hel', -0.1)]),
      chunk('lo', [tok('lo', -2.3)]),
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], hearth: { stop_reason: 'context_full' } })}\n\n`,
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }, timings: { seed: 7, n_ctx: 512, ttft_ms: 3 } })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
    // Split at every 7th character: events straddle reads.
    const pieces = whole.match(/[\s\S]{1,7}/g)!;
    let sent: any = null;
    const fetchMock = vi.fn(async (_url: any, init: any) => {
      sent = JSON.parse(init.body);
      return sseResponse(pieces);
    });
    const deltas: string[] = [];
    const r = await streamChat(fetchMock as any, request, { onDelta: (t) => deltas.push(t) });
    expect(fetchMock).toHaveBeenCalledWith('/v1/chat/completions', expect.anything());
    expect(sent).toMatchObject({ model: 'm', stream: true, stream_options: { include_usage: true }, logprobs: true, top_logprobs: 5, seed: 7, top_k: 40, min_p: 0.05, repeat_penalty: 1.1 });
    expect(r.text).toBe('Hello');
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(r.tokens.map((t) => t.token)).toEqual(['Hel', 'lo']);
    expect(r.finishReason).toBe('length');
    expect(r.stopReason).toBe('context_full');
    expect(r.usage?.total_tokens).toBe(7);
    expect(r.timings?.seed).toBe(7);
    expect(r.aborted).toBe(false);
  });

  it('turns an HTTP error body into an ApiError with the server message', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ error: { message: "'temperature' must be >= 0" } }), { status: 400 }));
    await expect(streamChat(fetchMock as any, request, {})).rejects.toThrow(/HTTP 400: 'temperature' must be >= 0/);
    await expect(streamChat(fetchMock as any, request, {})).rejects.toBeInstanceOf(ApiError);
  });

  it('rejects a malformed chunk instead of ignoring it', async () => {
    const fetchMock = vi.fn(async () => sseResponse(['data: {not json\n\n']));
    await expect(streamChat(fetchMock as any, request, {})).rejects.toThrow(/malformed stream chunk/);
  });

  it('reports an error event sent inside the stream', async () => {
    const fetchMock = vi.fn(async () => sseResponse([chunk('a', []), 'data: {"error":{"message":"model unloaded"}}\n\n']));
    await expect(streamChat(fetchMock as any, request, {})).rejects.toThrow(/model unloaded/);
  });

  it('resolves with the partial answer when aborted', async () => {
    const controller = new AbortController();
    const encoder = new TextEncoder();
    const fetchMock = vi.fn(async (_u: any, init: any) => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(encoder.encode(chunk('part', [tok('part', -1)])));
          init.signal.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { status: 200 });
    });
    const r = await streamChat(fetchMock as any, request, { onDelta: () => controller.abort() }, controller.signal);
    expect(r.aborted).toBe(true);
    expect(r.text).toBe('part');
  });
});

describe('listModels', () => {
  it('reads the hearth extension fields', async () => {
    const body = { object: 'list', data: [{ id: 'tiny', object: 'model', created: 1, owned_by: 'hearth', hearth: { loaded: true, context_length: 512, size_bytes: 10, quantization: 'Q8_0' } }, { id: 'other', object: 'model' }] };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(body)));
    const models = await listModels(fetchMock as any);
    expect(models).toEqual([
      { id: 'tiny', loaded: true, contextLength: 512, sizeBytes: 10, quantization: 'Q8_0' },
      { id: 'other', loaded: false, contextLength: undefined, sizeBytes: undefined, quantization: undefined },
    ]);
  });
});
