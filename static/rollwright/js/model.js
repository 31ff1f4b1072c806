// The live page's state, built from a snapshot and kept current by events (the same events
// replay plays back). `apply` returns what changed, so the view repaints only that.
//
// The live page hands it events strictly in their scale set's stream order, each once
// (stream.js); replay hands it an upgrade's events in the same order. Applying is therefore
// plain: no cursor, no guessing from ids (ids are not commit order). Fault rules are keyed by
// id and the log keeps a set of the ids it has shown, so a replayed event changes nothing.
//
// Controls render from the server's state as events carry it; an operator's click may set an
// expectation (`expect`) that shows at once and gives way to the event confirming or undoing
// it, or to the server's state after EXPECT_MS.

import { countStates, isActive, isLogged } from "./words.js";

const LOG_LIMIT = 400;
const EXPECT_MS = 5000;

const ms = (iso) => (iso ? Date.parse(iso) : null);

export class LiveModel {
  constructor() {
    this.cells = new Map();
    this.order = [];
    this.batches = [];
    this.operation = null;
    this.scaleSet = null;
    this.faultRules = [];
    this.faultTargets = new Set();
    this.log = [];
    this.seen = new Set();
    this.decisions = [];
    // The gauges: U5 (the upgraded instances) and the scale set's share (U1, U7), as figures.
    this.shares = { upgraded: null, scale_set: null };
    this.u5Anchor = null;
    this.lastEventId = 0;
    this.sequence = 0;
    this.expectations = new Map(); // control -> { value, until }
    this.clockOffset = 0;
    this.timing = { time_scale: 1, health_wait_seconds: 300 };
    this.eta = null; // B8, as the server last estimated it
  }

  /** Replace everything with a snapshot (rollout/dashboard/live.py). */
  loadSnapshot(snapshot, receivedAt = Date.now()) {
    this.scaleSet = snapshot.scale_set;
    this.operation = snapshot.operation ? { ...snapshot.operation } : null;
    this.timing = { ...snapshot.timing };
    this.setEstimate(snapshot.estimate);
    this.clockOffset = Date.parse(snapshot.server_time) - receivedAt;
    this.cells = new Map();
    this.order = [];
    for (const cell of snapshot.instances) {
      this.cells.set(cell.id, { ...cell, deadline: ms(cell.deadline) });
      this.order.push(cell.id);
    }
    this.batches = snapshot.batches.map((b) => ({ ...b, started_at: ms(b.started_at), completed_at: ms(b.completed_at) }));
    this.setFaultRules(snapshot.fault_rules);
    this.log = [];
    this.seen = new Set();
    this.decisions = [];
    for (const event of snapshot.events) {
      this.remember(event);
      const data = event.data || {};
      if (event.kind === "decision" && data.reasons && this.operation && event.operation === this.operation.id) {
        this.remind(data.reasons, data.routine, ms(event.created_at));
      }
    }
    if (!this.decisions.length && this.operation && this.operation.reasons.length) {
      this.remind(this.operation.reasons, [], ms(this.operation.ended_at) || null);
    }
    // The scale set's share as the engine last measured it (U1, U7: before a batch) rather
    // than "now" with the running batch's instances down: the gauge shows what the rule saw.
    this.shares = { upgraded: null, scale_set: null };
    for (const share of snapshot.shares) this.shares[share.scope] = { ...share, at: ms(share.measured_at) };
    const upgraded = this.shares.upgraded;
    this.u5Anchor = upgraded ? { unhealthy: upgraded.unhealthy, pending: true } : null;
    this.sequence = snapshot.sequence || 0;
    this.expectations.clear();
    this.settleAnchor();
    return { layout: true, all: true, log: this.log.slice(), cells: new Set() };
  }

  /** Apply events in order; return {layout, cells, log, all}. */
  apply(events) {
    const changes = { layout: false, all: false, cells: new Set(), log: [] };
    for (const event of events) {
      if (event.id > this.lastEventId) this.lastEventId = event.id;
      if (event.sequence > this.sequence) this.sequence = event.sequence;
      if (this.remember(event)) changes.log.push(event);
      this.applyOne(event, changes);
    }
    this.settleAnchor();
    return changes;
  }

  applyOne(event, changes) {
    const data = event.data || {};
    const at = ms(event.created_at);
    const op = this.operation;
    if (event.kind === "upgrade_started") {
      if (op && event.operation === op.id) return; // the snapshot's own upgrade
      this.startOperation(event, at);
      changes.layout = true;
      return;
    }
    if (event.kind === "auto_upgrade_enabled" || event.kind === "auto_upgrade_disabled") {
      if (this.scaleSet) this.scaleSet.auto_upgrade = event.kind === "auto_upgrade_enabled";
      this.expectations.delete("auto_upgrade");
      return;
    }
    if (event.kind === "fault_rule_added" || event.kind === "fault_rule_changed") {
      const rule = { id: data.rule, kind: data.fault_kind, description: data.description, instance_ids: data.instance_ids || [], enabled: data.enabled !== false };
      const others = this.faultRules.filter((r) => r.id !== data.rule);
      this.setFaultRules([...others, rule].sort((a, b) => a.id - b.id));
      changes.all = true;
      return;
    }
    if (event.kind === "fault_rule_removed") {
      this.setFaultRules(this.faultRules.filter((rule) => rule.id !== data.rule));
      changes.all = true;
      return;
    }
    if (event.kind === "instance_action") {
      this.actOnInstances(data, changes);
      return;
    }
    if (event.kind === "instance_updated") {
      for (const id of data.instance_ids || []) {
        const cell = this.cells.get(String(id));
        if (!cell) continue;
        cell.protected = Boolean(data.protect_from_scale_set_actions);
        changes.cells.add(cell.id);
      }
      return;
    }
    if (!op || event.operation !== op.id) return; // another (older) upgrade's news
    if (["pause_requested", "resumed", "cancel_requested", "paused", "upgrade_finished"].includes(event.kind)) {
      this.expectations.delete("operation");
    }
    if (data.estimate) this.setEstimate(data.estimate);
    switch (event.kind) {
      case "decision":
        if (data.plan) this.plan(data, changes);
        if (data.reasons) this.decide(data, at);
        break;
      case "gate_measured":
        // G1: each measurement (value, condition, verdict) joins the decision panel.
        this.remind([event.reason], [], at);
        break;
      case "batch_started": {
        const batch = this.batches[data.batch];
        if (batch) batch.started_at = at;
        op.current_batch = data.batch;
        break;
      }
      case "batch_completed": {
        const batch = this.batches[data.batch];
        if (batch) batch.completed_at = at;
        op.current_batch = null;
        break;
      }
      case "instance_changed": {
        const cell = this.cells.get(String(data.instance));
        if (!cell) break;
        cell.state = data.state;
        cell.deadline = ms(data.deadline);
        cell.reason = data.reason || "";
        if (data.batch !== null && data.batch !== undefined) cell.batch = data.batch;
        changes.cells.add(cell.id);
        break;
      }
      case "upgrade_finished":
        Object.assign(op, { status: data.status, error_code: data.error_code || "", error_message: data.error_message || "", ended_at: event.created_at, current_batch: null, is_paused: false });
        break;
      case "pause_requested":
        op.pause_requested = true;
        break;
      case "paused":
        op.is_paused = true;
        break;
      case "resumed":
        if (data.engine) op.is_paused = false;
        else op.pause_requested = false;
        break;
      case "cancel_requested":
        op.cancel_requested = true;
        break;
      default:
        break;
    }
  }

  /** Reimage, power or delete of chosen instances: power states as the server set them; a
   * deleted instance leaves the grid. */
  actOnInstances(data, changes) {
    const ids = (data.instance_ids || []).map(String);
    if (data.action === "delete") {
      for (const id of ids) this.cells.delete(id);
      this.order = this.order.filter((id) => this.cells.has(id));
      for (const batch of this.batches) batch.instances = batch.instances.filter((id) => this.cells.has(id));
      changes.layout = true;
      return;
    }
    for (const id of ids) {
      const cell = this.cells.get(id);
      if (!cell) continue;
      const power = (data.power_states || {})[id];
      if (power) cell.power_state = power;
      else if (data.action === "reimage" || data.action === "reimageall") cell.power_state = "running";
      changes.cells.add(id);
    }
  }

  startOperation(event, at) {
    const data = event.data || {};
    const automatic = data.upgrade_kind === "automatic";
    this.operation = {
      id: event.operation, kind: data.upgrade_kind, started_by: automatic ? "Platform" : "User",
      started_by_user: event.actor, status: "RollingForward", is_paused: false, pause_requested: false,
      cancel_requested: false, automatic_rollback: automatic, target_image_version: data.target_image_version,
      batch_count: 0, current_batch: null, started_at: event.created_at, ended_at: null,
      error_code: "", error_message: "", reasons: [], counts: null,
    };
    this.batches = [];
    this.decisions = [];
    this.eta = null;
    for (const cell of this.cells.values()) Object.assign(cell, { state: "idle", batch: null, deadline: null, reason: "" });
    const upgraded = this.shares.upgraded;
    this.shares.upgraded = upgraded ? { ...upgraded, unhealthy: 0, total: 0, percent: 0, exceeds: false, at: null } : null;
    this.u5Anchor = { unhealthy: 0, pending: true };
    void at;
  }

  plan(data, changes) {
    this.batches = data.plan.map((b) => ({ index: b.index, zones: b.zones, update_domain: b.update_domain, instances: b.instances.map(String), started_at: null, completed_at: null }));
    this.operation.batch_count = this.batches.length;
    for (const batch of this.batches) {
      for (const id of batch.instances) {
        const cell = this.cells.get(id);
        if (cell) Object.assign(cell, { state: "pending", batch: batch.index, deadline: null, reason: "" });
      }
    }
    for (const id of data.skipped || []) {
      const cell = this.cells.get(String(id));
      if (cell) Object.assign(cell, { state: "skipped", batch: null });
    }
    changes.layout = true;
  }

  /** A decision: its reasons (words, shown as they are), which of them are routine progress
   * (their indexes) and its figures (numbers: U1 U5 U7). */
  decide({ reasons, routine, figures }, at) {
    this.operation.reasons = reasons;
    this.remind(reasons, routine, at);
    for (const figure of Object.values(figures || {})) {
      this.shares[figure.scope] = { ...figure, at };
      if (figure.scope === "upgraded") this.u5Anchor = { unhealthy: figure.unhealthy, pending: true };
    }
  }

  remind(reasons, routine, at) {
    this.decisions.push({ at, reasons, routine: new Set(routine || []) });
    if (this.decisions.length > 30) this.decisions.splice(0, this.decisions.length - 30);
  }

  /** U5 between the engine's checks: failures as they happen, plus the unhealthy successes it saw. */
  settleAnchor() {
    if (!this.u5Anchor || !this.u5Anchor.pending) return;
    const counts = this.counts();
    this.u5Anchor = { extra: Math.max(0, this.u5Anchor.unhealthy - counts.failed), pending: false };
  }

  liveU5() {
    const base = this.shares.upgraded;
    if (!base) return null;
    const counts = this.counts();
    const total = counts.successful + counts.failed;
    const extra = this.u5Anchor && !this.u5Anchor.pending ? Math.min(this.u5Anchor.extra, counts.successful) : 0;
    const unhealthy = counts.failed + extra;
    const percent = total ? (100 * unhealthy) / total : 0;
    // Provisional, until the engine measures U5 after the batch: its own figure then wins.
    return { ...base, unhealthy, total, percent, exceeds: percent > base.allowed_percent, at: null };
  }

  counts() {
    return countStates(this.cells.values());
  }

  /** An operator's click, shown until its event (or EXPECT_MS) settles it. */
  expect(control, value, now = Date.now()) {
    this.expectations.set(control, { value, until: now + EXPECT_MS });
  }

  expected(control, now = Date.now()) {
    const found = this.expectations.get(control);
    if (!found) return undefined;
    if (found.until < now) {
      this.expectations.delete(control);
      return undefined;
    }
    return found.value;
  }

  /** The auto-upgrade switch's position: the server's, or a click not yet confirmed. */
  autoUpgrade(now = Date.now()) {
    const wanted = this.expected("auto_upgrade", now);
    if (wanted !== undefined) return wanted;
    return Boolean(this.scaleSet && this.scaleSet.auto_upgrade);
  }

  setFaultRules(rules) {
    this.faultRules = rules;
    this.faultTargets = new Set(rules.filter((r) => r.enabled !== false).flatMap((r) => r.instance_ids || []));
  }

  remember(event) {
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    if (event.kind === "instance_changed" && !isLogged(event.data.state)) {
      return false; // routine transitions show in the grid, not in the log
    }
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    return true;
  }

  /** B8 as the server estimated it (rollout/engine/estimates.py), in ms on its clock. */
  setEstimate(data) {
    if (!data) {
      this.eta = null;
      return;
    }
    const ends = new Map(Object.entries(data.batches).map(([index, end]) => [Number(index), ms(end)]));
    this.eta = { ends, overall: ms(data.overall), observed: data.observed_batches };
  }

  /** {ends: Map(batch index -> ms), overall: ms|null, observed}: what to count down to. While a
   * pause is asked for or holds (B5), only the running batch keeps its end. */
  estimate() {
    const op = this.operation;
    if (!isActive(op) || !this.eta) return { ends: new Map(), overall: null, observed: 0 };
    if (!(op.is_paused || op.pause_requested)) return this.eta;
    const running = [...this.eta.ends].filter(([index]) => this.batches[index] && this.batches[index].started_at !== null);
    return { ends: new Map(running), overall: null, observed: this.eta.observed };
  }
}
