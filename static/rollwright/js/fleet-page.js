// The fleet page: the table is server-rendered; this keeps each row's upgrade progress, its
// auto-upgrade switch and the "needs attention" strip current. Instance events update the
// counts in place; an upgrade starting or ending, an enablement or a fault rule refetches
// that one row (the server's words for it).

import { wireActions } from "./actions.js";
import { countStates, escapeHtml, isActive, segmentsOf, statusOf } from "./format.js";
import { renderNextUpgrade, tickCountdowns } from "./next-upgrade.js";
import { LiveSocket } from "./socket.js";

const snapshot = JSON.parse(document.getElementById("fleet-snapshot").textContent);
const rows = new Map(snapshot.rows.map((row) => [row.id, row]));
const trackers = new Map();
// Releases, replication, windows and trigger policies belong to no one scale set: they
// refetch every row whose auto-upgrade is on (T1-T7: its "next automatic upgrade" line).
const FLEET_WIDE = new Set([
  "release_phase_started", "release_stopped", "release_resumed", "release_ended",
  "replication_completed", "replication_failed", "replication_restarted",
  "maintenance_configured", "maintenance_assigned", "trigger_policy_assigned", "image_published",
]);
const REFETCH = new Set([
  "upgrade_started", "upgrade_finished", "auto_upgrade_enabled", "auto_upgrade_disabled",
  "model_updated", "fault_rule_added", "fault_rule_removed", "image_published",
  "paused", "resumed", "pause_requested", "cancel_requested",
]);

function track(row) {
  const op = row.operation;
  trackers.set(row.id, op ? { op: { ...op }, cursor: op.cursor || 0, states: new Map(Object.entries(op.states || {})) } : null);
}
for (const row of rows.values()) track(row);

function rowEl(id) {
  return document.querySelector(`tr[data-scale-set="${id}"]`);
}

function renderUpgrade(id) {
  const el = rowEl(id);
  const tracker = trackers.get(id);
  if (!el) return;
  const cell = el.querySelector('[data-cell="upgrade"] [data-part="summary"]');
  if (!tracker) {
    cell.innerHTML = '<span class="muted">No upgrade yet</span>';
    return;
  }
  const { op, states } = tracker;
  // The states (when this page has them) are newer than the counts of the last fetch.
  const counts = states.size
    ? countStates([...states.values()].map((state) => ({ state, batch: 0 })))
    : op.counts || countStates([]);
  const { total, done, segments } = segmentsOf(counts);
  const [hook, words] = statusOf(op);
  const batch = op.current_batch !== null && op.current_batch !== undefined
    ? `batch ${op.current_batch + 1} of ${op.batch_count}`
    : op.batch_count ? `${op.batch_count} batch${op.batch_count === 1 ? "" : "es"}` : "";
  const extra = segments.filter((s) => s.state !== "succeeded" && s.state !== "pending").map((s) => ` · ${s.count} ${s.label}`).join("");
  cell.innerHTML =
    `<div class="upgrade-summary" data-status="${hook}">` +
    `<span class="status-badge status-${hook}"><span class="status-icon" aria-hidden="true"></span>${words}</span>` +
    `<span class="upgrade-meta">${batch} → <code>${escapeHtml(op.target_image_version)}</code></span>` +
    `<div class="progress" role="img" aria-label="${done} of ${total} instances done">` +
    segments.map((s) => `<span class="bar bar-${s.state}" style="width: ${s.percent.toFixed(2)}%"></span>`).join("") +
    `</div><span class="upgrade-counts">${done}/${total} done${extra}</span></div>`;
}

function renderImage(row) {
  const cell = rowEl(row.id).querySelector('[data-cell="image"]');
  const { image } = row;
  const versions = Object.entries(image.versions).map(([version, count]) => (
    `<span class="version${version === image.latest ? " is-latest" : ""}" title="${count} instance${count === 1 ? "" : "s"} on ${escapeHtml(version)}">` +
    `<code>${escapeHtml(version)}</code><span class="times">×${count}</span></span>`
  )).join("");
  const pill = image.up_to_date
    ? '<span class="pill pill-ok"><span class="pill-icon" aria-hidden="true">✓</span>latest</span>'
    : image.latest ? `<span class="pill pill-new" title="The newest version available in this region">newer <code>${escapeHtml(image.latest)}</code></span>` : "";
  cell.innerHTML =
    `<span class="image-label"><strong>${escapeHtml(image.label)}</strong> <span class="image-detail">${escapeHtml(image.detail)}</span></span>` +
    `<span class="versions">${versions}${pill}</span>`;
}

function renderToggle(row) {
  const el = rowEl(row.id);
  if (!el) return;
  const button = el.querySelector(".switch");
  if (button) {
    button.setAttribute("aria-checked", String(row.auto_upgrade));
    button.querySelector(".switch-text").textContent = row.auto_upgrade ? "On" : "Off";
    button.form.elements.enable.value = row.auto_upgrade ? "off" : "on";
  }
  const pill = el.querySelector('[data-cell="auto"] .pill');
  if (pill) {
    pill.className = `pill ${row.auto_upgrade ? "pill-ok" : "pill-off"}`;
    pill.textContent = `Auto-upgrade ${row.auto_upgrade ? "on" : "off"}`;
  }
  const hint = el.querySelector(".refusal-hint");
  if (hint) hint.hidden = row.auto_upgrade || !row.refusal;
}

function renderAttention() {
  const order = { error: 0, warning: 1, info: 2 };
  const items = [...rows.values()].flatMap((row) => row.attention)
    .sort((a, b) => order[a.severity] - order[b.severity] || a.name.localeCompare(b.name));
  const section = document.querySelector(".attention");
  section.querySelector(".count").textContent = String(items.length);
  let list = section.querySelector(".attention-list");
  const clear = section.querySelector(".all-clear");
  if (!items.length) {
    if (list) list.remove();
    if (!clear) section.insertAdjacentHTML("beforeend", '<p class="all-clear"><span class="ok-icon" aria-hidden="true"></span>Nothing needs attention.</p>');
    return;
  }
  if (clear) clear.remove();
  if (!list) {
    section.insertAdjacentHTML("beforeend", '<ul class="attention-list" id="attention-list"></ul>');
    list = section.querySelector(".attention-list");
  }
  list.innerHTML = items.map((item) => (
    `<li class="attention-item sev-${item.severity}"><span class="sev-icon" aria-hidden="true"></span>` +
    `<span class="visually-hidden">${item.severity}:</span><div class="attention-body">` +
    `<a class="attention-name" href="/scale-sets/${item.scale_set}/">${escapeHtml(item.name)}</a>` +
    `<span class="attention-title">${escapeHtml(item.title)}</span>` +
    `<p class="attention-detail" title="${escapeHtml(item.detail)}">${escapeHtml(item.detail)}</p></div></li>`
  )).join("");
}

function renderUpgradingCount() {
  const count = [...trackers.values()].filter((t) => t && isActive(t.op)).length;
  document.getElementById("fleet-upgrading").textContent = String(count);
}

const pendingFetch = new Map();
function refetch(id) {
  if (pendingFetch.has(id)) return;
  pendingFetch.set(id, setTimeout(async () => {
    pendingFetch.delete(id);
    const el = rowEl(id);
    if (!el) return;
    const response = await fetch(el.dataset.rowUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    applyRow(await response.json());
  }, 250));
}

function applyRow(row) {
  if (!rowEl(row.id)) return;
  rows.set(row.id, row);
  track(row);
  renderUpgrade(row.id);
  renderImage(row);
  renderToggle(row);
  renderNextUpgrade(rowEl(row.id).querySelector('[data-part="next"]'), row.next_upgrade);
  renderAttention();
  renderUpgradingCount();
}

function applyEvents(events) {
  const dirty = new Set();
  for (const event of events) {
    const id = event.scale_set;
    if (FLEET_WIDE.has(event.kind)) {
      for (const row of rows.values()) if (row.auto_upgrade) refetch(row.id);
    }
    if (id === null || !rows.has(id)) continue;
    const data = event.data || {};
    let tracker = trackers.get(id);
    if (event.kind === "upgrade_started" && (!tracker || tracker.op.id < event.operation)) {
      tracker = { cursor: event.id, op: { id: event.operation, status: "RollingForward", is_paused: false, pause_requested: false, cancel_requested: false, kind: data.upgrade_kind, target_image_version: data.target_image_version, batch_count: 0, current_batch: null, counts: null }, states: new Map() };
      trackers.set(id, tracker);
      dirty.add(id);
    }
    if (REFETCH.has(event.kind)) refetch(id);
    if (!tracker || tracker.op.id !== event.operation || event.id <= tracker.cursor) continue;
    tracker.cursor = event.id; // an upgrade's events come in id order (see model.js)
    if (event.kind === "instance_changed") tracker.states.set(String(data.instance), data.state);
    else if (event.kind === "decision" && data.plan) {
      tracker.op.batch_count = data.plan.length;
      for (const batch of data.plan) for (const instance of batch.instances) tracker.states.set(String(instance), "pending");
      for (const instance of data.skipped || []) tracker.states.set(String(instance), "skipped");
    } else if (event.kind === "batch_started") tracker.op.current_batch = data.batch;
    else if (event.kind === "batch_completed") tracker.op.current_batch = null;
    else if (event.kind === "upgrade_finished") tracker.op.status = data.status;
    else continue;
    dirty.add(id);
  }
  for (const id of dirty) renderUpgrade(id);
  if (dirty.size) renderUpgradingCount();
}

const socket = new LiveSocket("/ws/fleet/", {
  lastEventId: snapshot.last_event_id,
  onMessages(messages) {
    for (const message of messages) {
      if (message.type === "fleet.snapshot") message.snapshot.rows.forEach(applyRow);
      else applyEvents(message.events);
    }
  },
});
socket.connect();
wireActions();

const filters = document.getElementById("fleet-filters");
for (const select of filters.querySelectorAll("select")) select.addEventListener("change", () => filters.submit());
for (const el of document.querySelectorAll(".js-hide")) el.hidden = true;
tickCountdowns();
setInterval(tickCountdowns, 1000);
