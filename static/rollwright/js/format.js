// Words, times and state vocabulary shared by every page (rollout/dashboard/display.py says
// the same in Python for the server-rendered parts).

export const STATES = {
  idle: { label: "not upgraded", letter: "·" },
  pending: { label: "pending", letter: "P" },
  reimaging: { label: "reimaging", letter: "R" },
  waiting_for_health: { label: "waiting for health", letter: "W" },
  rolling_back: { label: "rolling back", letter: "B" },
  succeeded: { label: "healthy on the new image", letter: "✓" },
  failed: { label: "failed", letter: "F" },
  rolled_back: { label: "rolled back", letter: "↶" },
  rollback_failed: { label: "rollback failed", letter: "!" },
  skipped: { label: "skipped: already on the target", letter: "S" },
};

export const LEGEND_ORDER = [
  "pending", "reimaging", "waiting_for_health", "succeeded",
  "rolling_back", "rolled_back", "failed", "rollback_failed", "skipped", "idle",
];

export const FAILURES = new Set(["failed", "rolled_back", "rollback_failed"]);
export const IN_PROGRESS = new Set(["reimaging", "waiting_for_health", "rolling_back"]);

const STATUS_LABELS = {
  RollingForward: "Rolling forward",
  RollingBack: "Rolling back",
  Cancelled: "Cancelled",
  Completed: "Completed",
  Faulted: "Faulted",
};

export function isActive(operation) {
  return Boolean(operation) && (operation.status === "RollingForward" || operation.status === "RollingBack");
}

/** [css hook, words] of an operation's status: "Paused" beats "Rolling forward". */
export function statusOf(operation) {
  if (!operation) return ["none", "No upgrade"];
  if (isActive(operation)) {
    if (operation.is_paused) return ["paused", "Paused"];
    if (operation.cancel_requested) return ["cancelling", "Cancelling"];
    if (operation.pause_requested) return ["pausing", "Pausing"];
    return ["rolling", STATUS_LABELS[operation.status]];
  }
  return [operation.status.toLowerCase(), STATUS_LABELS[operation.status] || operation.status];
}

/** Azure's progress buckets from a Map or iterable of cell states (count_progress). */
export function countStates(cells) {
  const counts = { successful: 0, failed: 0, in_progress: 0, pending: 0, rolled_back: 0, rollback_failed: 0, skipped: 0 };
  for (const cell of cells) {
    const state = cell.state;
    if (state === "succeeded") counts.successful += 1;
    else if (FAILURES.has(state)) {
      counts.failed += 1;
      if (state === "rolled_back") counts.rolled_back += 1;
      if (state === "rollback_failed") counts.rollback_failed += 1;
    } else if (IN_PROGRESS.has(state)) counts.in_progress += 1;
    else if (state === "pending" && cell.batch !== null && cell.batch !== undefined) counts.pending += 1;
    else if (state === "skipped") counts.skipped += 1;
  }
  return counts;
}

/** The bar's segments, in reading order. */
export function segmentsOf(counts) {
  const failedOnly = counts.failed - counts.rolled_back - counts.rollback_failed;
  const parts = [
    ["succeeded", "succeeded", counts.successful],
    ["failed", "failed", failedOnly],
    ["rolled_back", "rolled back", counts.rolled_back],
    ["rollback_failed", "rollback failed", counts.rollback_failed],
    ["in_progress", "in progress", counts.in_progress],
    ["pending", "pending", counts.pending],
  ];
  const total = parts.reduce((sum, part) => sum + part[2], 0);
  return {
    total,
    done: counts.successful + counts.failed,
    segments: parts.filter((part) => part[2] > 0).map(([state, label, count]) => ({
      state, label, count, percent: total ? (100 * count) / total : 0,
    })),
  };
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]
  ));
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

export function clock(ms) {
  return clockFormat.format(new Date(ms));
}

/** 75 -> "1 min 15 s", 4 -> "4 s", 3725 -> "1 h 2 min". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} h ${m} min`;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** 252 -> "4:12" (minutes:seconds). */
export function mmss(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** 30 -> "30%", 33.333 -> "33.3%". */
export function percent(value) {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

/** "U7: 3 of 10 …" -> ["U7", "3 of 10 …"]; a reason without a rule id -> ["", text]. */
export function splitRule(reason) {
  const match = /^([A-Z]\d{1,2}):\s*(.*)$/s.exec(reason);
  return match ? [match[1], match[2]] : ["", reason];
}

const KIND_WORDS = {
  auto_upgrade_enabled: "Auto-upgrade turned on",
  auto_upgrade_disabled: "Auto-upgrade turned off",
  model_updated: "Scale set model updated",
  upgrade_started: "Upgrade started",
  upgrade_finished: "Upgrade finished",
  batch_started: "Batch started",
  batch_completed: "Batch completed",
  instance_changed: "Instance changed",
  decision: "Decision",
  cancel_requested: "Cancel requested",
  pause_requested: "Pause requested",
  paused: "Paused",
  resumed: "Resumed",
  fault_rule_added: "Fault rule added",
  fault_rule_removed: "Fault rule removed",
  image_published: "Image published",
};

export const OPERATOR_KINDS = new Set([
  "auto_upgrade_enabled", "auto_upgrade_disabled", "model_updated", "upgrade_started",
  "cancel_requested", "pause_requested", "fault_rule_added", "fault_rule_removed", "image_published",
]);

/** Is the event something a person (or the platform's scheduler) did: the audit trail (B7)? */
export function isAudit(event) {
  if (OPERATOR_KINDS.has(event.kind)) return true;
  return event.kind === "resumed" && !event.data.engine;
}

/** One line of the log for an event. */
export function describeEvent(event) {
  const data = event.data || {};
  switch (event.kind) {
    case "upgrade_started":
      return `${data.upgrade_kind === "automatic" ? "Automatic" : "Manual"} OS upgrade to ${data.target_image_version} started`;
    case "upgrade_finished":
      return `Upgrade ${data.status}${data.error_code ? `: ${data.error_code}` : ""}`;
    case "batch_started":
      return `Batch ${data.batch + 1} started: ${(data.instances || []).length} instance(s)`;
    case "batch_completed":
      return `Batch ${data.batch + 1} completed`;
    case "instance_changed":
      return `Instance ${data.instance}: ${(STATES[data.state] || { label: data.state }).label}`;
    case "decision":
      if (data.plan) return `Plan: ${data.plan.length} batch(es)${(data.skipped || []).length ? `, ${data.skipped.length} skipped (T6)` : ""}`;
      return (data.reasons || []).join(" · ");
    case "fault_rule_added":
    case "fault_rule_removed":
      return `${KIND_WORDS[event.kind]}: ${data.description || data.fault_kind}`;
    case "model_updated":
      return `Scale set model updated${data.fields ? `: ${data.fields.join(", ")}` : ""}`;
    case "paused":
      return "Paused between batches (B5)";
    case "resumed":
      return data.engine ? "Resumed: the next batch may start" : "Resume requested";
    default:
      return KIND_WORDS[event.kind] || event.kind;
  }
}
