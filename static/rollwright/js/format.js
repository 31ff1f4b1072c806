// Formatting shared by every page: escaping, times, durations, percentages, rule ids. The
// words for states, statuses and events are the server's (words.js).

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
