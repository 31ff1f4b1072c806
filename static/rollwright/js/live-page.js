// The scale set page: draw the grid from the embedded snapshot (first paint without a round
// trip), then stay current over the websocket, applying the scale set's stream in order from
// the snapshot's sequence on (stream.js) and repairing any gap.

import { wireActions } from "./actions.js";
import { Grid, findInstance } from "./grid.js";
import { InstancePanel } from "./instance-panel.js";
import { LiveModel } from "./model.js";
import { LiveSocket } from "./socket.js";
import { StreamOrder } from "./stream.js";
import { LiveView } from "./live-view.js";
import { tickCountdowns } from "./next-upgrade.js";

const snapshot = JSON.parse(document.getElementById("live-snapshot").textContent);
const model = new LiveModel();
const hoverLine = document.getElementById("hover-line");
const panel = new InstancePanel(model);
const grid = new Grid(document.getElementById("grid"), {
  onHover: (cell, label) => {
    hoverLine.textContent = label;
    delete hoverLine.dataset.tone;
  },
  onSelect: (id) => panel.select(id),
});
const view = new LiveView(model, grid, { controls: Boolean(document.getElementById("controls")) });
const serverNow = () => Date.now() + model.clockOffset;
let frames = 0;

view.render(model.loadSnapshot(snapshot), serverNow());
requestAnimationFrame(() => {
  document.body.dataset.gridReady = "true";
  performance.mark("rollwright:grid-painted");
});

let merged = null; // the changes of the frame being handled
const collect = (changes) => {
  merged.layout ||= changes.layout;
  merged.all ||= changes.all;
  for (const id of changes.cells) merged.cells.add(id);
  merged.log.push(...changes.log);
};
const stream = new StreamOrder({
  sequence: snapshot.sequence,
  apply: (events) => collect(model.apply(events)),
  load: (fresh) => collect(model.loadSnapshot(fresh)),
  resync: (after) => socket.resync(after),
});
const socket = new LiveSocket(`/ws/scale-sets/${snapshot.scale_set.id}/`, {
  after: () => stream.sequence,
  onMessages(messages) {
    // One animation frame for everything that arrived since the last one.
    const started = performance.now();
    merged = { layout: false, all: false, cells: new Set(), log: [] };
    for (const message of messages) stream.receive(message);
    view.render(merged, serverNow());
    panel.refresh();
    merged = null;
    document.body.dataset.lastEventId = String(model.lastEventId);
    document.body.dataset.sequence = String(stream.sequence);
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
window.rollwright = { model, grid, socket, stream, view };
document.body.dataset.sequence = String(stream.sequence);

// A click confirmed by the server shows at once, and gives way to its event (model.expect).
document.addEventListener("rollwright:acted", ({ detail }) => {
  if (detail.action === "auto-upgrade") model.expect("auto_upgrade", detail.wanted === "on");
  else if (["pause", "resume", "cancel"].includes(detail.action)) model.expect("operation", detail.action);
  else return;
  detail.handled = true;
  view.renderControls();
  setTimeout(() => view.renderControls(), 5100); // the expectation's end, if no event came
});
tickCountdowns();
setInterval(tickCountdowns, 1000);
