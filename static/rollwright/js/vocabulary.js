// The dashboard's words and enums, written once in Python (rollout/dashboard/display.py) and
// embedded by the page (<script id="vocabulary" type="application/json">): the browser reads
// them and never spells a state, a status or an event kind itself.

const element = document.getElementById("vocabulary");
if (!element) throw new Error("This page embeds no vocabulary (rollout.dashboard.display.vocabulary).");

export const VOCABULARY = JSON.parse(element.textContent);
