// Incremental parser for Server-Sent Events: feed it decoded text in arbitrary pieces, get back
// the `data:` payloads of every complete event.
export class SseParser {
  private buffer = '';

  push(text: string): string[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: string[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = dataOf(block);
      if (data !== null) events.push(data);
    }
    return events;
  }

  // The last event may lack its blank line when the stream ends.
  finish(): string[] {
    const rest = this.buffer;
    this.buffer = '';
    const data = dataOf(rest);
    return data === null ? [] : [data];
  }
}

function dataOf(block: string): string | null {
  const lines = block.split('\n').filter((l) => l.startsWith('data:'));
  if (lines.length === 0) return null;
  return lines.map((l) => l.slice(5).replace(/^ /, '')).join('\n');
}
