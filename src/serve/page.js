// wb serve's page: the editor, the run animated, the gates. Plain
// JavaScript, no library. Every answer comes from the server's JSON, which
// is the command line's (docs/json.md, docs/diagnostics.md).
"use strict";
const $ = (id) => document.getElementById(id);
const src = $("src"), hl = $("hl");
const KEYWORDS = new Set(["board", "input", "stream", "write", "read", "forget", "repeat", "each", "when", "gate", "in"]);
let diags = [], events = [], reads = [], runError = null, frame = 0, hash = null, fileName = "program.wb";
let checkTimer = null, checkSeq = 0, current = null;
// The gates' steps (`wb compile --emit json`'s schedule): step number to its statements ({line, text}); `linked` the step hovered.
let stepStatements = new Map(), linked = null;

// Byte offsets (the JSON's `start`/`end`) to string indices.
function byteToIndex(text) {
  const map = new Map();
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    map.set(b, i);
    const c = text.codePointAt(i);
    b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  map.set(b, text.length);
  return (off) => { while (off > 0 && !map.has(off)) off--; return map.get(off) ?? 0; };
}

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

function highlight() {
  const text = src.value;
  const cls = new Array(text.length).fill("");
  const re = /#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?([eE][-+]?\d+)?/g;
  let m;
  while ((m = re.exec(text))) {
    const k = m[0][0] === "#" ? "com" : /\d/.test(m[0][0]) ? "num" : KEYWORDS.has(m[0]) ? "kw" : "";
    if (k) for (let i = m.index; i < m.index + m[0].length; i++) cls[i] = k;
  }
  const at = byteToIndex(text);
  const extra = new Array(text.length).fill("");
  for (const d of diags) {
    const label = (d.labels || []).find((l) => l.primary);
    if (!label) continue;
    let s = at(label.start), e = Math.max(at(label.end), s + 1);
    for (let i = s; i < Math.min(e, text.length); i++) extra[i] += d.severity === "error" ? " err" : " warn";
  }
  if (current) {
    for (let i = at(current.start); i < Math.min(at(current.end), text.length); i++) extra[i] += " cur";
  }
  for (const [s, e] of linkedRanges(text)) for (let i = s; i < e; i++) extra[i] += " link";
  let html = "", run = "", runCls = null;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? (cls[i] + extra[i]).trim() : null;
    if (c !== runCls || i === text.length) {
      if (run) html += runCls ? `<span class="${runCls}">${escapeHtml(run)}</span>` : escapeHtml(run);
      run = ""; runCls = c;
    }
    if (i < text.length) run += text[i];
  }
  hl.innerHTML = html + "\n";
  hl.scrollTop = src.scrollTop; hl.scrollLeft = src.scrollLeft;
}

async function post(path, body) {
  const r = await fetch(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  return r;
}

function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 250);
}

async function check() {
  const seq = ++checkSeq;
  const r = await post("/api/check", src.value);
  const v = await r.json();
  if (seq !== checkSeq) return;
  diags = v.diagnostics || [];
  showDiags();
  highlight();
  document.body.dataset.checked = String(seq);
}

function applyFix(fix) {
  const text = src.value, at = byteToIndex(text);
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, at(e.start)) + e.replacement + out.slice(at(e.end));
  }
  src.value = out;
  diags = [];
  highlight();
  check();
}

function showDiags() {
  const ul = $("diags");
  ul.innerHTML = "";
  for (const d of diags) {
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.code = d.code;
    li.innerHTML = `<b>${escapeHtml(d.severity)}[${escapeHtml(d.code)}]</b> line ${d.line ?? "?"}: ${escapeHtml(d.message)}` +
      (d.help ? `<div class="help">help: ${escapeHtml(d.help)}</div>` : "");
    for (const f of d.fixes || []) {
      const b = document.createElement("button");
      b.className = "fix";
      b.textContent = "Fix: " + f.message;
      b.onclick = () => applyFix(f);
      li.appendChild(b);
    }
    ul.appendChild(li);
  }
  $("status").textContent = diags.some((d) => d.severity === "error") ? "the check finds errors" : "the check passes";
}

function parseList(text, sep) {
  return text.split(sep).map((s) => s.trim()).filter((s) => s);
}

async function runProgram() {
  $("status").textContent = "running…";
  const sets = parseList($("sets").value, ",");
  const streams = parseList($("streams").value, ";").map((s) => s.replace(/\s+/g, ","));
  const r = await post("/api/run", { text: src.value, sets, streams });
  if (!r.ok) { $("status").textContent = await r.text(); return; }
  const v = await r.json();
  events = (v.trace && v.trace.events) || [];
  reads = v.reads || [];
  runError = (v.diagnostics || []).find((d) => d.severity === "error") || null;
  diags = v.diagnostics || [];
  showDiags();
  $("slider").max = String(events.length);
  show(runError ? events.length : 0);
  $("status").textContent = runError ? "the run stopped: " + runError.code : "ran " + events.length + " statements" + (v.trace && !v.trace.complete ? " (trace cut: " + v.trace.events_total + " in all)" : "");
  document.body.dataset.ran = "1";
  gates();
}

// Frame 0 is the empty board before the run; frame i the board after event i.
function show(i) {
  frame = Math.max(0, Math.min(i, events.length));
  $("slider").value = String(frame);
  let board = null, capacity = 0;
  for (let k = frame - 1; k >= 0 && !board; k--) if (events[k].kind === "board") { board = events[k]; }
  for (const e of events) if (e.capacity) { capacity = e.capacity; break; }
  const ev = frame > 0 ? events[frame - 1] : null;
  const slots = board ? board.slots : [];
  const div = $("board");
  div.innerHTML = "";
  const n = Math.max(capacity, slots.length);
  for (let s = 0; s < n; s++) {
    const slot = slots[s];
    const el = document.createElement("div");
    el.className = "slot" + (slot ? "" : " free") + (slot && ev && ev.read && ev.read.includes(slot[0]) ? " readnow" : "");
    el.innerHTML = slot ? `<div>${escapeHtml(slot[0])}</div><div class="v">${slot[1]}</div>` : "<div>·</div><div class='v'>&nbsp;</div>";
    div.appendChild(el);
  }
  const shownReads = events.slice(0, frame).filter((e) => e.kind === "read").reduce((n, e) => n + e.values.length, 0);
  const ol = $("reads");
  ol.innerHTML = "";
  reads.forEach((r, k) => {
    const li = document.createElement("li");
    li.textContent = `${r.text} = ${r.value}`;
    if (k >= shownReads && events.length > 0) li.className = "future";
    ol.appendChild(li);
  });
  const atEnd = frame === events.length;
  const err = $("error");
  if (runError && atEnd) {
    err.hidden = false;
    err.textContent = `error[${runError.code}] line ${runError.line}: ${runError.message}` + (runError.help ? "\nhelp: " + runError.help : "");
    current = (runError.labels || []).find((l) => l.primary) || null;
  } else {
    err.hidden = true;
    current = ev ? ev.span : null;
  }
  $("where").textContent = ev ? `step ${frame} of ${events.length}: line ${ev.span.line}: ${ev.text}` + (ev.gate ? (ev.gate.kind === "when" ? (ev.gate.open ? " (when: open)" : " (when: closed)") : ` (gate ${ev.gate.value})`) : "") : `step 0 of ${events.length}`;
  highlight();
  document.body.dataset.frame = String(frame);
}

async function gates() {
  const text = src.value;
  const [r, c] = await Promise.all([post("/api/gates.svg", text), post("/api/compile", text)]);
  stepStatements = new Map();
  if (c.ok) collectSteps((await c.json()).schedule || []);
  $("gates").innerHTML = r.ok ? await r.text() : "";
  linkStep(null);
}

// The schedule's steps, loops' bodies included, by number.
function collectSteps(nodes) {
  for (const n of nodes) {
    if (n.step !== undefined) stepStatements.set(String(n.step), n.statements || []);
    const loop = n.each || n.repeat;
    if (loop) collectSteps(loop.body || []);
  }
}

// The editor's ranges of the hovered step's statements: each statement's
// text on its line (the whole line if it is not found there).
function linkedRanges(text) {
  if (linked === null) return [];
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const out = [];
  for (const st of stepStatements.get(linked) || []) {
    const s = starts[st.line - 1];
    if (s === undefined) continue;
    const end = text.indexOf("\n", s) < 0 ? text.length : text.indexOf("\n", s);
    const k = text.slice(s, end).indexOf(st.text);
    out.push(k < 0 ? [s, end] : [s + k, s + k + st.text.length]);
  }
  return out;
}

// Hovering a step of the gates (its number, or a gate of its column)
// highlights its statements in the editor.
function linkStep(step) {
  linked = step;
  for (const g of $("gates").querySelectorAll(".step")) g.classList.toggle("on", g.dataset.step === step);
  const st = step === null ? [] : stepStatements.get(step) || [];
  $("linked").textContent = step === null ? "" : `step ${step}: ` + st.map((x) => `line ${x.line}: ${x.text}`).join("; ");
  highlight();
}
$("gates").addEventListener("mouseover", (e) => {
  const el = e.target.closest && e.target.closest("[data-step]");
  linkStep(el ? el.dataset.step : null);
});
$("gates").addEventListener("mouseleave", () => linkStep(null));

function download(name, type, data) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  a.click();
}

async function save() {
  const r = await post("/api/save", { text: src.value, hash });
  if (r.ok) { hash = (await r.json()).hash; $("status").textContent = "saved " + fileName; }
  else $("status").textContent = "not saved: " + await r.text();
}

async function load() {
  const v = await (await fetch("/api/file")).json();
  src.value = v.text; hash = v.hash; fileName = v.name;
  $("name").textContent = v.name;
  $("save").hidden = !v.saves;
  highlight();
  await check();
}

src.addEventListener("input", () => { events = []; current = null; linked = null; stepStatements = new Map(); highlight(); scheduleCheck(); });
src.addEventListener("scroll", () => { hl.scrollTop = src.scrollTop; hl.scrollLeft = src.scrollLeft; });
$("run").onclick = runProgram;
$("back").onclick = () => show(frame - 1);
$("fwd").onclick = () => show(frame + 1);
$("end").onclick = () => show(events.length);
$("slider").oninput = () => show(Number($("slider").value));
$("save").onclick = save;
$("dl-wb").onclick = () => download(fileName, "text/plain", src.value);
$("dl-report").onclick = async () => {
  const sets = parseList($("sets").value, ",");
  const streams = parseList($("streams").value, ";").map((s) => s.replace(/\s+/g, ","));
  const r = await post("/api/report", { text: src.value, sets, streams });
  if (r.ok) download(fileName.replace(/\.wb$/, "") + ".html", "text/html", await r.text());
  else $("status").textContent = "no report: " + await r.text();
};
$("dl-svg").onclick = async () => { const r = await post("/api/gates.svg", src.value); if (r.ok) download("gates.svg", "image/svg+xml", await r.text()); };

// `#test=N`: the page drives itself (headless tests): type the program of
// `?program=…` or the overflowing one, see the underline (1), apply the
// quick fix (2), run and step to the end (3), hover the gates' step 3 (4).
// `data-stage` tells how far.
const OVERFLOW = "# overflow.wb: the article's program without its `forget bd`.\n# `wb check` says which slot to forget, and where.\nboard 3\ninput a = 1, b = 3, c = 5, d = 11\n\nwrite ac = a * c\nwrite bd = b * d\nwrite bd_a = bd + a\nwrite p = ac * bd_a\nforget bd_a\nwrite ad = a * d\nforget ac\nwrite result = ad + p\nread result\n";
async function selfTest(stop) {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (f) => { for (let k = 0; k < 200 && !f(); k++) await wait(25); return f(); };
  src.value = ""; src.focus();
  for (const ch of OVERFLOW) { src.value += ch; src.dispatchEvent(new Event("input")); }
  await until(() => document.querySelector("#hl .err") && $("diags").querySelector("[data-code='wb::board_full']"));
  document.body.dataset.stage = "1";
  if (stop <= 1) return;
  const fix = $("diags").querySelector("[data-code='wb::board_full'] .fix");
  const before = document.body.dataset.checked;
  fix.click();
  await until(() => document.body.dataset.checked !== before && !diags.some((d) => d.severity === "error"));
  document.body.dataset.stage = "2";
  if (stop <= 2) return;
  $("run").click();
  await until(() => document.body.dataset.ran === "1");
  while (frame < events.length) { $("fwd").click(); await wait(5); }
  await until(() => $("gates").querySelector("svg") && stepStatements.size > 0);
  document.body.dataset.stage = "3";
  if (stop <= 3) return;
  // Hover the gates' step 3: its statements light up in the editor.
  const step = $("gates").querySelector(".step[data-step='3']");
  step.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  await until(() => document.querySelector("#hl .link"));
  document.body.dataset.stage = "4";
}

load().then(() => {
  const m = /#test=(\d)/.exec(location.hash);
  if (m) selfTest(Number(m[1]));
});
