// The "next automatic upgrade" line (T1-T7) is rendered by the server
// (templates/dashboard/_next_upgrade.html); this keeps its countdown to a known moment (a T5
// delay's end, a T7 window's opening) current.

import { duration } from "./format.js";

/** Rewrite every countdown under `root`: "in 3 h 12 min", or "due now". */
export function tickCountdowns(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll("[data-countdown]")) {
    const seconds = (Date.parse(el.dataset.countdown) - now) / 1000;
    el.textContent = seconds > 0.5 ? `(in ${duration(seconds)})` : "(due now)";
  }
}
