// The pages' words for instance states, upgrade statuses and events, and how states are
// counted: all read from the vocabulary the server embeds (rollout/dashboard/display.py).
// This module spells no state, status or event kind; it only puts the server's words together.

import { VOCABULARY } from "./vocabulary.js";

/** Instance state -> {label, description, counts, segment, logged}, in the legend's order. */
export const STATES = VOCABULARY.states;
const UNKNOWN = { counts: [], segment: null, logged: false };
const ACTIVE = new Set(VOCABULARY.active_statuses);
const AUDIT = new Set(VOCABULARY.audit_kinds);
const BUCKETS = [...new Set(Object.values(STATES).flatMap((words) => words.counts))];

/** Words for a VM's power state, and for instance protection (the cell's label adds them). */
export function powerLabel(power) {
  return VOCABULARY.power_states[power] || power;
}

export function protectedLabel() {
  return VOCABULARY.protected;
}

export function stateLabel(state) {
  return (STATES[state] || { label: state }).label;
}

export function isActive(operation) {
  return Boolean(operation) && ACTIVE.has(operation.status);
}

/** [css hook, words] of an operation's status: "Paused" beats "Rolling forward"; an ended
 * upgrade whose cells hold failed or rolled-back instances says so, with the counts
 * ("Completed with failures: 1 rolled back"), as display.outcome_of does on the server. */
export function statusOf(operation, cells = []) {
  const words = VOCABULARY.statuses[operation.status] || operation.status;
  if (!isActive(operation)) {
    const troubled = VOCABULARY.troubled[operation.status];
    const failures = failuresOf(cells);
    if (!troubled || !failures.length) return [operation.status.toLowerCase(), words];
    return [troubled.hook, `${troubled.label}: ${failures.map((s) => `${s.count} ${s.label}`).join(", ")}`];
  }
  const condition = VOCABULARY.conditions.find((c) => operation[c.flag]);
  return condition ? [condition.hook, condition.label] : ["rolling", words];
}

/** Azure's progress counts (Counts) of the cells, as the engine counts their states. */
export function countStates(cells) {
  const counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0]));
  for (const cell of cells) for (const bucket of (STATES[cell.state] || UNKNOWN).counts) counts[bucket] += 1;
  return counts;
}

/** The progress bar of the cells: its segments in reading order, and how many they hold. */
export function segmentsOf(cells) {
  const tally = new Map(VOCABULARY.segments.map((segment) => [segment.key, 0]));
  for (const cell of cells) {
    const key = (STATES[cell.state] || UNKNOWN).segment;
    if (key) tally.set(key, tally.get(key) + 1);
  }
  const total = [...tally.values()].reduce((sum, count) => sum + count, 0);
  return {
    total,
    segments: VOCABULARY.segments.filter(({ key }) => tally.get(key)).map(({ key, label }) => ({
      state: key, label, count: tally.get(key), percent: (100 * tally.get(key)) / total,
    })),
  };
}

/** The progress bar's failure segments that hold instances ({state, label, count}). */
export function failuresOf(cells) {
  const wanted = new Set(VOCABULARY.failure_segments);
  return segmentsOf(cells).segments.filter((segment) => wanted.has(segment.state));
}

/** Does an instance's move to `state` open the log (failures, rollbacks)? */
export function isLogged(state) {
  return (STATES[state] || UNKNOWN).logged;
}

/** Is the event something a person (or the platform's scheduler) did: the audit trail (B7)?
 * What the engine itself wrote (data.engine: a pause taking effect) is not. */
export function isAudit(event) {
  return AUDIT.has(event.kind) && !(event.data && event.data.engine);
}

export function upgradeKindLabel(kind) {
  return VOCABULARY.upgrade_kinds[kind] || kind;
}

function kindLabel(kind) {
  return VOCABULARY.event_kinds[kind] || kind;
}

/** One line of the log for an event. */
export function describeEvent(event) {
  const data = event.data || {};
  switch (event.kind) {
    case "upgrade_started":
      return `${upgradeKindLabel(data.upgrade_kind)} to ${data.target_image_version} started`;
    case "upgrade_finished":
      return `${kindLabel(event.kind)}: ${VOCABULARY.statuses[data.status] || data.status}${data.error_code ? `, ${data.error_code}` : ""}`;
    case "batch_started":
      return `Batch ${data.batch + 1} started: ${(data.instances || []).length} instance(s)`;
    case "batch_completed":
      return `Batch ${data.batch + 1} completed`;
    case "instance_changed":
      return `Instance ${data.instance}: ${stateLabel(data.state)}`;
    case "decision":
      if (data.plan) return `Plan: ${data.plan.length} batch(es)${(data.skipped || []).length ? `, ${data.skipped.length} skipped (T6)` : ""}`;
      return (data.reasons || []).join(" · ");
    case "fault_rule_added":
    case "fault_rule_removed":
      return `${kindLabel(event.kind)}: ${data.description || data.fault_kind}`;
    case "instance_action":
    case "instance_updated":
      return `${kindLabel(event.kind)}: ${data.summary || ""}`;
    case "model_updated":
      return `${kindLabel(event.kind)}${data.fields ? `: ${data.fields.join(", ")}` : ""}`;
    case "upgrade_approved":
      return `${kindLabel(event.kind)}: ${(data.instances || []).join(", ")}`;
    case "paused":
      return "Paused between batches (B5)";
    case "resumed":
      return data.engine ? "Resumed: the next batch may start" : "Resume requested";
    default:
      return kindLabel(event.kind);
  }
}
