// The "next automatic upgrade" line (T1-T7): why the scale set waits and, when a moment is
// known (a T5 delay's end, a T7 window's opening), a countdown to it.

import { duration, escapeHtml } from "./format.js";

/** Fill `el` from a row's next_upgrade ({code, why, when} or null). */
export function renderNextUpgrade(el, next) {
  if (!el) return;
  if (!next || next.code === "upgrading") {
    el.hidden = true;
    el.innerHTML = "";
    return;
  }
  el.hidden = false;
  el.dataset.code = next.code;
  el.title = next.why;
  const countdown = next.when ? ` <span class="countdown" data-countdown="${escapeHtml(next.when)}"></span>` : "";
  el.innerHTML = `<span class="next-label">Next automatic upgrade</span> ${escapeHtml(next.why)}${countdown}`;
  tickCountdowns(el);
}

/** Rewrite every countdown under `root`: "in 3 h 12 min", or "due now". */
export function tickCountdowns(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll("[data-countdown]")) {
    const seconds = (Date.parse(el.dataset.countdown) - now) / 1000;
    el.textContent = seconds > 0.5 ? `(in ${duration(seconds)})` : "(due now)";
  }
}
