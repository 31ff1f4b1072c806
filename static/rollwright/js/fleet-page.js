// The fleet page. The server renders the table, and only the server: when an event concerns
// a scale set, its row is fetched again (GET /fleet/rows/<id>/, the partial the page was
// rendered with) and swapped in, with its "needs attention" items. An event of no scale set
// (a release, a replication, a maintenance window) concerns every row with auto-upgrade on.
//
// Bursts coalesce: a row has at most one fetch in flight and starts at most one every
// REFRESH_MS; events arriving meanwhile are covered by one more fetch after it.
//
// Nothing is lost silently: each row says the stream sequence it reflects (data-sequence,
// rollout/events/streams.py), the page remembers the highest sequence it has heard of per
// scale set (an event, or the socket's `fleet.heads` summary on connect and whenever the
// server's head is ahead of what it forwarded), and fetches a row again until it reflects it.

import { wireActions } from "./actions.js";
import { tickCountdowns } from "./next-upgrade.js";
import { applySizes } from "./sizes.js";
import { LiveSocket } from "./socket.js";

const REFRESH_MS = 250;
const table = document.getElementById("fleet-table");
const strip = document.querySelector(".attention");
const refreshes = new Map(); // scale set id -> { timer, busy, again, last }
const heard = new Map(); // scale set id -> the highest sequence heard of
let platform = Number(table.dataset.platform || 0); // the newest event of no scale set seen
const stats = { gaps: 0 }; // rows found behind a head with no event on the way

const rowEl = (id) => table.querySelector(`tr[data-scale-set="${id}"]`);
const rowIds = (selector = "tr[data-scale-set]") => [...table.querySelectorAll(selector)].map((row) => Number(row.dataset.scaleSet));

/** Fetch row `id` again soon: now if it has not been fetched for REFRESH_MS, else later. */
function refresh(id) {
  if (!rowEl(id)) return;
  let entry = refreshes.get(id);
  if (!entry) {
    entry = { timer: 0, busy: false, again: false, last: -Infinity };
    refreshes.set(id, entry);
  }
  if (entry.busy) {
    entry.again = true; // the fetch in flight may have read the rows before this event
    return;
  }
  if (entry.timer) return;
  const wait = Math.max(0, entry.last + REFRESH_MS - performance.now());
  entry.timer = setTimeout(() => fetchRow(id, entry), wait);
}

async function fetchRow(id, entry) {
  entry.timer = 0;
  entry.busy = true;
  entry.last = performance.now();
  try {
    const row = rowEl(id);
    if (!row) return;
    const next = encodeURIComponent(location.pathname + location.search);
    const response = await fetch(`${row.dataset.rowUrl}?next=${next}`, { credentials: "same-origin" });
    if (response.ok) swap(id, await response.text());
    else if (response.status === 404) remove(id);
    if (rowEl(id) && sequenceOf(id) < (heard.get(id) || 0)) entry.again = true;
  } catch {
    // Offline: the socket's resume delivers the events again, and they refresh the row.
  } finally {
    entry.busy = false;
    if (entry.again) {
      entry.again = false;
      refresh(id);
    }
  }
}

/** Put the server's row in place of the old one, keeping the focus and a shown refusal. */
function swap(id, html) {
  const old = rowEl(id);
  if (!old) return;
  const holder = document.createElement("tbody");
  holder.innerHTML = html.trim();
  const row = holder.querySelector("tr[data-scale-set]");
  if (!row) return;
  const focused = old.contains(document.activeElement) ? selectorOf(document.activeElement) : null;
  const refusal = old.querySelector("[data-refusal]:not([hidden])");
  const slot = row.querySelector("[data-refusal]");
  if (refusal && slot && !slot.textContent.trim()) {
    slot.innerHTML = refusal.innerHTML;
    slot.hidden = false;
  }
  old.replaceWith(row);
  applySizes(row);
  wireActions(row);
  if (focused && row.querySelector(focused)) row.querySelector(focused).focus();
  const items = row.querySelector("template[data-part=attention]");
  setAttention(id, items ? [...items.content.children].map((item) => document.importNode(item, true)) : []);
  tickCountdowns(row);
  countUpgrading();
}

function remove(id) {
  rowEl(id)?.remove();
  setAttention(id, []);
  countUpgrading();
}

function selectorOf(el) {
  return [el.tagName.toLowerCase(), ...el.classList].join(".");
}

/** Replace scale set `id`'s items in the strip, in the server's order (rank, then name). */
function setAttention(id, items) {
  const list = strip.querySelector(".attention-list");
  for (const old of list.querySelectorAll(`[data-scale-set="${id}"]`)) old.remove();
  const all = [...list.children, ...items].sort((a, b) => (
    Number(a.dataset.rank) - Number(b.dataset.rank) || compare(a.dataset.name, b.dataset.name)
  ));
  list.replaceChildren(...all);
  list.hidden = all.length === 0;
  strip.querySelector(".all-clear").hidden = all.length > 0;
  strip.querySelector(".count").textContent = String(all.length);
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0; // as Python sorts strings
}

function countUpgrading() {
  document.getElementById("fleet-upgrading").textContent = String(rowIds("tr[data-upgrading]").length);
}

function sequenceOf(id) {
  const row = rowEl(id);
  return row ? Number(row.dataset.sequence || 0) : 0;
}

function hear(id, sequence) {
  if (sequence > (heard.get(id) || 0)) heard.set(id, sequence);
}

function applyEvents(events) {
  for (const event of events) {
    if (event.scale_set === null) {
      platform = Math.max(platform, event.id);
      rowIds('tr[data-auto-upgrade="true"]').forEach(refresh);
    } else {
      hear(event.scale_set, event.sequence || 0);
      refresh(event.scale_set);
    }
  }
}

/** The server's heads: fetch again every row older than its head. */
function applyHeads(message) {
  for (const [key, head] of Object.entries(message.heads)) {
    const id = Number(key);
    if (head > (heard.get(id) || 0) && head > sequenceOf(id)) stats.gaps += 1;
    hear(id, head);
    if (head > sequenceOf(id)) refresh(id);
  }
  if (message.platform > platform) {
    platform = message.platform;
    rowIds('tr[data-auto-upgrade="true"]').forEach(refresh);
  }
}

const socket = new LiveSocket("/ws/fleet/", {
  onMessages(messages) {
    for (const message of messages) {
      if (message.type === "fleet.heads") applyHeads(message);
      else if (message.type === "events") applyEvents(message.events);
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
window.rollwright = { refresh, socket, heard, stats, sequenceOf };
