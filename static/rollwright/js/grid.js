// The rollout grid: one band per batch, one cell per instance. It is laid out once (one
// innerHTML), then kept current through a Map from instance id to cell: an update touches
// only the cells that changed. Every cell carries data-instance-id and data-state, every
// batch data-batch (hooks for tests and tools); the state reads without colour through the
// icon (CSS, per data-state), the pattern and the accessible label.

import { clock, escapeHtml, mmss } from "./format.js";
import { failuresOf, powerLabel, protectedLabel, stateLabel } from "./words.js";

const COMPACT_ABOVE = 120;

export class Grid {
  constructor(root, { onHover, onSelect } = {}) {
    this.root = root;
    this.onSelect = onSelect;
    this.cells = new Map();
    this.batchEls = new Map();
    this.waiting = new Set();
    this.onHover = onHover;
    this.forceLarge = false;
    root.addEventListener("mouseover", (event) => this.hover(event));
    root.addEventListener("focusin", (event) => this.hover(event));
    root.addEventListener("click", (event) => {
      const el = event.target.closest && event.target.closest("[data-instance-id]");
      if (el && this.onSelect) this.onSelect(el.dataset.instanceId);
    });
  }

  /** Draw every batch and cell from the model (on load, and when a new plan arrives). */
  layout(model) {
    const groups = groupsOf(model);
    const compact = !this.forceLarge && model.cells.size > COMPACT_ABOVE;
    this.root.classList.toggle("grid--compact", compact);
    const html = [];
    for (const group of groups) {
      html.push(
        `<section class="batch" ${group.attr}="${escapeHtml(group.key)}" aria-label="${escapeHtml(group.label)}">`,
        `<header class="batch-head"><span class="batch-title">${escapeHtml(group.title)}</span>`,
        `<span class="batch-count">${group.ids.length} VM${group.ids.length === 1 ? "" : "s"}</span>`,
        `<span class="batch-place">${escapeHtml(group.place)}</span>`,
        `<span class="batch-status" data-batch-status></span></header>`,
        `<ol class="cells">`,
      );
      for (const id of group.ids) html.push(cellHtml(model.cells.get(id)));
      html.push("</ol></section>");
    }
    if (!groups.length) html.push('<p class="empty">This scale set has no instances.</p>');
    this.root.innerHTML = html.join("");
    this.cells.clear();
    this.batchEls.clear();
    this.waiting.clear();
    for (const el of this.root.querySelectorAll("[data-instance-id]")) {
      this.cells.set(el.dataset.instanceId, el);
      if (el.dataset.state === "waiting_for_health") this.waiting.add(el.dataset.instanceId);
    }
    for (const el of this.root.querySelectorAll("[data-batch]")) {
      this.batchEls.set(Number(el.dataset.batch), el);
    }
    this.model = model;
  }

  /** Repaint the cells whose instance changed. */
  update(ids) {
    for (const id of ids) {
      const el = this.cells.get(id);
      const cell = this.model.cells.get(id);
      if (!el || !cell) continue;
      if (el.dataset.state !== cell.state) el.dataset.state = cell.state;
      const power = cell.power_state || "running";
      if (el.dataset.power !== power) el.dataset.power = power;
      const guarded = String(Boolean(cell.protected));
      if (el.dataset.protected !== guarded) el.dataset.protected = guarded;
      const label = labelOf(cell, this.model);
      el.setAttribute("aria-label", label);
      el.title = label;
      if (cell.state === "waiting_for_health") this.waiting.add(id);
      else if (this.waiting.delete(id)) {
        el.style.removeProperty("--left");
        el.querySelector(".cell-timer").textContent = "";
      }
      el.classList.toggle("has-fault", this.model.faultTargets.has(Number(id)));
    }
  }

  /** Countdowns of the instances waiting for health (U4: 5 minutes), on the server's clock,
   * in wall-clock time like every other time on the page (Azure's time: the cell's label). */
  tick(now) {
    const wait = this.model.timing.health_wait_seconds * 1000;
    for (const id of this.waiting) {
      const cell = this.model.cells.get(id);
      const el = this.cells.get(id);
      if (!cell || !el || cell.deadline === null) continue;
      const left = Math.max(0, cell.deadline - now);
      el.style.setProperty("--left", wait ? String(Math.min(1, left / wait)) : "0");
      const text = mmss(left / 1000);
      const timer = el.querySelector(".cell-timer");
      if (timer.textContent !== text) timer.textContent = text;
    }
  }

  /** Batch bands: done, running, next; and their expected ends (B8). */
  updateBatches(model, ends) {
    for (const batch of model.batches) {
      const el = this.batchEls.get(batch.index);
      if (!el) continue;
      let state = "waiting";
      let text = "";
      let outcome = "";
      if (batch.completed_at !== null) {
        state = "done";
        const took = batch.started_at !== null ? (batch.completed_at - batch.started_at) / 1000 : 0;
        text = `done ${clock(batch.completed_at - model.clockOffset)} · ${took.toFixed(took < 10 ? 1 : 0)} s`;
        // Honest words: a batch with failed or rolled-back instances is not a plain success.
        const failures = failuresOf(batch.instances.map((id) => model.cells.get(id)).filter(Boolean));
        outcome = failures.length ? "failures" : "succeeded";
        if (failures.length) text += ` · ${failures.map((f) => `${f.count} ${f.label}`).join(", ")}`;
      } else if (batch.started_at !== null) {
        state = "running";
        const end = ends.get(batch.index);
        text = end ? `running · ends ~${clock(end - model.clockOffset)}` : "running";
      } else {
        const end = ends.get(batch.index);
        text = end ? `ends ~${clock(end - model.clockOffset)}` : "";
      }
      if (el.dataset.batchState !== state) el.dataset.batchState = state;
      if ((el.dataset.batchOutcome || "") !== outcome) {
        if (outcome) el.dataset.batchOutcome = outcome;
        else delete el.dataset.batchOutcome;
      }
      const status = el.querySelector("[data-batch-status]");
      if (status.textContent !== text) status.textContent = text;
    }
  }

  hover(event) {
    const el = event.target.closest && event.target.closest("[data-instance-id]");
    if (!el || !this.onHover) return;
    const cell = this.model.cells.get(el.dataset.instanceId);
    if (cell) this.onHover(cell, labelOf(cell, this.model));
  }

  /** Outline one instance (the "find" box) and tell its details; false when there is none. */
  find(id) {
    for (const el of this.root.querySelectorAll(".is-found")) el.classList.remove("is-found");
    const el = this.cells.get(String(id).trim());
    if (!el) return false;
    el.classList.add("is-found");
    el.scrollIntoView({ block: "nearest", inline: "nearest" });
    const cell = this.model.cells.get(el.dataset.instanceId);
    if (cell && this.onHover) this.onHover(cell, labelOf(cell, this.model));
    if (cell && this.onSelect) this.onSelect(cell.id);
    return true;
  }
}

/** The "find" box: outline the instance and tell its details, or say that none matches (the
 * box is marked invalid and the line under the toolbar says so). */
export function findInstance(grid, input, line) {
  const wanted = input.value.trim();
  const found = grid.find(wanted);
  input.setCustomValidity(wanted && !found ? "No such instance" : "");
  input.toggleAttribute("aria-invalid", Boolean(wanted && !found));
  if (wanted && !found && line) {
    const ids = [...grid.cells.keys()].map(Number).filter(Number.isFinite);
    const range = ids.length ? ` (its ids run from ${Math.min(...ids)} to ${Math.max(...ids)})` : "";
    line.textContent = `No instance ${wanted} in this scale set${range}.`;
    line.dataset.tone = "error";
  } else if (line) delete line.dataset.tone;
  return found;
}

function cellHtml(cell) {
  // "z2·ud3" in a zone; a regional instance has no zone to name: "ud3".
  const place = cell.zone ? `z${cell.zone}·ud${cell.update_domain}` : `ud${cell.update_domain}`;
  return (
    `<li class="cell" data-instance-id="${escapeHtml(cell.id)}" data-state="${cell.state}" ` +
    `data-power="${escapeHtml(cell.power_state || "running")}" data-protected="${Boolean(cell.protected)}">` +
    `<span class="cell-id">${escapeHtml(cell.id)}</span><span class="cell-icon" aria-hidden="true"></span>` +
    `<span class="cell-meta" aria-hidden="true">${place}</span><span class="cell-timer" aria-hidden="true"></span></li>`
  );
}

export function labelOf(cell, model) {
  const zone = cell.zone ? `zone ${cell.zone}` : "regional";
  let text = `Instance ${cell.id}, ${zone}, update domain ${cell.update_domain}: ${stateLabel(cell.state)}`;
  if (cell.state === "waiting_for_health" && cell.deadline !== null) {
    const scale = model.timing.time_scale;
    const azure = scale === 1 ? "" : `; ${mmss(model.timing.health_wait_seconds * scale)} of Azure time`;
    text += ` (U4: healthy by ${clock(cell.deadline - model.clockOffset)}${azure})`;
  }
  if (cell.power_state && cell.power_state !== "running") text += `. VM ${powerLabel(cell.power_state)}`;
  if (cell.protected) text += `. ${protectedLabel()}`;
  if (cell.reason) text += `. ${cell.reason}`;
  if (model.faultTargets.has(Number(cell.id))) text += ". A fault rule targets it (B2).";
  return text;
}

/** The bands to draw: the plan's batches, or zones when no plan exists. */
function groupsOf(model) {
  const groups = [];
  const placed = new Set();
  for (const batch of model.batches) {
    const zones = batch.zones.length ? `zone ${batch.zones.join(", ")}` : "regional";
    groups.push({
      attr: "data-batch",
      key: String(batch.index),
      title: `Batch ${batch.index + 1}`,
      label: `Batch ${batch.index + 1}, ${zones}, update domain ${batch.update_domain}`,
      place: `${zones} · UD ${batch.update_domain}`,
      ids: batch.instances,
    });
    for (const id of batch.instances) placed.add(id);
  }
  const rest = model.order.filter((id) => !placed.has(id));
  if (!rest.length) return groups;
  const skipped = rest.filter((id) => model.cells.get(id).state === "skipped");
  if (skipped.length) {
    const guarded = skipped.some((id) => model.cells.get(id).protected);
    const why = guarded ? "already on the target (T6), or protected" : "already on the target (T6)";
    groups.push({ attr: "data-group", key: "skipped", title: "Skipped", label: `Skipped: ${why}`, place: why, ids: skipped });
  }
  const others = rest.filter((id) => model.cells.get(id).state !== "skipped");
  if (!others.length) return groups;
  const heading = model.batches.length ? "Not in this upgrade" : "Zone";
  const byZone = new Map();
  for (const id of others) {
    const zone = model.cells.get(id).zone || "";
    if (!byZone.has(zone)) byZone.set(zone, []);
    byZone.get(zone).push(id);
  }
  for (const [zone, ids] of [...byZone.entries()].sort()) {
    const name = zone ? `zone ${zone}` : "regional";
    groups.push({
      attr: "data-group",
      key: `zone-${zone || "none"}`,
      title: model.batches.length ? heading : zone ? `Zone ${zone}` : "Regional",
      label: `${heading} ${name}`,
      place: model.batches.length ? name : `${new Set(ids.map((i) => model.cells.get(i).update_domain)).size} update domain(s)`,
      ids,
    });
  }
  return groups;
}
