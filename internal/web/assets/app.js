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
function numberField(label, path, base, opts) {
  const id = 'k' + (++fieldSeq);
  const cur = draft.sets.has(path) ? draft.sets.get(path) : base;
  const inp = h('input', Object.assign({ id, type: 'number', value: cur == null ? '' : cur, 'data-path': path }, opts || {}));
  inp.addEventListener('change', () => setOverride(path, inp.value, base));
  return h('div', { class: 'field' + (draft.sets.has(path) ? ' changed' : '') }, h('label', { for: id }, label), inp);
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
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.path || document.activeElement.id : null;
  f.textContent = '';
  if (!m) { f.appendChild(h('p', { class: 'muted' }, 'The form appears once the YAML validates.')); return; }
  fieldSeq = 0;
  const run = h('fieldset', {}, h('legend', {}, 'Run'),
    numberField('Population size (people)', 'run.agents', m.agents, { min: 1, step: 1 }),
    numberField('Days', 'run.days', m.days, { min: 1, step: 1 }),
    numberField('Seed', 'run.seed', m.seed, { min: 0, step: 1 }));
  f.appendChild(run);
  for (const r of m.regions) {
    const fs = h('fieldset', {}, h('legend', {}, `Region ${r.name}`),
      numberField('Share of the population', `population.regions.${r.name}.share`, r.share, { step: 0.01, min: 0, max: 1 }),
      numberField('Cameras per 1,000 people', `population.regions.${r.name}.cameras_per_1000`, r.cameras_per_1000, { step: 1, min: 0 }));
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
  for (const t of m.tiers) if (t.min != null) tiers.appendChild(numberField(`${t.name} from`, `tiers.levels.${t.name}.min`, t.min, { step: 1 }));
  f.appendChild(tiers);
  const rules = h('fieldset', {}, h('legend', {}, 'Rule amounts (points; a number or an expression)'));
  for (const r of m.rules) rules.appendChild(textField(`${r.name} (${r.trigger})`, `scoring.rules.${r.name}.amount`, r.amount));
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
    const again = f.querySelector(`[data-path="${CSS.escape(focused)}"]`) || document.getElementById(focused);
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
  const state = { queued: `waiting (position ${j.queue_position || 1})`, running: `day ${j.day} of ${j.days}`, auditing: 'auditing…', done: 'finished', failed: 'failed: ' + (j.error || ''), cancelled: 'cancelled' }[j.state];
  li.appendChild(h('progress', { max: 100, value: j.state === 'done' || j.state === 'auditing' ? 100 : pctDone, 'aria-label': `Progress of ${j.label || j.scenario}` }));
  const eta = j.state === 'running' && j.day > 0 ? ` · about ${Math.ceil(j.elapsed_s / j.day * (j.days - j.day))} s to go` : '';
  li.appendChild(h('span', { class: 'jobstate' }, state + (j.elapsed_s ? ` · ${j.elapsed_s.toFixed(1)} s` : '') + eta));
  if (j.state === 'queued' || j.state === 'running') {
    li.appendChild(h('button', { type: 'button', class: 'small', onclick: () => api(`/api/jobs/${j.id}/cancel`, {}).then(refreshJobs).catch(e => status(e.message, true)) }, 'Cancel'));
  }
  if (j.state === 'done') li.appendChild(h('a', { href: '#/run/' + encodeURIComponent(j.run), class: 'open' }, 'Open dashboard'));
  if (j.state === 'running' && live.has(j.id)) {
    const box = h('div', { class: 'live', 'data-live': j.id });
    li.appendChild(box);
    drawLive(j.id, box);
  }
  return li;
}
// Live charts of running jobs, from the points their event streams send.
const live = new Map(); // job id -> {groups, worst_tier, days, points: []}
function drawLive(id, box) {
  const l = live.get(id);
  if (!l || !l.points.length) return;
  // The day axis grows with the run (at least 30 days), so the lines fill the chart as it goes.
  const lastDay = l.points[l.points.length - 1].day;
  const x = Array.from({ length: Math.max(lastDay, Math.min(l.days, 30)) + 1 }, (_, i) => i);
  const at = new Map(l.points.map(p => [p.day, p]));
  const series = key => l.groups.map((g, k) => ({ name: g, values: x.map(d => at.has(d) ? at.get(d)[key][k] : null) }));
  const a = h('div'), b = h('div');
  box.textContent = '';
  box.appendChild(a); box.appendChild(b);
  lineChart(a, { id: 'live-score-' + id, title: 'Mean score by group (points), live', xLabel: 'day', yLabel: 'mean score (points)', x, series: series('score') });
  lineChart(b, { id: 'live-worst-' + id, title: `Share in tier ${l.worst_tier} by group (% of the group), live`, xLabel: 'day', yLabel: '% of the group', x, fmt: v => v.toFixed(1) + '%', series: series('worst') });
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
    const l = live.get(id) || { groups: p.groups, worst_tier: p.worst_tier, days: 0, points: [] };
    l.points.push(...p.points);
    live.set(id, l);
  });
  es.addEventListener('status', ev => {
    const j = JSON.parse(ev.data);
    if (live.has(id)) live.get(id).days = j.days;
    const old = document.querySelector(`li[data-job="${CSS.escape(id)}"]`);
    if (old && j.state === lastState && j.state === 'running') {
      // Update in place; redraw the live charts at most twice a second.
      old.querySelector('progress').value = j.days ? Math.round(100 * j.day / j.days) : 0;
      const eta = j.day > 0 ? ` · about ${Math.ceil(j.elapsed_s / j.day * (j.days - j.day))} s to go` : '';
      old.querySelector('.jobstate').textContent = `day ${j.day} of ${j.days} · ${j.elapsed_s.toFixed(1)} s${eta}`;
      const l = live.get(id);
      if (l && l.points.length !== drawn && !timer) {
        timer = setTimeout(() => {
          timer = null;
          const row = document.querySelector(`li[data-job="${CSS.escape(id)}"]`);
          if (!row) return;
          let box = row.querySelector('.live');
          if (!box) { box = h('div', { class: 'live', 'data-live': id }); row.appendChild(box); }
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
  if (!storedRuns.length) await refreshRuns().catch(() => {});
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
    const ma = measuresOf(r), mb = measuresOf(o), fa = refA ? measuresOf(refA) : null, fb = refB ? measuresOf(refB) : null;
    ma.forEach(([label, va, isRate], k) => {
      const vb = mb[k] ? mb[k][1] : null;
      const f = isRate ? pct : num;
      const gapA = fa && isRate && r.value !== ref ? va - fa[k][1] : null, gapB = fb && isRate && r.value !== ref ? vb - fb[k][1] : null;
      const change = vb - va;
      if (isRate && r.value !== ref && gapA != null && (bestChange == null || Math.abs(gapB - gapA) > Math.abs(bestChange.d))) bestChange = { d: gapB - gapA, group: r.value, label, va, vb, ra: fa[k][1], rb: fb[k][1] };
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
  const wait = h('p', { class: 'muted', id: 'cit-wait' }, 'Re-simulating the run to follow this person (runs are deterministic, so the replay is exact)…');
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
    box.appendChild(h('h4', {}, 'What single change would have changed the tier'));
    box.appendChild(h('ul', {}, x.counterfactuals.map(c => h('li', {}, `${c.change}: ${num(c.new_score)} points, ${c.new_tier}`))));
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
  if (y.counterfactual) {
    const c = y.counterfactual;
    box.appendChild(h('p', { class: 'callout', id: 'cf-summary' }, `Without ${y.without === 'no-regime' ? 'any regime' : 'the rule ' + y.without}: score ${num(c.score)} instead of ${num(x.score)}, tier ${c.tier} instead of ${x.tier}; ${periods(c.sanctions.length, x.sanctions.length)}.`));
  }
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
  n.nodes.forEach((v, i) => {
    const [x, y] = pos[i];
    const r = v.depth === 0 ? 14 : v.depth === 1 ? 9 : 5.5;
    const g = svgEl('g', { class: 'node' }, gn);
    const t = svgEl('title', {}, g);
    t.textContent = `citizen ${v.id}, group ${v.group}, tier ${v.tier}${v.sanctioned ? ', under a sanction since day ' + v.first_sanction_day : v.first_sanction_day >= 0 ? ', sanctioned from day ' + v.first_sanction_day : ''}${v.detained ? ', detained' : ''}`;
    shape(g, TIER_SHAPES[v.tier_index] || 'circle', x, y, r, { fill: fill(v.tier_index), stroke: v.sanctioned ? '#000' : '#444', 'stroke-width': v.sanctioned ? 3 : 1 });
    if (v.depth <= 1) {
      const l = svgEl('text', { x, y: y + 3.5, 'text-anchor': 'middle', class: 'nlabel' }, g);
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
  lg.appendChild(h('li', {}, s2, ' under a sanction at the end (label: day it began)'));
  lg.appendChild(h('li', {}, h('span', { class: 'partner-key' }, '— —'), ' partner'));
  fig.appendChild(lg);
  // The same facts as a table, for screen readers and for reading exactly.
  const first = n.nodes.filter(v => v.depth === 1);
  box.appendChild(h('details', {}, h('summary', {}, `The ${first.length} direct acquaintances and partner as a table`),
    h('table', { class: 'data', id: 'net-table' }, h('thead', {}, h('tr', {}, ['citizen', 'group', 'tier', 'sanctioned since day', 'detained'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, first.map(v => h('tr', {}, h('td', {}, h('a', { href: `#/citizen/${encodeURIComponent(id)}/${v.id}` }, String(v.id))), h('td', {}, v.group), h('td', {}, v.tier),
        h('td', { class: 'n' }, v.sanctioned ? v.first_sanction_day : '—'), h('td', {}, v.detained ? 'yes' : 'no')))))));
}

// ---------- routing ----------
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { view: parts[0] || 'editor', args: parts.slice(1) };
}
async function onRoute() {
  if (location.hash && !location.hash.startsWith('#/')) return; // an in-page anchor, not a route
  const r = route();
  const view = { editor: 'editor', runs: 'runs', run: 'run', compare: 'compare', citizen: 'citizen' }[r.view] || 'editor';
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
