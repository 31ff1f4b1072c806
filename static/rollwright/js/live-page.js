// The scale set page: draw the grid from the embedded snapshot (first paint without a round
// trip), then stay current over the websocket, resuming after the snapshot's last event id.

import { wireActions } from "./actions.js";
import { Grid, findInstance } from "./grid.js";
import { LiveModel } from "./model.js";
import { LiveSocket } from "./socket.js";
import { LiveView } from "./live-view.js";
import { tickCountdowns } from "./next-upgrade.js";

const snapshot = JSON.parse(document.getElementById("live-snapshot").textContent);
const model = new LiveModel();
const hoverLine = document.getElementById("hover-line");
const grid = new Grid(document.getElementById("grid"), {
  onHover: (cell, label) => {
    hoverLine.textContent = label;
    delete hoverLine.dataset.tone;
  },
});
const view = new LiveView(model, grid, { controls: Boolean(document.getElementById("controls")) });
const serverNow = () => Date.now() + model.clockOffset;
let frames = 0;

view.render(model.loadSnapshot(snapshot), serverNow());
requestAnimationFrame(() => {
  document.body.dataset.gridReady = "true";
  performance.mark("rollwright:grid-painted");
});

const socket = new LiveSocket(`/ws/scale-sets/${snapshot.scale_set.id}/`, {
  lastEventId: snapshot.last_event_id,
  onMessages(messages) {
    // One animation frame for everything that arrived since the last one.
    const started = performance.now();
    const merged = { layout: false, all: false, cells: new Set(), log: [] };
    for (const message of messages) {
      const changes = message.type === "snapshot" ? model.loadSnapshot(message.snapshot) : model.apply(message.events);
      merged.layout ||= changes.layout;
      merged.all ||= changes.all;
      for (const id of changes.cells) merged.cells.add(id);
      merged.log.push(...changes.log);
    }
    view.render(merged, serverNow());
    document.body.dataset.lastEventId = String(model.lastEventId);
    performance.measure("rollwright:apply", { start: started });
    if (++frames % 5000 === 0) performance.clearMeasures("rollwright:apply");
  },
});
socket.connect();
// Once a second: the countdowns change by the second (a 1,000-instance grid repaints less).
setInterval(() => view.tick(serverNow()), 1000);

wireActions();

document.getElementById("large-cells").addEventListener("change", (event) => {
  grid.forceLarge = event.target.checked;
  view.render({ layout: true, all: false, cells: new Set(), log: [] }, serverNow());
});
document.getElementById("find-instance").addEventListener("input", (event) => findInstance(grid, event.target, hoverLine));
window.rollwright = { model, grid, socket };
tickCountdowns();
setInterval(tickCountdowns, 1000);
