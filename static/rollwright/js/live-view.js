// The panels around the grid: status and ETA (B8), progress, legend, U5/U7 gauges, the last
// decisions with their rule ids, fault rules (B2) and the event log / audit trail (B7).

import { clock, duration, escapeHtml, percent, splitRule } from "./format.js";
import {
  STATES, countStates, describeEvent, isActive, isAudit, segmentsOf, statusOf, upgradeKindLabel,
} from "./words.js";
import { applySizes } from "./sizes.js";
import { azureTitle, countdown, projected, waitingFor } from "./eta.js";
import { wireActions } from "./actions.js";

const $ = (id) => document.getElementById(id);

export class LiveView {
  constructor(model, grid, { controls = true } = {}) {
    this.model = model;
    this.grid = grid;
    this.controls = controls;
    this.logFilter = "key";
    const filter = $("log-filter");
    if (filter) {
      filter.addEventListener("change", () => {
        this.logFilter = filter.value;
        this.renderLog();
      });
    }
  }

  /** Repaint after a snapshot or a batch of events (called inside one animation frame). */
  render(changes, now) {
    if (changes.layout) this.grid.layout(this.model);
    else if (changes.all) this.grid.update(this.model.order);
    else this.grid.update(changes.cells);
    const estimate = projected(this.model, now);
    this.grid.updateBatches(this.model, estimate.ends);
    this.grid.tick(now);
    this.renderStatus(estimate, now);
    this.renderProgress();
    this.renderGauges();
    this.renderReasons();
    this.renderFaults();
    if (changes.layout || changes.all) this.renderLog();
    else if (changes.log.length) this.prependLog(changes.log);
    if (this.controls) this.renderControls();
    this.renderApprovals();
  }

  /** S2: the instances awaiting approval, each with its Approve button (for those who may). */
  renderApprovals() {
    const card = $("approval-card");
    const list = $("approval-list");
    if (!card || !list) return;
    const waiting = this.model.order.filter((id) => this.model.cells.get(id).state === "awaiting_approval");
    card.hidden = !waiting.length;
    const url = list.dataset.approveUrl;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const html = waiting.map((id) => `<li data-awaiting="${escapeHtml(id)}"><span class="ids">${escapeHtml(id)}</span>${url && token ? ` <form method="post" action="${escapeHtml(url)}" data-action="approve" class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(token.value)}"><input type="hidden" name="reason" value=""><input type="hidden" name="instance_ids" value="${escapeHtml(id)}"><button class="btn btn-small" type="submit">Approve</button></form>` : ""}</li>`).join("");
    if (list.innerHTML !== html) {
      list.innerHTML = html;
      wireActions(list);
    }
  }

  /** Once a second: countdowns and "in 42 s". */
  tick(now) {
    this.grid.tick(now);
    const estimate = projected(this.model, now);
    this.grid.updateBatches(this.model, estimate.ends);
    this.renderStatus(estimate, now);
  }

  renderStatus(estimate, now) {
    const { model } = this;
    const op = model.operation;
    const line = $("status-line");
    const facts = $("status-facts");
    if (!op) {
      set(line, `<span class="status-badge status-none"><span class="status-icon" aria-hidden="true"></span>No upgrade yet</span><span class="status-text">No OS upgrade has run on this scale set.</span>`);
      set(facts, "");
      return;
    }
    const [hook, words] = statusOf(op, model.cells.values());
    const kind = upgradeKindLabel(op.kind);
    const wait = duration(model.timing.health_wait_seconds * model.timing.time_scale); // Azure's
    const rollback = op.automatic_rollback ? `automatic rollback after ${wait} (U4)` : "no automatic rollback";
    const by = op.started_by === "Platform" ? `by the platform${op.started_by_user ? ` (${escapeHtml(op.started_by_user)})` : ""}` : `by ${escapeHtml(op.started_by_user || "a user")}`;
    const started = Date.parse(op.started_at) - model.clockOffset;
    set(line,
      `<span class="status-badge status-${hook}" data-status="${hook}"><span class="status-icon" aria-hidden="true"></span>${words}</span>` +
      `<span class="status-text">${kind} to <code>${escapeHtml(op.target_image_version)}</code> · ${rollback}</span>` +
      `<span class="status-by">started ${clock(started)} ${by}</span>`);
    const parts = [];
    if (isActive(op)) {
      const batchCount = model.batches.length;
      if (op.current_batch !== null && op.current_batch !== undefined) {
        const end = estimate.ends.get(op.current_batch);
        const waiting = waitingFor(model, now);
        let note = end ? `ends ~${clock(end - model.clockOffset)} (${countdown(end, now)})` : "";
        let title = end ? azureTitle(model, Math.max(0, end - now) / 1000) : "";
        // Past its estimate (or close to it): say what the batch waits for, not "in 0 s".
        if (waiting && (!end || end - now < 1000 || estimate.overrun)) ({ text: note, title } = waiting);
        parts.push(fact("Current batch", `${op.current_batch + 1} of ${batchCount}`, note, title));
      } else if (batchCount) {
        const done = model.batches.filter((b) => b.completed_at !== null).length;
        parts.push(fact("Batches", `${done} of ${batchCount} done`, op.is_paused ? "paused between batches" : "between batches"));
      } else {
        parts.push(fact("Plan", "planning…", ""));
      }
      if (op.is_paused || op.pause_requested) parts.push(pauseFact(model, op));
      if (estimate.overall) {
        const source = estimate.observed ? `from ${estimate.observed} finished batch${estimate.observed === 1 ? "" : "es"}` : "from the plan";
        parts.push(fact("Upgrade ends", `~${clock(estimate.overall - model.clockOffset)}`, `${countdown(estimate.overall, now)}, ${source}`, azureTitle(model, Math.max(0, estimate.overall - now) / 1000)));
      } else if (op.is_paused || op.pause_requested) {
        parts.push(fact("Upgrade ends", "—", "no estimate while paused (B5)"));
      }
    } else if (op.ended_at) {
      const took = (Date.parse(op.ended_at) - Date.parse(op.started_at)) / 1000;
      parts.push(fact("Ended", clock(Date.parse(op.ended_at) - model.clockOffset), `took ${duration(took)}`));
      parts.push(fact("Batches", `${model.batches.length}`, ""));
    }
    if (model.timing.time_scale !== 1) parts.push(fact("Time", `×${model.timing.time_scale}`, `${wait} of Azure time pass in ${duration(model.timing.health_wait_seconds)}`));
    set(facts, parts.join(""));
    const box = $("error-box");
    if (op.error_code) {
      set(box, `<strong>${escapeHtml(op.error_code)}</strong> ${escapeHtml(op.error_message)}`);
      box.hidden = false;
      box.dataset.severity = op.status === "Faulted" ? "error" : "warning";
    } else box.hidden = true;
  }

  renderProgress() {
    const cells = [...this.model.cells.values()];
    const counts = countStates(cells);
    const done = counts.successful + counts.failed;
    const { total, segments } = segmentsOf(cells);
    const bar = $("progress");
    bar.hidden = !this.model.operation;
    $("progress-legend").hidden = !this.model.operation;
    set(bar, segments.map((s) => `<span class="bar bar-${s.state}" data-width="${s.percent.toFixed(3)}"></span>`).join(""));
    bar.setAttribute("aria-label", `${done} of ${total} instances done`);
    const legend = segments.map((s) => `<li><span class="swatch bar-${s.state}" aria-hidden="true"></span>${s.count} ${s.label}</li>`);
    if (counts.skipped) legend.push(`<li><span class="swatch bar-skipped" aria-hidden="true"></span>${counts.skipped} skipped (T6)</li>`);
    set($("progress-legend"), `<li class="done"><strong>${done}</strong> of ${total} done</li>` + legend.join(""));
    const byState = {};
    for (const cell of this.model.cells.values()) byState[cell.state] = (byState[cell.state] || 0) + 1;
    set($("legend"), Object.keys(STATES).filter((s) => byState[s]).map((s) => (
      `<li data-state="${s}" title="${escapeHtml(STATES[s].description)}"><span class="legend-icon" aria-hidden="true"></span>${escapeHtml(STATES[s].label)} <span class="n">${byState[s]}</span></li>`
    )).join(""));
  }

  renderGauges() {
    const upgraded = this.model.liveU5();
    const scaleSet = this.model.shares.scale_set;
    set($("gauges"), [
      gauge(upgraded, "U5", "Upgraded instances unhealthy", "Above the limit the upgrade stops (checked after each batch)."),
      gauge(scaleSet, "U7", "Scale set unhealthy", scaleSet && scaleSet.at
        ? `As the engine measured it (${scaleSet.rule}), ${clock(scaleSet.at - this.model.clockOffset)}; above the limit the upgrade stops.`
        : "Now. The engine checks it before each batch; above the limit the upgrade stops."),
    ].join(""));
  }

  renderReasons() {
    // Newest first; reasons that differ only in their numbers ("instance 92 is healthy",
    // "instance 767 is healthy") are told once, with how many more there were.
    const groups = [];
    const byShape = new Map();
    for (const decision of [...this.model.decisions].reverse()) {
      decision.reasons.forEach((reason, index) => {
        const shape = reason.replace(/\d+/g, "#");
        const group = byShape.get(shape);
        if (group) group.more += 1;
        else {
          const entry = { reason, routine: decision.routine.has(index), more: 0 };
          byShape.set(shape, entry);
          groups.push(entry);
        }
      });
    }
    // Milestones (plans, batches, U1 U5 U7, stops, failures) before routine progress (the
    // engine marks which reasons are routine: an instance reimaged, waiting, healthy).
    groups.sort((a, b) => Number(a.routine) - Number(b.routine));
    const items = groups.slice(0, 6).map(({ reason, more }) => {
      const [rule, text] = splitRule(reason);
      return `<li>${rule ? `<span class="rule" data-rule="${rule}">${rule}</span>` : ""}<span class="reason-text">${escapeHtml(text)}${more ? `<span class="reason-more">+${more} like it</span>` : ""}</span></li>`;
    });
    set($("reasons"), items.length ? items.join("") : '<li class="muted">No decision yet.</li>');
  }

  renderFaults() {
    const card = $("fault-card");
    if (!card) return;
    const rules = this.model.faultRules;
    card.hidden = !rules.length;
    set($("fault-list"), rules.map((r) => `<li><span class="fault-icon" aria-hidden="true"></span>${escapeHtml(r.description)}</li>`).join(""));
  }

  renderLog() {
    const list = $("log");
    if (!list) return;
    const wanted = this.model.log.filter((e) => keep(e, this.logFilter));
    const rows = wanted.slice(-200).reverse().map((event) => logItem(event, this.model, this.logFilter));
    set(list, rows.length ? rows.join("") : '<li class="muted">Nothing yet.</li>');
  }

  /** New events only: put them on top and drop the oldest beyond 200, instead of drawing the
   * whole log again (a 1,000-instance rollout adds lines every frame). */
  prependLog(events) {
    const list = $("log");
    if (!list) return;
    const wanted = events.filter((e) => keep(e, this.logFilter));
    if (!wanted.length) return;
    if (!list.querySelector("[data-event-id]")) {
      this.renderLog();
      return;
    }
    const rows = wanted.slice(-200).reverse().map((event) => logItem(event, this.model, this.logFilter));
    list.insertAdjacentHTML("afterbegin", rows.join(""));
    while (list.children.length > 200) list.lastElementChild.remove();
  }

  /** The controls as the server's state says (events carry it), or as a click not yet
   * confirmed expects it (model.expect): never a position nobody holds. */
  renderControls() {
    const op = this.model.operation;
    const active = isActive(op);
    const acting = this.model.expected("operation") !== undefined; // a click awaiting its event
    const start = $("start-button");
    if (start) start.hidden = active;
    for (const form of document.querySelectorAll("[data-op-control]")) {
      const control = form.dataset.opControl;
      let visible = false;
      if (active && control === "pause") visible = !op.pause_requested && !op.cancel_requested;
      if (active && control === "resume") visible = op.pause_requested && !op.cancel_requested;
      if (active && control === "cancel") visible = !op.cancel_requested;
      form.hidden = !visible || acting;
      form.dataset.serverVisible = String(visible);
    }
    const on = this.model.autoUpgrade();
    const automatic = document.querySelector("input[name=kind][value=automatic]");
    if (automatic && this.model.scaleSet) {
      const serverOn = Boolean(this.model.scaleSet.auto_upgrade);
      automatic.disabled = !serverOn;
      if (automatic.disabled && automatic.checked) document.querySelector("input[name=kind][value=manual]").checked = true;
      document.querySelector("[data-needs-auto]").hidden = serverOn;
    }
    const toggle = document.querySelector(".toggle .switch");
    if (toggle && this.model.scaleSet) {
      toggle.dataset.server = String(Boolean(this.model.scaleSet.auto_upgrade));
      if (toggle.getAttribute("aria-checked") !== String(on)) {
        toggle.setAttribute("aria-checked", String(on));
        toggle.querySelector(".switch-text").textContent = on ? "On" : "Off";
      }
      // The form asks for the opposite of what the switch shows, whoever changed it last.
      toggle.form.elements.enable.value = on ? "off" : "on";
    }
  }
}

function set(el, html) {
  if (el && el.innerHTML !== html) {
    el.innerHTML = html;
    applySizes(el);
  }
}

/** B5: who asked for the pause, when and why (the pause_requested event's audit fields). */
function pauseFact(model, op) {
  const asked = model.log.findLast((e) => e.kind === "pause_requested" && e.operation === op.id);
  const label = statusOf(op)[1]; // the server's words: paused, or pausing
  if (!asked) return fact(label, op.is_paused ? "between batches" : "after this batch", "");
  const when = clock(Date.parse(asked.created_at) - model.clockOffset);
  const why = asked.reason ? `“${asked.reason}”` : "no reason given";
  return `<div class="fact fact-pause" data-fact="pause"><span class="fact-label">${label}</span><span class="fact-value">${escapeHtml(why)}</span><span class="fact-note">asked by ${escapeHtml(asked.actor || "a user")} at ${when}</span></div>`;
}

function fact(label, value, note, title = "") {
  const hint = title ? ` title="${escapeHtml(title)}"` : "";
  return `<div class="fact"${hint}><span class="fact-label">${label}</span><span class="fact-value">${value}</span>${note ? `<span class="fact-note">${escapeHtml(note)}</span>` : ""}</div>`;
}

/** One gauge from a figure ({rule, unhealthy, total, percent, allowed_percent, exceeds}). */
function gauge(share, rule, title, note) {
  if (!share) return "";
  const value = share.percent;
  const limit = share.allowed_percent;
  const scaleMax = Math.min(100, Math.max(limit * 2.5, value * 1.15, 10));
  const over = share.exceeds;
  const near = !over && value >= limit * 0.75 && share.unhealthy > 0;
  const level = over ? "over" : near ? "near" : "ok";
  const words = over ? "over the limit" : near ? "close to the limit" : "within the limit";
  return (
    `<div class="gauge" data-rule="${rule}" data-level="${level}">` +
    `<div class="gauge-head"><span class="rule" data-rule="${rule}">${rule}</span><span class="gauge-title">${title}</span></div>` +
    `<div class="gauge-figures"><strong>${percent(value)}</strong> <span>${share.unhealthy} of ${share.total}</span> <span class="gauge-words">${words} (${limit}%)</span></div>` +
    `<div class="gauge-track" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${value.toFixed(1)}" aria-label="${rule}: ${percent(value)} unhealthy, limit ${limit}%">` +
    `<span class="gauge-fill" data-width="${Math.min(100, (100 * value) / scaleMax).toFixed(2)}"></span>` +
    `<span class="gauge-limit" data-left="${((100 * limit) / scaleMax).toFixed(2)}"><span>${limit}%</span></span></div>` +
    `<p class="gauge-note">${note}</p></div>`
  );
}

// Milestones: what an operator scans the log for. The reasons the engine marks as routine
// progress (data.routine: their indexes) stay in the grid and under "All events".
function milestones(event) {
  const routine = new Set(event.data.routine || []);
  return (event.data.reasons || []).filter((reason, index) => !routine.has(index));
}

function keep(event, filter) {
  if (filter === "all") return true;
  if (filter === "key") {
    if (event.kind !== "decision") return true;
    if (event.data.plan) return true;
    return milestones(event).length > 0;
  }
  if (filter === "audit") return isAudit(event);
  if (filter === "decision") return event.kind === "decision" || event.kind === "upgrade_finished";
  if (filter === "instance") return event.kind === "instance_changed";
  return true;
}

function logItem(event, model, filter) {
  const audit = isAudit(event);
  const at = Date.parse(event.created_at) - model.clockOffset;
  let body = escapeHtml(describeEvent(event));
  if (event.kind === "decision" && event.data.reasons) {
    const reasons = filter === "key" ? milestones(event) : event.data.reasons;
    body = reasons.map((r) => {
      const [rule, text] = splitRule(r);
      return `<span class="log-reason">${rule ? `<span class="rule" data-rule="${rule}">${rule}</span>` : ""}${escapeHtml(text)}</span>`;
    }).join("");
  }
  if (event.kind === "instance_changed" && event.data.reason) body += `<span class="log-detail">${escapeHtml(event.data.reason)}</span>`;
  const op = model.operation;
  if (event.kind === "upgrade_finished" && op && event.operation === op.id && !isActive(op)) {
    // Honest words: the shown upgrade's end, with its failures counted from the cells.
    const code = event.data.error_code ? `, ${event.data.error_code}` : "";
    body = escapeHtml(`${describeEvent(event).split(":")[0]}: ${statusOf(op, model.cells.values())[1]}${code}`);
  }
  if (event.kind === "gate_measured" && event.data.message) body += `<span class="log-detail">${escapeHtml(event.data.gate)}: ${escapeHtml(event.data.verdict)}, ${escapeHtml(event.data.message)}</span>`;
  if (event.kind === "upgrade_finished" && event.data.error_message) body += `<span class="log-detail">${escapeHtml(event.data.error_message)}</span>`;
  const who = audit || event.actor !== "Platform"
    ? `<span class="log-actor">${escapeHtml(event.actor || "Platform")}</span>${event.reason ? ` <q class="log-why">${escapeHtml(event.reason)}</q>` : ""}`
    : "";
  return (
    `<li class="log-item${audit ? " is-audit" : ""}" data-kind="${event.kind}" data-event-id="${event.id}">` +
    `<time datetime="${escapeHtml(event.created_at)}">${clock(at)}</time><span class="log-icon" aria-hidden="true"></span>` +
    `<div class="log-body">${body}${who ? `<div class="log-who">${who}</div>` : ""}</div></li>`
  );
}
