// app.js: the nosedive lab's page. Plain JavaScript, no framework, no
// build step. Routes live in the address's #fragment:
//   #/editor  #/runs  #/run/ID  #/compare/A/B  #/citizen/ID/AGENT[/WITHOUT]
// The scenario being edited lives only in this browser tab (and its
// sessionStorage); the server keeps no drafts.
'use strict';

const $ = sel => document.querySelector(sel);
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v; // CSSOM, allowed by the page's CSP
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null) e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  return e;
}
function status(msg, bad) {
  const s = $('#status');
  s.textContent = msg || '';
  s.className = 'status' + (bad ? ' bad' : '');
}
// api GETs path, or POSTs body as JSON. A GET never changes the store:
// when what it reads is not made yet (a run's audit, a twin run for a
// counterfactual year), the server answers 409 with the POST that makes
// it; api sends that POST and asks once more.
async function api(path, body, retried) {
  const opt = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const r = await fetch(path, opt);
  let data = null;
  try { data = await r.json(); } catch (e) { /* empty body */ }
  if (r.status === 409 && data && data.post && body === undefined && !retried) {
    await api(data.post, data.body || {});
    return api(path, undefined, true);
  }
  if (!r.ok) {
    const err = new Error((data && data.error) || `${r.status} ${r.statusText}`);
    err.data = data; err.status = r.status;
    throw err;
  }
  return data;
}
const pct = v => v == null || !isFinite(v) ? 'n/a' : (100 * v).toFixed(1) + '%';
const num = v => v == null || !isFinite(v) ? 'n/a' : (Math.round(v * 10) / 10).toLocaleString('en');
// A disparity's ratio: null when it is undefined (0/0: n/a) or unbounded
// (the reference rate is 0: flagged).
const ratio = d => d.ratio != null && isFinite(d.ratio) ? d.ratio.toFixed(2) : d.outside_four_fifths ? 'unbounded' : 'n/a';
const big = n => Number(n).toLocaleString('en');

// ---------- the draft (this tab only) ----------
const draft = {
  file: 'scenario.yaml', yaml: '', base: null, model: null,
  sets: new Map(), // path -> value, in the order set
  save() { sessionStorage.setItem('nosedive-draft', JSON.stringify({ file: this.file, yaml: this.yaml, base: this.base, sets: [...this.sets] })); },
  restore() {
    try {
      const d = JSON.parse(sessionStorage.getItem('nosedive-draft'));
      if (d && typeof d.yaml === 'string') { this.file = d.file; this.yaml = d.yaml; this.base = d.base; this.sets = new Map(d.sets); return true; }
    } catch (e) { /* none */ }
    return false;
  },
  setList() { return [...this.sets].map(([k, v]) => `${k}=${v}`); },
};

// ---------- editor ----------
let validateSeq = 0, validateTimer = null, lastValidation = null;
function lineHeight() { return parseFloat(getComputedStyle($('#yaml')).lineHeight) || 18; }
let gutterKey = '';
function renderGutter(diags) {
  let lines = 1;
  for (let i = draft.yaml.indexOf('\n'); i >= 0; i = draft.yaml.indexOf('\n', i + 1)) lines++;
  const bad = new Map();
  for (const d of diags || []) if (d.line > 0) bad.set(d.line, (bad.get(d.line) || []).concat(d.msg));
  // Rebuild only when the line count or the flagged lines change (typing
  // within a line must stay cheap, even in a long file).
  const key = lines + '|' + JSON.stringify([...bad]);
  if (key === gutterKey) { syncScroll(); return; }
  gutterKey = key;
  const g = $('#gutter');
  g.textContent = '';
  for (let i = 1; i <= lines; i++) {
    const row = h('div', { class: bad.has(i) ? 'ln bad' : 'ln' }, bad.has(i) ? '▶ ' + i : String(i));
    if (bad.has(i)) row.title = bad.get(i).join('\n');
    g.appendChild(row);
  }
  const marks = $('#marks');
  marks.textContent = '';
  const lh = lineHeight();
  for (const [line, msgs] of bad) {
    marks.appendChild(h('div', { class: 'mark', style: `top:${(line - 1) * lh + 6}px;height:${lh}px`, 'data-line': line, title: msgs.join('\n') }));
  }
  syncScroll();
}
function syncScroll() {
  const ta = $('#yaml');
  $('#gutter').style.transform = `translateY(${-ta.scrollTop}px)`;
  $('#marks').style.transform = `translate(${-ta.scrollLeft}px, ${-ta.scrollTop}px)`;
}
function goToLine(line, col) {
  const ta = $('#yaml');
  const lines = ta.value.split('\n');
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  off += Math.max(0, (col || 1) - 1);
  ta.focus();
  ta.setSelectionRange(off, off);
  ta.scrollTop = Math.max(0, (line - 5) * lineHeight());
  syncScroll();
}
function renderDiags(v) {
  const box = $('#diags');
  box.textContent = '';
  const badge = $('#valid');
  if (!v) { badge.textContent = ''; return; }
  if (v.ok) {
    badge.textContent = '✓ valid';
    badge.className = 'badge ok';
    box.appendChild(h('p', { class: 'ok' }, `No problems. The run will have ${big(v.agents)} people over ${big(v.days)} days.`));
  } else {
    badge.textContent = `✗ ${v.diagnostics.length} problem${v.diagnostics.length === 1 ? '' : 's'}`;
    badge.className = 'badge bad';
    const ul = h('ul', { class: 'diag-list', 'aria-label': 'Problems in the scenario' });
    for (const d of v.diagnostics) {
      const where = d.line > 0 ? `Line ${d.line}, column ${d.col}` : 'Settings';
      const li = h('li', { class: 'diag' });
      if (d.line > 0) li.appendChild(h('button', { type: 'button', class: 'linkish', 'data-line': d.line, onclick: () => goToLine(d.line, d.col) }, where));
      else li.appendChild(h('strong', {}, where));
      li.appendChild(document.createTextNode(': ' + d.msg));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }
}
async function validateNow() {
  const seq = ++validateSeq;
  try {
    const v = await api('/api/validate', { file: draft.file, yaml: draft.yaml, sets: draft.setList() });
    if (seq !== validateSeq) return;
    lastValidation = v;
    if (v.model) { draft.model = v.model; renderForm(); }
    renderDiags(v);
    renderGutter(v.diagnostics);
  } catch (e) {
    if (seq === validateSeq) { status(e.message, true); lastValidation = null; renderDiags({ ok: false, diagnostics: [{ line: 0, msg: e.message }] }); }
  }
}
function scheduleValidate() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validateNow, 300);
  draft.save();
}
function setOverride(path, value, baseValue) {
  if (value === '' || String(value) === String(baseValue)) draft.sets.delete(path);
  else draft.sets.set(path, String(value));
  renderSets();
  scheduleValidate();
}
function renderSets() {
  const ul = $('#sets');
  ul.textContent = '';
  if (draft.sets.size === 0) ul.appendChild(h('li', { class: 'muted' }, 'none: the scenario runs as written'));
  for (const [k, v] of draft.sets) {
    ul.appendChild(h('li', {}, h('code', {}, `--set ${k}=${v}`), ' ',
      h('button', { type: 'button', class: 'small', 'aria-label': `Remove override ${k}`, onclick: () => { draft.sets.delete(k); renderSets(); renderForm(); scheduleValidate(); } }, 'remove')));
  }
}
let fieldSeq = 0;
// A slider's position and a knob's value: linear, or logarithmic for a
// range spanning orders of magnitude (the population size).
function sliderPos(r, v) {
  if (r.log) return Math.round(1000 * Math.log(Math.max(v, r.min) / r.min) / Math.log(r.max / r.min));
  return v;
}
function sliderValue(r, p) {
  if (!r.log) return p;
  const v = r.min * Math.pow(r.max / r.min, p / 1000);
  const mag = Math.pow(10, Math.max(0, Math.floor(Math.log10(v)) - 1)); // two significant digits
  return Math.min(r.max, Math.max(r.min, Math.round(v / mag) * mag));
}
// numberField is a knob: a number box and, given a range r ({min, max,
// step, log}), a slider next to it; moving either updates the other, and
// letting go (change) sets the override and revalidates.
function numberField(label, path, base, r) {
  const id = 'k' + (++fieldSeq);
  const cur = draft.sets.has(path) ? draft.sets.get(path) : base;
  const attrs = { id, type: 'number', value: cur == null ? '' : cur, 'data-path': path };
  if (r) Object.assign(attrs, { min: r.min, max: r.max, step: r.step });
  const inp = h('input', attrs);
  inp.addEventListener('change', () => setOverride(path, inp.value, base));
  const kids = [h('label', { for: id }, label)];
  if (r) {
    const sl = h('input', { type: 'range', min: r.log ? 0 : r.min, max: r.log ? 1000 : r.max, step: r.log ? 1 : r.step, 'data-slider': path,
      'aria-label': `${label}: slider from ${r.min} to ${r.max}`, title: `${r.min} to ${big(r.max)}${r.derived ? ' (a range the lab chose: see docs/web.md)' : ''}` });
    sl.value = sliderPos(r, Number(cur));
    sl.addEventListener('input', () => { inp.value = sliderValue(r, Number(sl.value)); });
    sl.addEventListener('change', () => { inp.value = sliderValue(r, Number(sl.value)); setOverride(path, inp.value, base); });
    inp.addEventListener('input', () => { if (inp.value !== '' && isFinite(Number(inp.value))) sl.value = sliderPos(r, Number(inp.value)); });
    kids.push(h('div', { class: 'knob' }, sl, inp), h('span', { class: 'range muted' }, `${big(r.min)} – ${big(r.max)}${r.derived ? ' *' : ''}`));
  } else kids.push(inp);
  return h('div', { class: 'field' + (r ? ' slid' : '') + (draft.sets.has(path) ? ' changed' : '') }, ...kids);
}
// amountField is a rule's amount: text (a number or an expression), with
// a slider while it is a plain number.
function amountField(label, path, base, r) {
  const cur = draft.sets.has(path) ? draft.sets.get(path) : base;
  if (!/^\s*-?\d+(\.\d+)?\s*$/.test(String(cur))) return textField(label, path, base);
  const v = Number(cur);
  const span = Math.max(r.span, 2 * Math.abs(v));
  return numberField(label, path, base, { min: -span, max: span, step: 0.5, derived: true });
}
function textField(label, path, base) {
  const id = 'k' + (++fieldSeq);
  const inp = h('input', { id, type: 'text', value: draft.sets.has(path) ? draft.sets.get(path) : base, 'data-path': path });
  inp.addEventListener('change', () => setOverride(path, inp.value.includes(' ') || inp.value.includes(':') ? JSON.stringify(inp.value) : inp.value, base));
  return h('div', { class: 'field wide' + (draft.sets.has(path) ? ' changed' : '') }, h('label', { for: id }, label), inp);
}
function toggleField(label, checked, onChange, extra) {
  const id = 'k' + (++fieldSeq);
  const inp = h('input', Object.assign({ id, type: 'checkbox' }, extra || {}));
  inp.checked = checked;
  inp.addEventListener('change', () => onChange(inp.checked));
  return h('div', { class: 'field check' }, inp, h('label', { for: id }, label));
}
function renderForm() {
  const f = $('#knobs');
  const m = draft.model;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.path || document.activeElement.dataset.slider || document.activeElement.id : null;
  f.textContent = '';
  if (!m) { f.appendChild(h('p', { class: 'muted' }, 'The form appears once the YAML validates.')); return; }
  fieldSeq = 0;
  const lim = m.limits || { max_agents: 2000000, max_days: 3650, score: [0, 100] };
  const [slo, shi] = lim.score;
  const run = h('fieldset', {}, h('legend', {}, 'Run'),
    numberField('Population size (people)', 'run.agents', m.agents, { min: 2, max: lim.max_agents, step: 1, log: true }),
    numberField('Days', 'run.days', m.days, { min: 1, max: lim.max_days, step: 1 }),
    numberField('Seed', 'run.seed', m.seed, { min: 0, max: 9999, step: 1, derived: true }));
  f.appendChild(run);
  for (const r of m.regions) {
    const fs = h('fieldset', {}, h('legend', {}, `Region ${r.name}`),
      numberField('Share of the population', `population.regions.${r.name}.share`, r.share, { step: 0.01, min: 0.01, max: 1 }),
      numberField('Cameras per 1,000 people', `population.regions.${r.name}.cameras_per_1000`, r.cameras_per_1000, { step: 1, min: 0, max: 1000 }));
    for (const g of r.groups || []) fs.appendChild(numberField(`Share of group ${g.name}`, `population.regions.${r.name}.groups.${g.name}`, g.share, { step: 0.01, min: 0, max: 1 }));
    f.appendChild(fs);
  }
  if (m.caps.length) {
    const fs = h('fieldset', {}, h('legend', {}, 'Group tier caps'));
    const best = m.tiers[0].name, worst = m.tiers[m.tiers.length - 1].name;
    for (const c of m.caps) {
      const who = [c.group && `group ${c.group}`, c.region && `region ${c.region}`].filter(Boolean).join(' in ') || 'everyone';
      const paths = [];
      if (c.best) paths.push([`tiers.caps.${c.index}.best`, best]);
      if (c.worst) paths.push([`tiers.caps.${c.index}.worst`, worst]);
      const on = !paths.every(([p, v]) => draft.sets.get(p) === v);
      const what = [c.best && `no better than ${c.best}`, c.worst && `no worse than ${c.worst}`].filter(Boolean).join(', ');
      fs.appendChild(toggleField(`Cap ${who}: ${what}`, on, checked => {
        for (const [p, v] of paths) { if (checked) draft.sets.delete(p); else draft.sets.set(p, v); }
        renderSets(); renderForm(); scheduleValidate();
      }, { 'data-cap': c.index }));
    }
    f.appendChild(fs);
  }
  const tiers = h('fieldset', {}, h('legend', {}, 'Tier thresholds (points)'));
  for (const t of m.tiers) if (t.min != null) tiers.appendChild(numberField(`${t.name} from`, `tiers.levels.${t.name}.min`, t.min, { step: 1, min: slo, max: shi }));
  f.appendChild(tiers);
  const rules = h('fieldset', {}, h('legend', {}, 'Rule amounts (points; a number or an expression)'));
  for (const r of m.rules) rules.appendChild(amountField(`${r.name} (${r.trigger})`, `scoring.rules.${r.name}.amount`, r.amount, { span: (shi - slo) / 4 }));
  f.appendChild(rules);
  const sanc = h('fieldset', {}, h('legend', {}, 'Sanctions'));
  for (const s of m.sanctions) {
    const path = `sanctions.${s.name}.when`;
    sanc.appendChild(toggleField(`${s.name} (${s.context}) on`, draft.sets.get(path) !== 'false', checked => {
      if (checked) draft.sets.delete(path); else draft.sets.set(path, 'false');
      renderSets(); renderForm(); scheduleValidate();
    }, { 'data-sanction': s.name }));
  }
  f.appendChild(sanc);
  if (focused) {
    const again = f.querySelector(`[data-path="${CSS.escape(focused)}"]`) || f.querySelector(`[data-slider="${CSS.escape(focused)}"]`) || document.getElementById(focused);
    if (again) again.focus();
  }
}
async function loadBuiltin(name) {
  const sc = await api('/api/scenarios/' + encodeURIComponent(name));
  draft.file = name + '.yaml';
  draft.yaml = sc.yaml;
  draft.base = name;
  draft.sets = new Map();
  $('#yaml').value = sc.yaml;
  $('#label').value = '';
  renderSets();
  draft.save();
  await validateNow();
  status(`Loaded ${name}.`);
}
function initEditor(scenarios) {
  const pick = $('#pick');
  for (const s of scenarios) pick.appendChild(h('option', { value: s.name }, s.name));
  const desc = () => { const s = scenarios.find(x => x.name === pick.value); $('#pick-desc').textContent = s ? s.description : ''; };
  pick.addEventListener('change', desc);
  $('#load').addEventListener('click', () => loadBuiltin(pick.value).catch(e => status(e.message, true)));
  const ta = $('#yaml');
  ta.addEventListener('input', () => { draft.yaml = ta.value; renderGutter(lastValidation && lastValidation.diagnostics); scheduleValidate(); });
  ta.addEventListener('scroll', syncScroll);
  // Tab leaves the editor (keyboard users must be able to get out); YAML is indented with spaces.
  $('#upload').addEventListener('change', ev => {
    const file = ev.target.files[0];
    if (!file) return;
    if (file.size > 1 << 20) { status(`${file.name} is ${big(file.size)} bytes; scenarios are limited to 1 MiB.`, true); return; }
    file.text().then(text => {
      draft.file = file.name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'scenario.yaml';
      draft.yaml = text; draft.base = null; draft.sets = new Map();
      ta.value = text; renderSets(); draft.save(); validateNow();
      status(`Loaded ${file.name}; it is checked by the server like any scenario.`);
    });
  });
  $('#run').addEventListener('click', () => startRuns(false));
  $('#run-both').addEventListener('click', () => startRuns(true));
  if (draft.restore()) {
    ta.value = draft.yaml;
    if (draft.base) pick.value = draft.base;
    renderSets();
    validateNow();
  } else {
    pick.value = scenarios.some(s => s.name === 'xinjiang-pilot') ? 'xinjiang-pilot' : scenarios[0].name;
    loadBuiltin(pick.value).catch(e => status(e.message, true));
  }
  desc();
}
async function startRuns(both) {
  const msg = $('#run-msg');
  const sets = draft.setList();
  const label = $('#label').value.trim();
  const reqs = [];
  if (both) {
    // The original keeps the run's size and seed, so that the two differ
    // only in the regime.
    const size = sets.filter(s => s.startsWith('run.'));
    if (size.length === sets.length) { msg.textContent = 'Change the regime first (a cap, a rule, a threshold, a sanction...): both runs would be the same.'; return; }
    reqs.push({ file: draft.file, yaml: draft.yaml, sets: size, label: 'original' });
    reqs.push({ file: draft.file, yaml: draft.yaml, sets, label: label || 'changed' });
  } else {
    reqs.push({ file: draft.file, yaml: draft.yaml, sets, label: label || (sets.length ? sets.join(', ') : 'as written') });
  }
  const ids = [];
  try {
    for (const r of reqs) { const res = await api('/api/jobs', r); ids.push(res.job.id); }
  } catch (e) {
    if (e.data && e.data.diagnostics) { renderDiags({ ok: false, diagnostics: e.data.diagnostics }); renderGutter(e.data.diagnostics); }
    msg.textContent = e.message;
    status(e.message, true);
    return;
  }
  if (ids.length === 2) sessionStorage.setItem('nosedive-pair', JSON.stringify(ids));
  msg.textContent = '';
  status(ids.length === 2 ? 'Two runs queued.' : 'Run queued.');
  location.hash = '#/runs';
}

// ---------- runs ----------
const streams = new Map();
let jobsPoll = null;
function jobRow(j) {
  const pctDone = j.days ? Math.round(100 * j.day / j.days) : 0;
  const li = h('li', { class: 'job ' + j.state, 'data-job': j.id });
  li.appendChild(h('div', {}, h('strong', {}, j.label || j.scenario), ` · ${j.scenario} · ${big(j.agents)} people × ${big(j.days)} days`));
  if (j.sets.length) li.appendChild(h('div', { class: 'muted' }, j.sets.map(s => '--set ' + s).join(' ')));
  if (j.sweep) return sweepRow(j);
  const state = { queued: `waiting (position ${j.queue_position || 1})`, running: `day ${j.day} of ${j.days}${j.paused ? ' · paused' : ''}`, auditing: 'auditing…', done: 'finished', failed: 'failed: ' + (j.error || ''), cancelled: 'cancelled' }[j.state];
  li.appendChild(h('progress', { max: 100, value: j.state === 'done' || j.state === 'auditing' ? 100 : pctDone, 'aria-label': `Progress of ${j.label || j.scenario}` }));
  const eta = j.state === 'running' && j.day > 0 ? ` · about ${Math.ceil(j.elapsed_s / j.day * (j.days - j.day))} s to go` : '';
  li.appendChild(h('span', { class: 'jobstate' }, state + (j.elapsed_s ? ` · ${j.elapsed_s.toFixed(1)} s` : '') + eta));
  if (j.state === 'queued' || j.state === 'running') {
    li.appendChild(h('button', { type: 'button', class: 'small', onclick: () => api(`/api/jobs/${j.id}/cancel`, {}).then(refreshJobs).catch(e => status(e.message, true)) }, 'Cancel'));
  }
  if (j.state === 'done') li.appendChild(h('a', { href: '#/run/' + encodeURIComponent(j.run), class: 'open' }, 'Open dashboard'));
  if (j.state === 'running') { li.appendChild(liveControls(j)); if (j.paused) li.classList.add('paused'); }
  if (j.state === 'running' && live.has(j.id)) {
    const box = h('div', { class: 'live', 'data-live': j.id });
    li.appendChild(box);
    drawLive(j.id, box);
  }
  return li;
}
// Live charts of running jobs, from the points their event streams send.
const live = new Map(); // job id -> {groups, worst_tier, measures, days, points: []}
const liveShown = new Map(); // job id -> [measure key of chart 1, of chart 2]
function liveKeys(id, l) {
  if (!liveShown.has(id)) liveShown.set(id, ['score_mean', 'tier_' + l.worst_tier]);
  return liveShown.get(id);
}
// liveControls: play / pause, step one day, the speed; what the two live
// charts show. Pausing stops the engine itself between two days (the
// server's job.hold), so the day shown is the day computed.
function liveControls(j) {
  const act = action => api(`/api/jobs/${j.id}/control`, { action }).then(st => updateControls(st)).catch(e => status(e.message, true));
  const speed = h('select', { 'data-speed': j.id, 'aria-label': 'Speed of the run' },
    [[0, 'full speed'], [100, '100 days/s'], [20, '20 days/s'], [5, '5 days/s'], [1, '1 day/s']].map(([v, t]) => h('option', { value: v }, t)));
  speed.value = String(j.speed || 0);
  speed.addEventListener('change', () => api(`/api/jobs/${j.id}/control`, { action: 'speed', speed: Number(speed.value) }).then(updateControls).catch(e => status(e.message, true)));
  return h('div', { class: 'toolbar live-controls' },
    h('button', { type: 'button', class: 'small', 'data-play': j.id, 'data-paused': String(!!j.paused), 'aria-pressed': String(!!j.paused), onclick: ev => act(ev.currentTarget.dataset.paused === 'true' ? 'play' : 'pause') }, j.paused ? '▶ Play' : '❚❚ Pause'),
    h('button', { type: 'button', class: 'small', 'data-step': j.id, onclick: () => act('step') }, 'Step one day'),
    h('label', {}, 'Speed ', speed));
}
function updateControls(j) {
  const b = document.querySelector(`[data-play="${CSS.escape(j.id)}"]`);
  if (b) { b.textContent = j.paused ? '▶ Play' : '❚❚ Pause'; b.dataset.paused = String(!!j.paused); b.setAttribute('aria-pressed', String(!!j.paused)); }
  const row = document.querySelector(`li[data-job="${CSS.escape(j.id)}"]`);
  if (row) row.classList.toggle('paused', !!j.paused);
}
function drawLive(id, box) {
  const l = live.get(id);
  if (!l || !l.points.length) return;
  // The day axis grows with the run (at least 30 days), so the lines fill the chart as it goes.
  const lastDay = l.points[l.points.length - 1].day;
  const x = Array.from({ length: Math.max(lastDay, Math.min(l.days, 30)) + 1 }, (_, i) => i);
  const at = new Map(l.points.map(p => [p.day, p]));
  const keys = liveKeys(id, l);
  box.textContent = '';
  keys.forEach((key, c) => {
    const mi = Math.max(0, l.measures.findIndex(m => m.key === key));
    const m = l.measures[mi];
    const sel = h('select', { 'data-measure': c, 'aria-label': `Live chart ${c + 1} shows` }, l.measures.map(x => h('option', { value: x.key }, x.label)));
    sel.value = m.key;
    sel.addEventListener('change', () => { keys[c] = sel.value; drawLive(id, box); });
    const host = h('div');
    box.appendChild(h('div', { class: 'live-chart' }, h('label', {}, `Chart ${c + 1} shows `, sel), host));
    const pctUnit = m.unit.startsWith('%');
    lineChart(host, { id: `live-${c}-${id}`, title: `${m.label} by group (${m.unit}), live`, xLabel: 'day', yLabel: m.unit, x,
      fmt: pctUnit ? v => v.toFixed(1) + '%' : undefined,
      series: l.groups.map((g, k) => ({ name: g, values: x.map(d => at.has(d) && at.get(d).values ? at.get(d).values[mi][k] : null) })) });
  });
}
function renderJobs(jobs) {
  const box = $('#jobs');
  box.textContent = '';
  if (!jobs.length) { box.appendChild(h('p', { class: 'muted' }, 'No runs started in this server session. Start one from the Scenario page.')); return; }
  const ul = h('ul', { class: 'jobs' });
  for (const j of jobs.slice(0, 20)) ul.appendChild(jobRow(j));
  box.appendChild(ul);
  const pair = JSON.parse(sessionStorage.getItem('nosedive-pair') || 'null');
  if (pair) {
    const a = jobs.find(j => j.id === pair[0]), b = jobs.find(j => j.id === pair[1]);
    if (a && b && a.state === 'done' && b.state === 'done') {
      box.prepend(h('p', { class: 'callout' }, 'Both runs finished. ', h('a', { href: `#/compare/${encodeURIComponent(a.run)}/${encodeURIComponent(b.run)}`, id: 'compare-pair' }, 'Compare the original and the changed run')));
    }
  }
}
async function refreshJobs() {
  const jobs = await api('/api/jobs');
  renderJobs(jobs);
  let active = false;
  for (const j of jobs) {
    if (j.state === 'running' && !streams.has(j.id)) follow(j.id);
    if (j.state === 'queued' || j.state === 'running' || j.state === 'auditing') active = true;
  }
  clearTimeout(jobsPoll);
  if (active && route().view === 'runs') jobsPoll = setTimeout(() => refreshJobs().catch(() => {}), 1500);
  return jobs;
}
function follow(id) {
  const es = new EventSource(`/api/jobs/${id}/events`);
  streams.set(id, es);
  let drawn = 0, timer = null, lastState = null;
  es.addEventListener('points', ev => {
    const p = JSON.parse(ev.data);
    const l = live.get(id) || { groups: p.groups, worst_tier: p.worst_tier, measures: p.measures, days: 0, points: [] };
    l.points.push(...p.points);
    live.set(id, l);
  });
  es.addEventListener('status', ev => {
    const j = JSON.parse(ev.data);
    if (live.has(id)) live.get(id).days = j.days;
    const old = document.querySelector(`li[data-job="${CSS.escape(id)}"]`);
    if (old && j.state === lastState && j.state === 'running' && !j.sweep) {
      // Update in place; redraw the live charts at most twice a second.
      old.querySelector('progress').value = j.days ? Math.round(100 * j.day / j.days) : 0;
      const eta = j.day > 0 && !j.paused ? ` · about ${Math.ceil(j.elapsed_s / j.day * (j.days - j.day))} s to go` : '';
      old.querySelector('.jobstate').textContent = `day ${j.day} of ${j.days}${j.paused ? ' · paused' : ''} · ${j.elapsed_s.toFixed(1)} s${eta}`;
      updateControls(j);
      const l = live.get(id);
      if (l && l.points.length !== drawn && !timer) {
        timer = setTimeout(() => {
          timer = null;
          const row = document.querySelector(`li[data-job="${CSS.escape(id)}"]`);
          if (!row) return;
          let box = row.querySelector('.live');
          if (!box) { box = h('div', { class: 'live', 'data-live': id }); row.appendChild(box); }
          if (box.contains(document.activeElement) && document.activeElement.tagName === 'SELECT') return; // not while a picker is in use
          drawn = live.get(id).points.length;
          drawLive(id, box);
        }, 500);
      }
    } else if (old) old.replaceWith(jobRow(j));
    lastState = j.state;
    if (['done', 'failed', 'cancelled'].includes(j.state)) {
      es.close(); streams.delete(id);
      if (j.state === 'done') status(`Run ${j.label || j.scenario} finished.`);
      if (route().view === 'runs') { refreshJobs().catch(() => {}); refreshRuns().catch(() => {}); }
    }
  });
  es.onerror = () => { es.close(); streams.delete(id); };
}
let storedRuns = [];
const picked = new Set();
// editsOf says how a stored run differs from its scenario as written.
function editsOf(r) { return r.sets.length ? r.sets.join(', ') : (r.edited ? 'edited YAML' : 'as built in'); }
function runName(r) {
  return `${r.name ? r.name + ' · ' : ''}${r.scenario} · ${editsOf(r)} · ${big(r.agents)}×${r.days} · ${r.id}`;
}
async function refreshRuns() {
  storedRuns = await api('/api/runs');
  const box = $('#runs-table');
  box.textContent = '';
  if (!storedRuns.length) { box.appendChild(h('p', { class: 'muted' }, 'No stored runs yet.')); return; }
  const tb = h('tbody');
  for (const r of storedRuns.slice(0, 300)) {
    const cb = h('input', { type: 'checkbox', 'aria-label': 'Select run ' + r.id, 'data-run': r.id });
    cb.checked = picked.has(r.id);
    cb.addEventListener('change', () => { if (cb.checked) picked.add(r.id); else picked.delete(r.id); $('#compare-selected').disabled = picked.size !== 2; });
    tb.appendChild(h('tr', {}, h('td', {}, cb), h('td', {}, h('a', { href: '#/run/' + encodeURIComponent(r.id) }, r.id)), h('td', { class: 'run-name' }, r.name || '—'), h('td', {}, r.scenario),
      h('td', {}, r.sets.length ? r.sets.join(', ') : (r.edited ? 'edited YAML' : '—')), h('td', { class: 'n' }, big(r.agents)), h('td', { class: 'n' }, r.days), h('td', {}, (r.created || '').replace('T', ' ').replace('Z', ' UTC'))));
  }
  box.appendChild(h('table', { class: 'data' }, h('caption', { class: 'sr' }, 'Stored runs'),
    h('thead', {}, h('tr', {}, ['', 'run', 'name', 'scenario', 'overrides', 'people', 'days', 'created (UTC)'].map(t => h('th', { scope: 'col' }, t)))), tb));
  $('#compare-selected').disabled = picked.size !== 2;
}

// ---------- dashboard ----------
const dashCache = new Map();
async function getDash(id) {
  if (!dashCache.has(id)) dashCache.set(id, api('/api/runs/' + encodeURIComponent(id)).catch(e => { dashCache.delete(id); throw e; }));
  return dashCache.get(id);
}
function measures(d) {
  const out = [];
  for (const t of d.names.tiers) out.push({ key: 'tier_' + t.replace(/-/g, '_'), label: `Share in tier ${t}` });
  for (const s of d.names.sanctions) if (d.series['sanction_' + s.replace(/-/g, '_')]) out.push({ key: 'sanction_' + s.replace(/-/g, '_'), label: `Share under sanction ${s}` });
  for (const p of d.names.privileges || []) if (d.series['privilege_' + p.replace(/-/g, '_')]) out.push({ key: 'privilege_' + p.replace(/-/g, '_'), label: `Share holding privilege ${p}` });
  out.push({ key: 'detained', label: 'Share detained' });
  for (const b of d.names.behaviours) {
    const key = 'attempted_' + b.replace(/-/g, '_');
    if (d.series[key]) out.push({ key, label: `${b.replace(/_/g, ' ')} tried`, perThousand: true });
  }
  return out;
}
// share is a measure per day for group g: % of the group, or events per
// 1,000 people (day 0 is the starting state: no events).
function share(d, key, g) {
  const n = d.series.agents[g], c = d.series[key][g];
  const per = key.startsWith('attempted_') ? 1000 : 100;
  return c.map((v, i) => n[i] > 0 && !(per === 1000 && i === 0) ? per * v / n[i] : null);
}
function unitOf(m) { return m.perThousand ? 'per 1,000 people per day' : '% of the group'; }
function days(d) { return Array.from({ length: d.days + 1 }, (_, i) => i); }
function groupTable(rep, d, attribute) {
  attribute = attribute || 'group';
  const rows = rep.groups.filter(r => r.attribute === attribute);
  const tiers = d.names.tiers;
  const head = [attribute, 'people', 'mean score (points)', ...tiers.map(t => `${t} (%)`), 'ever sanctioned (%)', 'ratio to reference', 'detained (%)', 'sanctioned, broke no law (%)', 'loss from ties (%)'];
  const tb = h('tbody');
  for (const r of rows) {
    const ever = (r.disparities || []).find(x => x.metric === 'ever_sanctioned');
    tb.appendChild(h('tr', {}, h('th', { scope: 'row' }, r.value + (attribute === 'group' && r.value === rep.reference_group ? ' (reference)' : '')), h('td', { class: 'n' }, big(r.n)), h('td', { class: 'n' }, num(r.mean_score)),
      ...tiers.map(t => h('td', { class: 'n' }, pct((r.tiers.find(x => x.name === t) || {}).value))),
      h('td', { class: 'n' }, pct(r.ever_sanctioned.value)), h('td', { class: 'n' + (ever && ever.outside_four_fifths ? ' flag' : '') }, ever ? ratio(ever) + (ever.outside_four_fifths ? ' ⚠' : '') : '—'),
      h('td', { class: 'n' }, pct(r.detained.value)), h('td', { class: 'n' }, pct(r.sanctioned_law_abiding.value)), h('td', { class: 'n' }, pct(r.loss.association_share))));
  }
  const caption = attribute === 'group' ? `Audit by group at the end of day ${d.days} (⚠: outside the four-fifths band [0.8, 1.25] against the reference group ${rep.reference_group})`
    : `Audit by ${attribute} at the end of day ${d.days} (ratios against the ${attribute} with the lowest share ever sanctioned)`;
  return h('table', { class: 'data', id: 'audit-' + attribute + 's' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map(t => h('th', { scope: 'col' }, t)))), tb);
}
// privilegeTable is "Who is rewarded": per group, the privilege figures
// of the audit beside the share ever sanctioned (docs/metrics.md).
function privilegeTable(rep, d) {
  const names = d.names.privileges || [];
  const head = ['group', 'people', 'ever privileged (%)', 'ratio to reference', ...names.map(p => `${p} (%)`), 'through others (%)', 'points waived', 'ever sanctioned (%)', 'privileged minus sanctioned (points)', 'sanctioned per privileged'];
  const tb = h('tbody');
  for (const r of [...rep.groups.filter(r => r.attribute === 'group'), rep.overall]) {
    const p = r.privileged;
    if (!p) continue;
    const ever = (r.disparities || []).find(x => x.metric === 'ever_privileged');
    const svp = p.sanctioned_vs_privileged;
    tb.appendChild(h('tr', {}, h('th', { scope: 'row' }, r.attribute === 'all' ? 'everyone' : r.value + (r.value === rep.reference_group ? ' (reference)' : '')), h('td', { class: 'n' }, big(r.n)),
      h('td', { class: 'n' }, pct(p.ever_privileged.value)), h('td', { class: 'n' + (ever && ever.outside_four_fifths ? ' flag' : '') }, ever ? h('span', { title: ever.undefined || '' }, ratio(ever) + (ever.outside_four_fifths ? ' ⚠' : '')) : '—'),
      ...names.map(n => h('td', { class: 'n' }, pct((p.privileges.find(x => x.name === n) || {}).value))),
      h('td', { class: 'n' }, pct(p.privileged_through_others.value)), h('td', { class: 'n' }, num(p.points_waived)),
      h('td', { class: 'n' }, pct(r.ever_sanctioned.value)), h('td', { class: 'n' }, p.privileged_minus_sanctioned == null ? '—' : (100 * p.privileged_minus_sanctioned).toFixed(1)),
      h('td', { class: 'n' }, h('span', { title: svp.undefined || '' }, ratio(svp)))));
  }
  return h('table', { class: 'data', id: 'audit-privileges' }, h('caption', {}, `Who is rewarded, at the end of day ${d.days}: the privileges by group (ratios against ${rep.reference_group}; a ratio below 1 is a group privileged less often)`),
    h('thead', {}, h('tr', {}, head.map(t => h('th', { scope: 'col' }, t)))), tb);
}
function disparityTable(rep) {
  const tb = h('tbody');
  for (const r of rep.groups.filter(r => r.attribute === 'group' && r.value !== rep.reference_group)) {
    for (const x of r.disparities || []) {
      tb.appendChild(h('tr', {}, h('th', { scope: 'row' }, r.value), h('td', {}, x.metric.replace(/_/g, ' ')), h('td', { class: 'n' }, pct(x.rate)), h('td', { class: 'n' }, pct(x.reference_rate)),
        h('td', { class: 'n' + (x.outside_four_fifths ? ' flag' : '') }, h('span', { title: x.undefined || '' }, ratio(x) + (x.outside_four_fifths ? ' ⚠ outside band' : '')))));
    }
  }
  return h('table', { class: 'data' }, h('caption', {}, `Disparities against ${rep.reference_group}`),
    h('thead', {}, h('tr', {}, ['group', 'measure', 'rate', 'reference rate', 'ratio'].map(t => h('th', { scope: 'col' }, t)))), tb);
}
async function showRun(id) {
  const box = $('#dash');
  box.textContent = '';
  box.appendChild(h('p', { class: 'muted' }, 'Loading the dashboard… (a run made outside the lab is audited the first time it is opened: a few seconds per million people)'));
  const t0 = performance.now();
  let d;
  try {
    d = await getDash(id);
  } catch (e) {
    // A damaged run says so on its own page; other runs are not affected.
    box.textContent = '';
    box.appendChild(h('h2', {}, `Run ${id}`));
    box.appendChild(h('p', { class: 'bad', id: 'dash-error', role: 'alert' }, e.message));
    $('#main').focus();
    return;
  }
  const rep = d.audit;
  box.textContent = '';
  box.appendChild(h('h2', {}, d.run.name ? h('span', { id: 'dash-name' }, d.run.name) : `Run ${d.run.id}`));
  if (d.run.name) box.appendChild(h('p', { class: 'muted' }, `Run ${d.run.id}`));
  box.appendChild(h('p', {}, `${d.run.scenario}: ${big(d.run.agents)} synthetic people, ${d.run.days} days, seed ${d.run.seed}. `,
    d.run.sets.length ? h('span', {}, 'Overrides: ', h('code', {}, d.run.sets.join(' '))) : (d.run.edited ? 'Scenario text edited.' : 'Built-in scenario as written.')));
  box.appendChild(h('div', { class: 'toolbar' }, h('a', { href: '#/compare/' + encodeURIComponent(id), class: 'button' }, 'Compare with another run'),
    h('button', { type: 'button', onclick: () => { const e = $('#citizen-pick'); e.scrollIntoView(); e.focus(); } }, 'Follow a citizen')));
  box.appendChild(h('h3', {}, 'Findings'));
  box.appendChild(h('ul', { class: 'headline' }, (rep.headline || []).map(t => h('li', {}, t))));
  const groups = d.names.groups;
  const c1 = h('div', { id: 'chart-score' });
  box.appendChild(c1);
  lineChart(c1, { id: 'score', title: 'Mean score by group (points), day by day', xLabel: 'day', yLabel: 'mean score (points)', x: days(d),
    series: groups.map((g, k) => ({ name: g, values: d.series.score_mean[k] })) });
  const ms = measures(d);
  const sel = h('select', { id: 'measure' }, ms.map(m => h('option', { value: m.key }, m.label)));
  const worst = 'tier_' + d.names.tiers[d.names.tiers.length - 1].replace(/-/g, '_');
  sel.value = worst;
  const c2 = h('div', { id: 'chart-share' });
  const draw2 = () => {
    const m = ms.find(x => x.key === sel.value);
    lineChart(c2, { id: 'share', title: `${m.label} by group (${unitOf(m)}), day by day`, xLabel: 'day', yLabel: unitOf(m), x: days(d), fmt: m.perThousand ? v => v.toFixed(1) : v => v.toFixed(1) + '%',
      series: groups.map((g, k) => ({ name: g, values: share(d, m.key, k) })) });
  };
  sel.addEventListener('change', draw2);
  box.appendChild(h('div', { class: 'toolbar' }, h('label', { for: 'measure' }, 'Second chart shows'), sel));
  box.appendChild(c2);
  draw2();
  box.appendChild(h('h3', {}, 'Audit'));
  box.appendChild(h('p', { class: 'muted' }, `Reference group: ${rep.reference_group} (${rep.reference_rule}).`));
  box.appendChild(groupTable(rep, d));
  if (rep.groups.some(r => r.attribute === 'region')) box.appendChild(groupTable(rep, d, 'region'));
  box.appendChild(disparityTable(rep));
  if (rep.overall.privileged) {
    box.appendChild(h('h3', { id: 'rewarded' }, 'Who is rewarded'));
    box.appendChild(h('ul', {}, (d.privileges || []).map(p => h('li', {}, h('strong', {}, p.name), ` (${p.context}, ${p.target}, earned via ${p.via}): `,
      [p.boosts && p.boosts.length ? 'boosts ' + p.boosts.join(', ') : '', p.waives && p.waives.length ? 'waives ' + p.waives.join(', ') : '',
        p.lifts && p.lifts.length ? 'lifts ' + p.lifts.join(', ') : '', p.sooner && p.sooner.length ? 'sooner: ' + p.sooner.join(', ') : ''].filter(Boolean).join('; ')))));
    box.appendChild(privilegeTable(rep, d));
  }
  box.appendChild(h('h3', {}, 'The whole population\u2019s ties, group by group'));
  const tiesBox = h('div', { id: 'ties' });
  box.appendChild(h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'ties-go', onclick: ev => { ev.currentTarget.disabled = true; tiesMatrix(tiesBox, id).catch(e => { tiesBox.textContent = e.message; }); } }, 'Count the ties between groups'),
    h('span', { class: 'muted' }, 'every tie of the population, with who was sanctioned by which day')));
  box.appendChild(tiesBox);
  if (rep.eu_ai_act_art5) {
    const a = rep.eu_ai_act_art5;
    box.appendChild(h('h3', {}, 'EU AI Act Art. 5(1)(c) lens'));
    box.appendChild(h('ul', {}, h('li', {}, `(i) Detriment in unrelated social contexts: ${a.verdict_i}. ${a.evidence_i}`),
      h('li', {}, `(ii) Unjustified or disproportionate treatment: ${a.verdict_ii}. ${a.evidence_ii}`)));
  }
  box.appendChild(h('h3', { id: 'citizen-pick', tabindex: '-1' }, 'Follow a citizen'));
  box.appendChild(citizenPicker(d));
  box.appendChild(h('h3', {}, 'Downloads'));
  box.appendChild(h('ul', { class: 'files' }, d.files.map(f => f.name === 'report.html' ? reportItem(id, f) : h('li', {},
    h('a', { href: `/api/runs/${encodeURIComponent(id)}/files/${f.name}`, download: `${id}-${f.name}`, rel: 'noopener' }, f.name),
    ` (${big(Math.ceil(f.size / 1024))} KiB)`))));
  box.appendChild(h('p', { class: 'muted small' }, `Dashboard drawn in ${Math.round(performance.now() - t0)} ms.`));
  $('#main').focus();
}
// reportItem links the HTML report, or offers to make it (a POST: the
// report is written into the run's directory).
function reportItem(id, f) {
  const base = `/api/runs/${encodeURIComponent(id)}/files/report.html`;
  const links = () => [h('a', { href: base, target: '_blank', rel: 'noopener', id: 'report-link' }, 'report.html'),
    h('span', {}, ' · ', h('a', { href: base + '?download=1' }, 'download'))];
  const li = h('li', {});
  if (f.size >= 0) {
    for (const e of links()) li.appendChild(e);
    li.appendChild(document.createTextNode(` (${big(Math.ceil(f.size / 1024))} KiB)`));
    return li;
  }
  const note = h('span', { class: 'muted' }, ' (not made yet; takes a few seconds)');
  const btn = h('button', { type: 'button', class: 'small', id: 'make-report' }, 'Make the HTML report');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    note.textContent = ' making it…';
    try {
      await api(`/api/runs/${encodeURIComponent(id)}/report`, {});
      dashCache.delete(id);
      li.textContent = '';
      for (const e of links()) li.appendChild(e);
    } catch (e) { btn.disabled = false; note.textContent = ' ' + e.message; note.className = 'bad'; }
  });
  li.appendChild(btn);
  li.appendChild(note);
  return li;
}
function citizenPicker(d) {
  const id = d.run.id;
  const wrap = h('div', { class: 'pickers' });
  const idInput = h('input', { id: 'cit-id', type: 'number', min: 0, max: d.run.agents - 1, value: 0 });
  wrap.appendChild(h('form', { class: 'card', onsubmit: ev => { ev.preventDefault(); location.hash = `#/citizen/${encodeURIComponent(id)}/${idInput.value}`; } },
    h('h4', {}, 'By id'), h('div', { class: 'field' }, h('label', { for: 'cit-id' }, `Citizen id (0 to ${big(d.run.agents - 1)})`), idInput),
    h('button', { type: 'submit', id: 'cit-open' }, 'Open their year')));
  const opt = (name, label, values) => {
    const s = h('select', { id: 'like-' + name, name }, h('option', { value: '' }, 'any'), values.map(v => h('option', { value: v[0] }, v[1])));
    return h('div', { class: 'field' }, h('label', { for: 'like-' + name }, label), s);
  };
  const res = h('div', { class: 'like-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card' }, h('h4', {}, 'Someone like me'),
    opt('region', 'Region', d.names.regions.map(v => [v, v])), opt('group', 'Group', d.names.groups.map(v => [v, v])),
    opt('trait', 'Job or trait', d.names.traits.map(v => [v, v.replace(/_/g, ' ')])), opt('partner', 'Partner', [['yes', 'has a partner'], ['no', 'no partner']]),
    opt('children', 'Children', [['some', 'has school-age children'], ['none', 'none']]),
    h('button', { type: 'submit', id: 'like-go' }, 'Find someone'), res);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of ['region', 'group', 'trait', 'partner', 'children']) { const v = form.elements[k].value; if (v) q.set(k, v); }
    res.textContent = 'Searching…';
    try {
      const r = await api(`/api/runs/${encodeURIComponent(id)}/like?${q}`);
      res.textContent = '';
      if (!r.matches) { res.textContent = 'Nobody in this run matches; loosen a choice.'; return; }
      res.appendChild(h('p', {}, `${big(r.matches)} people match. Some of them` + (r.traced.length ? ` (the first ${r.traced.length} were traced during the run: their year opens at once; the others are replayed, which takes as long as the run):` : ':')));
      const traced = new Set(r.traced);
      res.appendChild(h('ul', { class: 'inline' }, r.agents.map(a => h('li', {}, h('a', { href: `#/citizen/${encodeURIComponent(id)}/${a}` }, `citizen ${a}` + (traced.has(a) ? ' (traced)' : ''))))));
    } catch (e) { res.textContent = e.message; }
  });
  wrap.appendChild(form);
  return wrap;
}

// ---------- compare ----------
async function showCompare(a, b) {
  const sa = $('#cmp-a'), sb = $('#cmp-b');
  // The list may predate runs finished since (a run page's hash change does not reload it).
  if (!storedRuns.length || [a, b].some(x => x && !storedRuns.some(r => r.id === x))) await refreshRuns().catch(() => {});
  for (const s of [sa, sb]) {
    s.textContent = '';
    for (const r of storedRuns) s.appendChild(h('option', { value: r.id }, runName(r)));
  }
  if (a) sa.value = a;
  if (b) sb.value = b;
  else if (storedRuns.length > 1) sb.value = storedRuns.find(r => r.id !== sa.value).id;
  const box = $('#cmp');
  box.textContent = '';
  if (!a || !b) { box.appendChild(h('p', { class: 'muted' }, 'Pick two runs of the same scenario, for example with and without a rule or a cap.')); return; }
  box.appendChild(h('p', { class: 'muted' }, 'Loading both runs…'));
  const [da, db] = await Promise.all([getDash(a), getDash(b)]);
  box.textContent = '';
  const name = (d, k) => h('span', {}, h('strong', {}, `Run ${k}`), `: ${d.run.name ? d.run.name + ' (' + d.run.id + ')' : d.run.id} — ${editsOf(d.run)}`);
  box.appendChild(h('ul', {}, h('li', {}, name(da, 'A')), h('li', {}, name(db, 'B'))));
  // Runs of different scenarios (or sizes) compare different populations:
  // say so before any number.
  const warn = [];
  if (da.run.scenario !== db.run.scenario) warn.push(`Run A is scenario ${da.run.scenario} and run B is ${db.run.scenario}: they simulate different regimes on different populations, so a change between them is not the effect of one edit.`);
  else if (da.run.edited !== db.run.edited) warn.push(`Both runs are called ${da.run.scenario}, but the scenario text of run ${da.run.edited ? 'A' : 'B'} was edited.`);
  if (da.run.agents !== db.run.agents || da.run.days !== db.run.days) warn.push(`The runs differ in size: ${big(da.run.agents)} people × ${da.run.days} days against ${big(db.run.agents)} × ${db.run.days}.`);
  const common = da.names.groups.filter(g => db.names.groups.includes(g));
  if (!common.length) warn.push(`The runs have no group in common (A: ${da.names.groups.join(', ')}; B: ${db.names.groups.join(', ')}), so the table below has no rows.`);
  else if (common.length < Math.max(da.names.groups.length, db.names.groups.length)) warn.push(`Only the groups in both runs are compared: ${common.join(', ')}.`);
  if (warn.length) box.appendChild(h('div', { class: 'callout warn', id: 'cmp-warning', role: 'alert' }, h('strong', {}, '⚠ These runs are not like for like. '), warn.join(' ')));
  // Rows: for each group in both, each tier share, ever sanctioned, detained, mean score.
  const ra = da.audit.groups.filter(r => r.attribute === 'group'), rb = db.audit.groups.filter(r => r.attribute === 'group');
  const ref = da.audit.reference_group;
  const measuresOf = r => {
    const out = [['mean score (points)', r.mean_score, false]];
    for (const t of r.tiers) out.push([`in tier ${t.name}`, t.value, true]);
    out.push(['ever sanctioned', r.ever_sanctioned.value, true], ['detained', r.detained.value, true]);
    return out;
  };
  const refA = ra.find(r => r.value === ref), refB = rb.find(r => r.value === ref);
  let bestChange = null;
  const tb = h('tbody');
  for (const r of ra) {
    const o = rb.find(x => x.value === r.value);
    if (!o) continue;
    // Measures are matched by name: runs of different scenarios may have
    // different tiers.
    const byName = rs => rs ? new Map(measuresOf(rs).map(([l, v]) => [l, v])) : null;
    const ma = measuresOf(r), mb = byName(o), fa = byName(refA), fb = byName(refB);
    ma.forEach(([label, va, isRate]) => {
      if (!mb.has(label)) return;
      const vb = mb.get(label);
      const f = isRate ? pct : num;
      const both = isRate && r.value !== ref && fa && fb && fa.has(label) && fb.has(label);
      const gapA = both ? va - fa.get(label) : null, gapB = both ? vb - fb.get(label) : null;
      const change = vb - va;
      if (gapA != null && (bestChange == null || Math.abs(gapB - gapA) > Math.abs(bestChange.d))) bestChange = { d: gapB - gapA, group: r.value, label, va, vb, ra: fa.get(label), rb: fb.get(label) };
      tb.appendChild(h('tr', {}, h('th', { scope: 'row' }, r.value + (r.value === ref ? ' (reference)' : '')), h('td', {}, label), h('td', { class: 'n' }, f(va)), h('td', { class: 'n' }, f(vb)),
        h('td', { class: 'n' }, isRate ? ((change >= 0 ? '+' : '') + (100 * change).toFixed(1) + ' pp') : ((change >= 0 ? '+' : '') + num(change))),
        h('td', { class: 'n' }, gapA == null ? '—' : `${(100 * gapA).toFixed(1)} → ${(100 * gapB).toFixed(1)} pp`)));
    });
  }
  if (bestChange) {
    box.appendChild(h('p', { class: 'callout', id: 'cmp-summary' }, `Largest change in a gap to the reference group (${ref}): ${bestChange.label} — ${bestChange.group} ${pct(bestChange.va)} against ${ref} ${pct(bestChange.ra)} in run A; ${bestChange.group} ${pct(bestChange.vb)} against ${ref} ${pct(bestChange.rb)} in run B.`));
  }
  box.appendChild(h('table', { class: 'data', id: 'cmp-table' }, h('caption', {}, `Run A against run B by group at the end (pp: percentage points; gap: group minus the reference group ${ref})`),
    h('thead', {}, h('tr', {}, ['group', 'measure', 'run A', 'run B', 'change B − A', 'gap to reference A → B'].map(t => h('th', { scope: 'col' }, t)))), tb));
  const ms = measures(da).filter(m => db.series[m.key]);
  const sel = h('select', { id: 'cmp-measure' }, h('option', { value: 'score_mean' }, 'Mean score (points)'), ms.map(m => h('option', { value: m.key }, m.label)));
  sel.value = ms.length ? ms[0].key : 'score_mean';
  const chart = h('div', { id: 'chart-compare' });
  const draw = () => {
    const key = sel.value;
    const series = [];
    const mk = (d, tag, dash) => d.names.groups.forEach((g, k) => series.push({ name: `${g} ${tag}`, values: key === 'score_mean' ? d.series.score_mean[k] : share(d, key, k), dash: dash[k % dash.length], colour: PALETTE[k % PALETTE.length] }));
    mk(da, '(A)', ['', '', '', '', '']);
    mk(db, '(B)', ['9 4', '2 3', '12 3 2 3', '5 5', '1 3']);
    const m = ms.find(m => m.key === key);
    const label = key === 'score_mean' ? 'Mean score (points)' : `${m.label} (${unitOf(m)})`;
    lineChart(chart, { id: 'cmp', title: `${label}: run A solid, run B dashed`, xLabel: 'day', yLabel: key === 'score_mean' ? 'points' : unitOf(m), fmt: key === 'score_mean' ? undefined : m.perThousand ? v => v.toFixed(1) : v => v.toFixed(1) + '%',
      x: days(da.days <= db.days ? da : db), series });
  };
  sel.addEventListener('change', draw);
  box.appendChild(h('div', { class: 'toolbar' }, h('label', { for: 'cmp-measure' }, 'Chart shows'), sel));
  box.appendChild(chart);
  draw();
}

// ---------- a citizen's year ----------
const TIER_SHAPES = ['circle', 'square', 'triangle', 'diamond', 'circle'];
async function showCitizen(id, agent, without) {
  const box = $('#cit');
  box.textContent = '';
  box.appendChild(h('h2', {}, `Citizen ${agent} of run ${id}`));
  const wait = h('p', { class: 'muted', id: 'cit-wait' }, 'Reading this person’s year from the trace the run recorded of its ledger sample, or, for someone outside the sample, re-simulating the run to follow them (runs are deterministic, so the replay is exact)…');
  box.appendChild(wait);
  let d, y;
  try {
    d = await getDash(id);
    y = await api(`/api/runs/${encodeURIComponent(id)}/citizen?agent=${agent}${without ? '&without=' + encodeURIComponent(without) : ''}`);
  } catch (e) { wait.textContent = e.message; wait.className = 'bad'; return; }
  wait.remove();
  const x = y.explanation;
  for (const e of [x, y.counterfactual]) if (e) for (const k of ['sanctions', 'traits', 'flags', 'contributions', 'events', 'counterfactuals', 'tier_changes', 'principal_reasons']) e[k] = e[k] || [];
  box.appendChild(h('p', { class: 'lead', id: 'cit-summary' }, `A synthetic person in region ${x.region}, group ${x.group}, age band “${x.age}”; ${x.traits && x.traits.length ? 'traits: ' + x.traits.join(', ').replace(/_/g, ' ') : 'no listed traits'}; ${x.children} school-age child${x.children === 1 ? '' : 'ren'}; ${x.partner >= 0 ? 'partner: citizen ' + x.partner : 'no partner'}.`));
  box.appendChild(h('p', { class: 'lead' }, `After day ${x.tick}: score ${num(x.score)}, tier ${x.tier}${x.detained ? ', detained' : ''}${x.threshold != null ? ` (${x.next_better_tier} starts at ${x.threshold})` : ''}.`));
  if (x.cap) box.appendChild(h('p', { class: 'callout' }, x.cap));
  box.appendChild(h('h3', {}, 'Why, in plain language'));
  box.appendChild(h('ol', { class: 'reasons', id: 'cit-reasons' }, (x.principal_reasons || []).map(r => h('li', {}, r.replace(/^R\d+ /, '')))));
  if (!(x.principal_reasons || []).length) box.lastChild.appendChild(h('li', {}, 'Nothing pulled this person down compared with the people just above the next threshold.'));
  box.appendChild(h('p', { class: 'muted' }, 'Compared with: ' + x.reference + '.'));
  if ((x.counterfactuals || []).length) {
    box.appendChild(h('h4', {}, 'Single changes that would change the tier, everything else held fixed'));
    box.appendChild(h('p', { class: 'muted', id: 'cit-held-note' }, 'Each line takes this year exactly as it happened and removes one part of the score (its points in the table below), keeping every sanction, acquaintance and event as they were: nothing is re-simulated. The re-simulated year below can end elsewhere.'));
    box.appendChild(h('ul', { id: 'cit-held' }, x.counterfactuals.map(c => h('li', {}, `${c.change[0].toUpperCase() + c.change.slice(1)}, everything else held fixed: ${num(c.new_score)} points, ${c.new_tier}`))));
  }
  // Trajectory chart.
  const chart = h('div', { id: 'chart-citizen' });
  box.appendChild(chart);
  const series = [{ name: 'score', values: x.trajectory }];
  if (y.counterfactual) series.push({ name: `without ${y.without}`, values: y.counterfactual.trajectory, dash: '9 4', colour: PALETTE[1] });
  lineChart(chart, { id: 'cit', title: `Score of citizen ${agent}, day by day (points)${y.counterfactual ? ', with the counterfactual' : ''}`, xLabel: 'day', yLabel: 'score (points)',
    x: x.trajectory.map((_, i) => i), series, hlines: y.tiers.filter(t => t.min != null).map(t => ({ y: t.min, label: `${t.name} from ${t.min}` })) });
  // Counterfactual control.
  const rsel = h('select', { id: 'cf-rule' }, h('option', { value: '' }, 'choose…'), h('option', { value: 'no-regime' }, 'no regime at all'),
    d.rules.map(r => h('option', { value: r.name }, `rule ${r.name}`)));
  if (without) rsel.value = without;
  box.appendChild(h('form', { class: 'toolbar', onsubmit: ev => { ev.preventDefault(); if (rsel.value) location.hash = `#/citizen/${encodeURIComponent(id)}/${agent}/${encodeURIComponent(rsel.value)}`; } },
    h('label', { for: 'cf-rule' }, 'The same year without'), rsel, h('button', { type: 'submit', id: 'cf-go' }, 'Show the counterfactual year')));
  if (y.counterfactual) box.appendChild(counterfactualSummary(x, y));
  // Timeline and tables.
  const tl = h('div', { class: 'cols' });
  tl.appendChild(h('div', {}, h('h3', {}, 'The year, day by day'), timelineList(y.timeline, 'timeline')));
  if (y.counterfactual) tl.appendChild(h('div', {}, h('h3', {}, `Without ${y.without}`), timelineList(y.counterfactual_timeline, 'cf-timeline')));
  box.appendChild(tl);
  const cb = h('tbody');
  cb.appendChild(h('tr', {}, h('th', { scope: 'row' }, 'starting score'), h('td', { class: 'n' }, num(x.base_value)), h('td', {}, ''), h('td', {}, '')));
  for (const c of x.contributions) cb.appendChild(h('tr', {}, h('th', { scope: 'row' }, c.rule), h('td', { class: 'n' }, (c.points >= 0 ? '+' : '') + num(c.points)), h('td', { class: 'n' }, c.times), h('td', {}, c.origin)));
  cb.appendChild(h('tr', { class: 'total' }, h('th', { scope: 'row' }, 'score'), h('td', { class: 'n' }, num(x.sum_of_parts)), h('td', {}, ''), h('td', {}, '')));
  box.appendChild(h('table', { class: 'data' }, h('caption', {}, 'The score, part by part (starting score + every rule = score, exactly)'),
    h('thead', {}, h('tr', {}, ['part', 'points', 'times', 'from'].map(t => h('th', { scope: 'col' }, t)))), cb));
  if ((x.events || []).length) {
    box.appendChild(h('table', { class: 'data' }, h('caption', {}, 'What the person did over the run'),
      h('thead', {}, h('tr', {}, ['behaviour', 'tried', 'stopped by a sanction', 'seen by the regime'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, x.events.map(e => h('tr', {}, h('th', { scope: 'row' }, e.behaviour.replace(/_/g, ' ')), h('td', { class: 'n' }, e.attempted), h('td', { class: 'n' }, e.blocked), h('td', { class: 'n' }, e.detected))))));
  }
  box.appendChild(h('h3', {}, 'Their acquaintances'));
  const net = h('div', { id: 'network' }, h('p', { class: 'muted' }, 'Loading the neighbourhood…'));
  box.appendChild(net);
  box.appendChild(h('p', {}, h('a', { href: '#/run/' + encodeURIComponent(id) }, '← back to the run')));
  drawNetwork(net, id, agent, d).catch(e => { net.textContent = e.message; });
  $('#main').focus();
}
// sanctionDays counts the days 0..tick under at least one sanction (spans
// end on the first day off; -1: still in force at the end).
function sanctionDays(x) {
  const on = new Uint8Array(x.tick + 1);
  for (const sp of x.sanctions) for (let d = sp.start_day; d < (sp.end_day < 0 ? x.tick + 1 : sp.end_day); d++) on[d] = 1;
  return on.reduce((a, b) => a + b, 0);
}
// counterfactualSummary says what the re-simulated year is, how it differs
// from the held-fixed figure for the same rule, and where the difference
// comes from, part by part.
function counterfactualSummary(x, y) {
  const c = y.counterfactual;
  const what = y.without === 'no-regime' ? 'any regime' : 'the rule ' + y.without;
  const wrap = h('div', { class: 'callout', id: 'cf-summary' });
  wrap.appendChild(h('p', {}, h('strong', {}, `Re-simulated year without ${what}`), ` (the whole run is run again without it, so this person's sanctions, their acquaintances' scores and what comes to them through their ties change too): score ${num(c.score)} instead of ${num(x.score)}, tier ${c.tier} instead of ${x.tier}; `,
    `under a sanction on ${sanctionDays(c)} of ${c.tick + 1} days instead of ${sanctionDays(x)} (${periods(c.sanctions.length, x.sanctions.length)}).`));
  wrap.appendChild(h('p', { class: 'muted', id: 'cf-periods' }, 'A period is one sanction from the day it starts to the day it ends; two sanctions at once are two periods, and a sanction that ends and starts again is two. ',
    `This year: ${spanText(x)}. Re-simulated: ${spanText(c)}.`));
  if (y.without !== 'no-regime') {
    const part = x.contributions.find(k => k.rule === y.without);
    const pts = part ? part.points : 0;
    const [lo, hi] = y.score_range && y.score_range.length === 2 ? y.score_range : [-Infinity, Infinity];
    const held = Math.min(hi, Math.max(lo, x.score - pts));
    wrap.appendChild(h('p', { id: 'cf-reconcile' }, `Held fixed, removing the rule's ${num(pts)} points from this year gives ${num(held)}; re-simulated, the year ends at ${num(c.score)}. `,
      Math.abs(c.score - held) < 0.05 ? 'The two agree: nothing else in this person\u2019s year depended on the rule.' : `The ${num(c.score - held)} points between them come from the parts below that change when everyone\u2019s year is re-run.`));
    const rules = [...new Set([...x.contributions.map(k => k.rule), ...c.contributions.map(k => k.rule)])];
    const pointsOf = (e, r) => { const k = e.contributions.find(k => k.rule === r); return k ? k.points : 0; };
    const rows = rules.map(r => [r, pointsOf(x, r), r === y.without ? 0 : pointsOf(x, r), pointsOf(c, r)]).filter(([, a, , b]) => Math.abs(a) > 1e-9 || Math.abs(b) > 1e-9);
    const sign = v => (v >= 0 ? '+' : '') + num(v);
    wrap.appendChild(h('table', { class: 'data', id: 'cf-parts' }, h('caption', {}, 'The score part by part: this year, held fixed without the rule, re-simulated without it'),
      h('thead', {}, h('tr', {}, ['part', 'this year', 'held fixed', 're-simulated', 're-simulated − held fixed'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, h('tr', {}, h('th', { scope: 'row' }, 'starting score'), h('td', { class: 'n' }, num(x.base_value)), h('td', { class: 'n' }, num(x.base_value)), h('td', { class: 'n' }, num(c.base_value)), h('td', { class: 'n' }, sign(c.base_value - x.base_value))),
        rows.map(([r, a, hf, b]) => h('tr', {}, h('th', { scope: 'row' }, r), h('td', { class: 'n' }, sign(a)), h('td', { class: 'n' }, sign(hf)), h('td', { class: 'n' }, sign(b)), h('td', { class: 'n' }, sign(b - hf)))))));
  }
  return wrap;
}
function spanText(x) {
  if (!x.sanctions.length) return 'none';
  return x.sanctions.map(sp => `${sp.name} day ${sp.start_day}–${sp.end_day < 0 ? x.tick + ' (still in force)' : sp.end_day - 1}`).join(', ');
}
function periods(cf, actual) {
  const n = k => k === 0 ? 'no sanction' : k === 1 ? 'one period under a sanction' : `${k} periods under sanctions`;
  return cf === actual && cf === 0 ? 'no sanction in either year' : `${n(cf)} instead of ${n(actual).replace(/^no sanction$/, 'none')}`;
}
function timelineList(items, id) {
  if (!items || !items.length) return h('p', { class: 'muted' }, 'Nothing happened to this person’s score, tier or sanctions.');
  return h('ol', { class: 'timeline', id }, items.map(m => h('li', { class: 'k-' + m.kind }, h('span', { class: 'day' }, `day ${m.day}`), ' ', h('span', { class: 'kind' }, m.kind), ' ', m.text)));
}

// ---------- network view ----------
function shape(g, kind, x, y, r, attrs) {
  if (kind === 'square') return svgEl('rect', Object.assign({ x: x - r, y: y - r, width: 2 * r, height: 2 * r }, attrs), g);
  if (kind === 'triangle') return svgEl('polygon', Object.assign({ points: `${x},${y - r * 1.2} ${x - r * 1.1},${y + r * 0.8} ${x + r * 1.1},${y + r * 0.8}` }, attrs), g);
  if (kind === 'diamond') return svgEl('polygon', Object.assign({ points: `${x},${y - r * 1.3} ${x + r * 1.3},${y} ${x},${y + r * 1.3} ${x - r * 1.3},${y}` }, attrs), g);
  return svgEl('circle', Object.assign({ cx: x, cy: y, r }, attrs), g);
}
const TIER_FILLS = ['#4daf4a', '#a6d96a', '#f0c419', '#fd8d3c', '#e41a1c']; // best to worst
async function drawNetwork(box, id, agent, d) {
  const n = await api(`/api/runs/${encodeURIComponent(id)}/network?agent=${agent}`);
  box.textContent = '';
  const tiers = d.names.tiers;
  const fill = k => TIER_FILLS[Math.round(k * (TIER_FILLS.length - 1) / Math.max(1, tiers.length - 1))];
  const W = 760, H = 560, cx = W / 2, cy = H / 2;
  const pos = new Array(n.nodes.length);
  pos[0] = [cx, cy];
  const ring1 = [], ring2 = [];
  n.nodes.forEach((v, i) => { if (v.depth === 1) ring1.push(i); else if (v.depth === 2) ring2.push(i); });
  const adj = n.nodes.map(() => []);
  for (const [i, j] of n.edges) { adj[i].push(j); adj[j].push(i); }
  ring1.forEach((i, k) => { const a = 2 * Math.PI * k / ring1.length - Math.PI / 2; pos[i] = [cx + 150 * Math.cos(a), cy + 150 * Math.sin(a)]; });
  // Second ring: near the first-ring acquaintance that leads to them.
  const angle = i => Math.atan2(pos[i][1] - cy, pos[i][0] - cx);
  const r2 = ring2.map(i => { const p = adj[i].find(j => n.nodes[j].depth === 1); return { i, a: p != null ? angle(p) : 0 }; }).sort((a, b) => a.a - b.a);
  r2.forEach((e, k) => { const a = 2 * Math.PI * k / Math.max(1, r2.length) - Math.PI / 2 + (r2.length ? (r2[0].a + Math.PI / 2) : 0); const rr = 245 + (k % 2) * 22; pos[e.i] = [cx + rr * Math.cos(a), cy + rr * Math.sin(a)]; });
  const fig = h('figure', { class: 'chart' }, h('figcaption', { id: 'net-title' }, `Acquaintances of citizen ${agent} and theirs (${n.nodes.length} people${n.truncated ? ` of ${big(n.total_within_two_steps)} within two steps; the view is bounded` : ''}). Shape and letter give the tier at the end of the run; a thick ring marks someone under a sanction, with the day it began.`));
  box.appendChild(fig);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'net-title', class: 'net' }, null);
  fig.appendChild(svg);
  const ge = svgEl('g', {}, svg);
  for (const [i, j] of n.edges) svgEl('line', { x1: pos[i][0], y1: pos[i][1], x2: pos[j][0], y2: pos[j][1], class: (n.nodes[i].sanctioned && n.nodes[j].sanctioned) ? 'edge hot' : 'edge' }, ge);
  if (n.partner[1] >= 0) { const j = n.partner[1]; svgEl('line', { x1: cx, y1: cy, x2: pos[j][0], y2: pos[j][1], class: 'edge partner' }, ge); }
  const gn = svgEl('g', {}, svg);
  const drawn = [];
  n.nodes.forEach((v, i) => {
    const [x, y] = pos[i];
    const r = v.depth === 0 ? 14 : v.depth === 1 ? 9 : 5.5;
    const g = svgEl('g', { class: 'node', 'data-id': v.id }, gn);
    const t = svgEl('title', {}, g);
    t.textContent = `citizen ${v.id}, group ${v.group}, tier ${v.tier}${v.sanctioned ? ', under a sanction since day ' + v.first_sanction_day : v.first_sanction_day >= 0 ? ', sanctioned from day ' + v.first_sanction_day : ''}${v.detained ? ', detained' : ''}`;
    const sh = shape(g, TIER_SHAPES[v.tier_index] || 'circle', x, y, r, { fill: fill(v.tier_index), stroke: v.sanctioned ? '#000' : '#444', 'stroke-width': v.sanctioned ? 3 : 1 });
    let l = null;
    drawn.push({ v, g, sh, x, y, r, t, label: () => l });
    if (v.depth <= 1) {
      l = svgEl('text', { x, y: y + 3.5, 'text-anchor': 'middle', class: 'nlabel' }, g);
      l.textContent = v.tier[0].toUpperCase();
      const lab = svgEl('text', { x, y: y + r + 11, 'text-anchor': 'middle', class: 'nid' }, g);
      lab.textContent = v.depth === 0 ? `citizen ${v.id}` : `${v.id}${v.sanctioned ? ' · d' + v.first_sanction_day : ''}`;
    }
  });
  const lg = h('ul', { class: 'net-legend' });
  tiers.forEach((t, k) => {
    const s = svgEl('svg', { width: 22, height: 22, 'aria-hidden': 'true' });
    shape(s, TIER_SHAPES[k] || 'circle', 11, 11, 7, { fill: fill(k), stroke: '#444' });
    lg.appendChild(h('li', {}, s, ` ${t[0].toUpperCase()} = ${t}`));
  });
  const s2 = svgEl('svg', { width: 22, height: 22, 'aria-hidden': 'true' });
  svgEl('circle', { cx: 11, cy: 11, r: 7, fill: '#fff', stroke: '#000', 'stroke-width': 3 }, s2);
  lg.appendChild(h('li', {}, s2, ' under a sanction (on the day shown; label: the day a sanction in force at the end began)'));
  lg.appendChild(h('li', {}, h('span', { class: 'partner-key' }, '— —'), ' partner'));
  fig.appendChild(lg);
  addExport(fig, svg, `network-${id}-${agent}`, null);
  box.insertBefore(networkTimeSlider(id, d, drawn, fill, fig), fig);
  // The same facts as a table, for screen readers and for reading exactly.
  const first = n.nodes.filter(v => v.depth === 1);
  box.appendChild(h('details', {}, h('summary', {}, `The ${first.length} direct acquaintances and partner as a table`),
    h('table', { class: 'data', id: 'net-table' }, h('thead', {}, h('tr', {}, ['citizen', 'group', 'tier', 'sanctioned since day', 'detained'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, first.map(v => h('tr', {}, h('td', {}, h('a', { href: `#/citizen/${encodeURIComponent(id)}/${v.id}` }, String(v.id))), h('td', {}, v.group), h('td', {}, v.tier),
        h('td', { class: 'n' }, v.sanctioned ? v.first_sanction_day : '—'), h('td', {}, v.detained ? 'yes' : 'no')))))));
}

// ---------- sweeps ----------
// A sweep runs the draft for a few values of one knob, a few replicates
// each (seed run.seed + r), in one slot of the run queue, and draws the
// end-of-run value of a measure against the knob: the mean over the
// replicates with its 95% interval, per group.
function sweepRow(j) {
  const sw = j.sweep;
  const li = h('li', { class: 'job ' + j.state, 'data-job': j.id });
  li.appendChild(h('div', {}, h('strong', {}, j.label), ` · sweep of ${sw.param} over ${sw.values.join(', ')} · ${sw.replicates} replicate${sw.replicates === 1 ? '' : 's'} · ${big(j.agents)} people`));
  li.appendChild(h('progress', { max: sw.runs, value: j.state === 'done' ? sw.runs : sw.done, 'aria-label': `Progress of ${j.label}` }));
  const state = { queued: `waiting (position ${j.queue_position || 1})`, running: `run ${sw.done + 1} of ${sw.runs}${j.paused ? ' · paused' : ''}`, done: 'finished', failed: 'failed: ' + (j.error || ''), cancelled: 'cancelled' }[j.state] || j.state;
  li.appendChild(h('span', { class: 'jobstate' }, state + (j.elapsed_s ? ` · ${j.elapsed_s.toFixed(1)} s` : '')));
  if (j.state === 'queued' || j.state === 'running') li.appendChild(h('button', { type: 'button', class: 'small', onclick: () => api(`/api/jobs/${j.id}/cancel`, {}).then(refreshJobs).catch(e => status(e.message, true)) }, 'Cancel'));
  li.appendChild(h('a', { href: '#/sweep/' + encodeURIComponent(j.id), class: 'open' }, 'Open the sweep'));
  return li;
}
function sweepKnobs(m) {
  const out = [['run.agents', 'population size', m.agents], ['run.days', 'days', m.days]];
  for (const r of m.regions) {
    out.push([`population.regions.${r.name}.cameras_per_1000`, `cameras per 1,000 in ${r.name}`, r.cameras_per_1000]);
  }
  for (const t of m.tiers) if (t.min != null) out.push([`tiers.levels.${t.name}.min`, `${t.name} threshold`, t.min]);
  for (const r of m.rules) if (/^\s*-?\d+(\.\d+)?\s*$/.test(r.amount)) out.push([`scoring.rules.${r.name}.amount`, `rule ${r.name} amount`, Number(r.amount)]);
  return out;
}
let sweepPoll = null;
async function showSweep(jobId) {
  const box = $('#sweep');
  box.textContent = '';
  clearTimeout(sweepPoll);
  if (!jobId) {
    const m = draft.model;
    if (!m) { box.appendChild(h('p', { class: 'muted' }, 'Load a scenario on the Scenario page first: the sweep runs the scenario being edited, with its overrides.')); return; }
    const knobs = sweepKnobs(m);
    const param = h('select', { id: 'sw-param' }, knobs.map(([p, l, v]) => h('option', { value: p }, `${l} (${p}, now ${v})`)));
    const values = h('input', { id: 'sw-values', type: 'text', size: 30 });
    const suggest = () => {
      const k = knobs.find(x => x[0] === param.value);
      const v = Number(k[2]);
      values.value = (k[0] === 'run.agents' || k[0] === 'run.days') ? [v / 2, v, 2 * v].map(Math.round).join(', ') : v === 0 ? '0, 1, 2' : [v * 0.5, v, v * 1.5].map(x => Math.round(x * 100) / 100).join(', ');
    };
    param.addEventListener('change', suggest);
    if (knobs.some(k => k[0].startsWith('tiers.levels.'))) param.value = knobs.find(k => k[0].startsWith('tiers.levels.'))[0];
    suggest();
    const reps = h('input', { id: 'sw-reps', type: 'number', min: 1, max: 5, value: 3 });
    const msg = h('p', { class: 'muted', id: 'sw-msg' });
    box.appendChild(h('p', {}, `Runs the scenario being edited (${m.name}, ${draft.sets.size} override${draft.sets.size === 1 ? '' : 's'}: ${draft.setList().join(' ') || 'none'}) once per value and replicate. Up to 8 values × 5 replicates; each run at most 20,000,000 people × days.`));
    box.appendChild(h('form', { class: 'toolbar', id: 'sw-form', onsubmit: async ev => {
      ev.preventDefault();
      const vals = values.value.split(',').map(v => v.trim()).filter(Boolean);
      try {
        const res = await api('/api/sweeps', { file: draft.file, yaml: draft.yaml, sets: draft.setList(), param: param.value, values: vals, replicates: Number(reps.value) });
        location.hash = '#/sweep/' + encodeURIComponent(res.job.id);
      } catch (e) { msg.textContent = e.message + (e.data && e.data.diagnostics ? ': ' + e.data.diagnostics.map(d => d.msg).join('; ') : ''); msg.className = 'bad'; }
    } }, h('label', { for: 'sw-param' }, 'Knob'), param, h('label', { for: 'sw-values' }, 'Values (commas)'), values,
      h('label', { for: 'sw-reps' }, 'Replicates'), reps, h('button', { type: 'submit', class: 'primary', id: 'sw-go' }, 'Run the sweep')));
    box.appendChild(msg);
    return;
  }
  const jobs = await api('/api/jobs');
  const j = jobs.find(x => x.id === jobId);
  if (!j || !j.sweep) { box.appendChild(h('p', { class: 'bad' }, `No sweep ${jobId} in this server session (a sweep's results live in the server's memory).`)); return; }
  const sw = j.sweep;
  box.appendChild(h('p', {}, h('strong', {}, j.label), `: ${sw.param} = ${sw.values.join(', ')}; ${sw.replicates} replicate${sw.replicates === 1 ? '' : 's'} each (seeds ${'run.seed'} + 0…${sw.replicates - 1}); ${big(j.agents)} people.`));
  if (j.state !== 'done') {
    box.appendChild(h('ul', { class: 'jobs' }, sweepRow(j)));
    if (!terminal(j.state)) sweepPoll = setTimeout(() => { if (route().view === 'sweep') showSweep(jobId).catch(e => status(e.message, true)); }, 1000);
    return;
  }
  const sel = h('select', { id: 'sw-measure' }, sw.measures.map(m => h('option', { value: m.key }, `${m.label} (${m.unit})`)));
  const tiers = sw.measures.filter(m => m.key.startsWith('tier_'));
  sel.value = tiers.length ? tiers[tiers.length - 1].key : sw.measures[0].key; // the worst tier
  const chart = h('div', { id: 'chart-sweep' });
  const table = h('div');
  const draw = () => {
    const mi = sw.measures.findIndex(m => m.key === sel.value);
    const m = sw.measures[mi];
    const xs = sw.values.map(Number);
    const numeric = xs.every(isFinite);
    lineChart(chart, { id: 'sweep', title: `${m.label} at the end of the run (${m.unit}) against ${sw.param}: mean of ${sw.replicates} replicate${sw.replicates === 1 ? '' : 's'}${sw.replicates > 1 ? ' with its 95% interval' : ''}`,
      xLabel: sw.param, xName: sw.param, yLabel: m.unit, x: numeric ? xs : xs.map((_, i) => i), markers: true,
      fmt: m.unit.startsWith('%') ? v => v.toFixed(1) + '%' : undefined,
      series: sw.groups.map((g, k) => ({ name: g, values: sw.results.map(p => p.stats[mi][k].mean), errs: sw.results.map(p => [p.stats[mi][k].lo, p.stats[mi][k].hi]) })) });
    table.textContent = '';
    table.appendChild(h('table', { class: 'data', id: 'sweep-table' }, h('caption', {}, `${m.label} (${m.unit}): mean [95% interval] over the replicates`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, sw.param), sw.groups.map(g => h('th', { scope: 'col' }, g)))),
      h('tbody', {}, sw.results.map(p => h('tr', {}, h('th', { scope: 'row' }, p.value), p.stats[mi].map(st => h('td', { class: 'n' },
        st.mean == null ? 'n/a' : num(st.mean) + (st.lo == null ? '' : ` [${num(st.lo)}, ${num(st.hi)}]`))))))));
  };
  sel.addEventListener('change', draw);
  box.appendChild(h('div', { class: 'toolbar' }, h('label', { for: 'sw-measure' }, 'Chart shows'), sel));
  box.appendChild(chart);
  box.appendChild(table);
  draw();
}
function terminal(state) { return ['done', 'failed', 'cancelled'].includes(state); }

// networkTimeSlider: the network view on any day of the run. The people's
// day-by-day tiers and sanctions come from a replay that traces them (at
// most 200 people: GET /api/runs/ID/network/days), so the view recolours
// without holding the whole population's history.
function networkTimeSlider(id, d, drawn, fill, fig) {
  const tiers = d.names.tiers;
  const wrap = h('div', { class: 'toolbar net-time' });
  const sl = h('input', { type: 'range', id: 'net-day', min: 0, max: d.days, step: 1, value: d.days, disabled: true, 'aria-label': 'Day shown in the network view' });
  const out = h('output', { id: 'net-day-out', for: 'net-day' }, `end of the run (day ${d.days})`);
  const note = h('span', { class: 'muted', id: 'net-day-note' }, 'loading each person’s day-by-day tiers (a replay)…');
  wrap.append(h('label', { for: 'net-day' }, 'Day'), sl, out, note);
  const ids = drawn.map(e => e.v.id).join(',');
  api(`/api/runs/${encodeURIComponent(id)}/network/days?ids=${ids}`).then(nd => {
    const at = new Map(nd.ids.map((v, k) => [v, k]));
    const show = day => {
      let sanctioned = 0;
      for (const e of drawn) {
        const k = at.get(e.v.id);
        if (k == null) continue;
        const ti = Number(nd.tiers[k][day]), on = nd.sanctions[k][day] === '1';
        if (on) sanctioned++;
        e.sh.remove();
        e.sh = shape(e.g, TIER_SHAPES[ti] || 'circle', e.x, e.y, e.r, { fill: fill(ti), stroke: on ? '#000' : '#444', 'stroke-width': on ? 3 : 1 });
        const l = e.label();
        if (l) { l.textContent = tiers[ti][0].toUpperCase(); e.g.appendChild(l); }
        for (const x of e.g.querySelectorAll('text.nid')) e.g.appendChild(x);
        e.t.textContent = `citizen ${e.v.id}, group ${e.v.group}, on day ${day}: tier ${tiers[ti]}${on ? ', under a sanction' : ''}${nd.detained[k][day] === '1' ? ', detained' : ''}`;
        e.g.dataset.tier = tiers[ti];
      }
      out.textContent = `day ${day}${day === d.days ? ' (end of the run)' : ''}: ${sanctioned} of ${drawn.length} under a sanction`;
      const cap = fig.querySelector('figcaption');
      cap.textContent = cap.textContent.replace(/Shape and letter give the tier [^;]*;/, `Shape and letter give the tier on day ${day};`).replace(/a thick ring marks someone under a sanction[^.]*\./, `a thick ring marks someone under a sanction on day ${day} (the labels d… give the day a sanction in force at the end began).`);
      fig.dataset.day = String(day);
    };
    sl.disabled = false;
    note.textContent = 'Shape, letter and ring show the chosen day.';
    sl.addEventListener('input', () => show(Number(sl.value)));
    show(d.days);
  }).catch(e => { note.textContent = e.message; note.className = 'bad'; });
  return wrap;
}

// tiesMatrix: the whole population, group by group: the share of each
// group's ties that go to each group, and the share that reach someone
// of that group already sanctioned by the chosen day (GET /api/runs/ID/ties:
// groups x groups x days numbers, whatever the population).
function tiesMatrix(box, id) {
  box.textContent = '';
  box.appendChild(h('p', { class: 'muted' }, 'Counting every tie of the population…'));
  return api(`/api/runs/${encodeURIComponent(id)}/ties`).then(t => {
    box.textContent = '';
    const G = t.groups.length;
    const cum = t.exposed.map(row => row.map(days => { let a = 0; return days.map(v => (a += v)); }));
    const rowSum = t.ties.map(r => r.reduce((a, b) => a + b, 0));
    const sl = h('input', { type: 'range', id: 'ties-day', min: 0, max: t.days, value: t.days, 'aria-label': 'Day of the sanctions matrix' });
    const out = h('output', { for: 'ties-day', id: 'ties-day-out' });
    const host = h('div', { class: 'cols' });
    box.append(h('div', { class: 'toolbar' }, h('label', { for: 'ties-day' }, 'Sanctioned by day'), sl, out), host);
    const W = 60 + 70 * G, H = 40 + 46 * G;
    const matrix = (title, idSuffix, cell) => {
      const fig = h('figure', { class: 'chart matrix' }, h('figcaption', { id: 'ties-' + idSuffix + '-title' }, title));
      const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'ties-' + idSuffix + '-title', class: 'plot', id: 'ties-' + idSuffix }, null);
      fig.appendChild(svg);
      t.groups.forEach((g, j) => { const tx = svgEl('text', { x: 60 + 70 * j + 35, y: 14, 'text-anchor': 'middle', class: 'axlabel' }, svg); tx.textContent = g; });
      t.groups.forEach((g, i) => {
        const tx = svgEl('text', { x: 54, y: 22 + 46 * i + 27, 'text-anchor': 'end', class: 'axlabel' }, svg); tx.textContent = g;
        for (let j = 0; j < G; j++) {
          const v = cell(i, j);
          svgEl('rect', { x: 60 + 70 * j, y: 22 + 46 * i, width: 68, height: 44, fill: PALETTE[0], 'fill-opacity': (0.08 + 0.85 * Math.min(1, v)).toFixed(3), stroke: '#fff' }, svg);
          const c = svgEl('text', { x: 60 + 70 * j + 34, y: 22 + 46 * i + 27, 'text-anchor': 'middle', class: v > 0.5 ? 'cell dark' : 'cell' }, svg);
          c.textContent = isFinite(v) ? (100 * v).toFixed(1) + '%' : 'n/a';
        }
      });
      addExport(fig, svg, `ties-${idSuffix}-${id}`, null);
      return fig;
    };
    const draw = () => {
      const d = Number(sl.value);
      out.textContent = `day ${d}`;
      host.textContent = '';
      host.append(matrix(`Ties from each group (row) to each group (column), % of the row's ${'ties'}; ${big(rowSum.reduce((a, b) => a + b, 0) / 2)} ties among ${big(t.people.reduce((a, b) => a + b, 0))} people`, 'share', (i, j) => t.ties[i][j] / rowSum[i]),
        matrix(`Ties from each group (row) to someone of each group (column) sanctioned by day ${d}, % of the row's ties to that group`, 'exposed', (i, j) => t.ties[i][j] ? cum[i][j][d] / t.ties[i][j] : NaN));
    };
    sl.addEventListener('input', draw);
    draw();
  });
}

// ---------- routing ----------
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { view: parts[0] || 'editor', args: parts.slice(1) };
}
async function onRoute() {
  if (location.hash && !location.hash.startsWith('#/')) return; // an in-page anchor, not a route
  const r = route();
  const view = { editor: 'editor', runs: 'runs', run: 'run', compare: 'compare', citizen: 'citizen', sweep: 'sweep' }[r.view] || 'editor';
  for (const s of document.querySelectorAll('[data-view]')) s.hidden = s.dataset.view !== view;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  status('');
  try {
    if (view === 'runs') { await Promise.all([refreshJobs(), refreshRuns()]); }
    else if (view === 'run') await showRun(r.args[0]);
    else if (view === 'compare') await showCompare(r.args[0], r.args[1]);
    else if (view === 'citizen') await showCitizen(r.args[0], r.args[1], r.args[2]);
    else if (view === 'sweep') await showSweep(r.args[0]);
  } catch (e) { status(e.message, true); }
}
async function main() {
  window.addEventListener('hashchange', onRoute);
  $('.skip').addEventListener('click', ev => { ev.preventDefault(); $('#main').focus(); });
  $('#compare-selected').addEventListener('click', () => { const [a, b] = [...picked]; location.hash = `#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`; });
  $('#cmp-go').addEventListener('click', () => { location.hash = `#/compare/${encodeURIComponent($('#cmp-a').value)}/${encodeURIComponent($('#cmp-b').value)}`; });
  try { initEditor(await api('/api/scenarios')); } catch (e) { status(e.message, true); }
  await onRoute();
  document.body.dataset.ready = 'true';
}
document.addEventListener('DOMContentLoaded', main);
