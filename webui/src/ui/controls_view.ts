// The sampling controls panel: presets, one row per control with its one-line explanation.
import { jsonHelp, numericControls, presets, type PresetName, type SamplingParams, seedHelp } from '../logic/params';
import { h, uid } from './dom';

// onChange returns the values as accepted (clamped); the panel shows those. It never rebuilds
// itself on a change (a change event can fire from blur while the panel is being replaced).
export function renderControls(params: SamplingParams, onChange: (p: SamplingParams) => SamplingParams, onPreset: (name: PresetName) => void): HTMLElement {
  const panel = h('section', { class: 'controls-panel', attrs: { 'aria-label': 'Sampling controls' } });
  let current = params;
  const syncers: (() => void)[] = [];
  const update = (patch: Partial<SamplingParams>) => {
    current = onChange({ ...current, ...patch });
    for (const sync of syncers) sync();
  };

  panel.append(h('h2', { text: 'Sampling' }),
    h('div', { class: 'presets', attrs: { role: 'group', 'aria-label': 'Presets' } },
      (Object.keys(presets) as PresetName[]).map((name) =>
        h('button', { class: 'preset', text: name, attrs: { type: 'button', title: presets[name].help, 'data-preset': name }, on: { click: () => onPreset(name) } }))));

  for (const c of numericControls) {
    const id = uid(c.key);
    const helpId = `${id}-help`;
    const set = (raw: string) => {
      const v = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(v)) update({ [c.key]: v } as Partial<SamplingParams>);
    };
    const sliderMax = c.key === 'max_tokens' ? 2048 : c.max;
    const slider = h('input', { attrs: { type: 'range', min: c.min, max: sliderMax, step: c.step, 'aria-label': `${c.label} slider`, 'aria-describedby': helpId, tabindex: -1 },
      value: String(Math.min(params[c.key], sliderMax)), on: { change: (e) => set((e.target as HTMLInputElement).value) } });
    const number = h('input', { class: 'num', attrs: { id, type: 'number', min: c.min, max: c.max, step: c.step, 'aria-describedby': helpId, name: c.key },
      value: String(params[c.key]), on: { change: (e) => set((e.target as HTMLInputElement).value) } });
    slider.addEventListener('input', () => { number.value = slider.value; });
    syncers.push(() => {
      number.value = String(current[c.key]);
      slider.value = String(Math.min(current[c.key], sliderMax));
    });
    panel.append(h('div', { class: 'control', attrs: { 'data-control': c.key } },
      h('label', { attrs: { for: id }, text: c.label }),
      h('div', { class: 'control-inputs' }, slider, number),
      h('p', { class: 'help', attrs: { id: helpId }, text: c.help })));
  }

  const seedId = uid('seed');
  const random = h('input', { attrs: { type: 'radio', name: 'seed-mode', value: 'random' }, checked: params.seedMode === 'random', on: { change: () => update({ seedMode: 'random' }) } });
  const fixed = h('input', { attrs: { type: 'radio', name: 'seed-mode', value: 'fixed' }, checked: params.seedMode === 'fixed', on: { change: () => update({ seedMode: 'fixed' }) } });
  const seed = h('input', { class: 'num', attrs: { id: seedId, type: 'number', min: 0, step: 1, name: 'seed' }, value: String(params.seed),
    on: { change: (e) => { const v = Number((e.target as HTMLInputElement).value); if (Number.isFinite(v)) update({ seed: v, seedMode: 'fixed' }); } } });
  syncers.push(() => {
    random.checked = current.seedMode === 'random';
    fixed.checked = current.seedMode === 'fixed';
    seed.value = String(current.seed);
  });
  panel.append(h('fieldset', { class: 'control seed', attrs: { 'data-control': 'seed', 'aria-describedby': `${seedId}-help` } },
    h('legend', { text: 'Seed' }),
    h('div', { class: 'control-inputs' },
      h('label', { class: 'radio' }, random, ' random'),
      h('label', { class: 'radio' }, fixed, ' fixed'),
      h('label', { class: 'sr-only', attrs: { for: seedId }, text: 'Seed value' }),
      seed),
    h('p', { class: 'help', attrs: { id: `${seedId}-help` }, text: seedHelp })));

  const jsonId = uid('json');
  const schema = h('textarea', { class: 'schema', attrs: { rows: 6, 'aria-label': 'JSON schema', spellcheck: 'false', name: 'json-schema' }, value: params.jsonSchema,
    on: { change: (e) => update({ jsonSchema: (e.target as HTMLTextAreaElement).value }) } });
  schema.hidden = params.jsonMode !== 'schema';
  syncers.push(() => { schema.hidden = current.jsonMode !== 'schema'; });
  panel.append(h('div', { class: 'control', attrs: { 'data-control': 'json' } },
    h('label', { attrs: { for: jsonId }, text: 'JSON mode' }),
    h('select', { attrs: { id: jsonId, 'aria-describedby': `${jsonId}-help`, name: 'json-mode' }, on: { change: (e) => update({ jsonMode: (e.target as HTMLSelectElement).value as SamplingParams['jsonMode'] }) } },
      ([['off', 'off (free text)'], ['json', 'any JSON'], ['schema', 'JSON schema']] as const).map(([v, label]) =>
        h('option', { attrs: { value: v, selected: params.jsonMode === v }, text: label }))),
    schema,
    h('p', { class: 'help', attrs: { id: `${jsonId}-help` }, text: jsonHelp })));
  return panel;
}
