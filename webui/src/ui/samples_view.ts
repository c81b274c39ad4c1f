// Many samples: the answers side by side, the common prefix dimmed, a marker where they first
// diverge, and how often each continuation occurred there.
import { visibleToken } from '../logic/confidence';
import type { SampleRun } from '../logic/conversations';
import { findDivergence } from '../logic/samples';
import { h } from './dom';

export function renderSamples(run: SampleRun, running: boolean): HTMLElement {
  const done = run.answers.filter((a) => !a.error);
  const d = findDivergence(done.map((a) => a.tokens));
  const groupOf = new Map<number, number>(); // answer index (within done) → continuation group
  d.continuations.forEach((c, g) => c.samples.forEach((s) => groupOf.set(s, g)));

  const seedRange = run.seeds.length ? `seeds ${run.seeds[0]}–${run.seeds[run.seeds.length - 1]}` : '';
  const summary = running
    ? h('p', { class: 'samples-summary', text: `Sampling ${run.answers.length + 1} of ${run.seeds.length}…` })
    : d.allAgree
      ? h('p', { class: 'samples-summary agree', text: `All ${done.length} samples agree${run.temperature === 0 ? ' (temperature 0 always takes the most likely token)' : ''}.` })
      : h('div', { class: 'samples-summary diverge' },
          h('span', { text: `First divergence at token ${d.index! + 1}: ` }),
          d.continuations.map((c, g) =>
            h('span', { class: `continuation group-${g % 6}`, attrs: { 'data-count': c.count } },
              h('code', { text: c.text === '' ? '(end)' : visibleToken(c.text) }), ` ×${c.count}`)));

  const grid = h('div', { class: 'samples-grid', attrs: { 'data-count': run.answers.length } });
  let k = 0;
  for (const answer of run.answers) {
    const column = h('section', { class: 'sample', attrs: { 'aria-label': `Sample with seed ${answer.seed}` } },
      h('h3', { class: 'sample-head', text: `seed ${answer.seed}` }));
    if (answer.error) {
      column.append(h('p', { class: 'error', text: answer.error }));
    } else {
      const index = k++;
      const body = h('div', { class: 'sample-text' });
      answer.tokens.forEach((t, i) => {
        if (d.index !== null && i === d.index) {
          body.append(h('span', { class: 'diverge-marker', attrs: { title: 'samples diverge here', 'aria-label': 'samples diverge here', role: 'img' } }));
        }
        const cls = d.index === null || i < d.index ? 'common' : i === d.index ? `first-diff group-${(groupOf.get(index) ?? 0) % 6}` : 'rest';
        body.append(h('span', { class: `stok ${cls}`, text: t.includes('\n') ? visibleToken(t) : t }));
        if (t.includes('\n')) body.append(h('br'));
      });
      if (d.index !== null && d.index >= answer.tokens.length) {
        body.append(h('span', { class: 'diverge-marker', attrs: { title: 'samples diverge here (this one ended)', role: 'img', 'aria-label': 'samples diverge here' } }), h('span', { class: 'stok first-diff', text: '(end)' }));
      }
      column.append(body);
    }
    grid.append(column);
  }
  return h('div', { class: 'samples' },
    h('p', { class: 'samples-title' },
      h('strong', { text: `${run.seeds.length} samples` }), ` at temperature ${run.temperature}, ${seedRange} — `,
      h('q', { text: run.prompt })),
    summary, grid);
}
