// B3: play a finished upgrade back from its event log, in the live page's grid and panels.
// The replay clock is the original server clock: seeking forward applies the events up to
// the new moment; seeking back rebuilds from the start (events are cheap to re-apply).

import { Grid, findInstance } from "./grid.js";
import { LiveModel } from "./model.js";
import { LiveView } from "./live-view.js";
import { mmss } from "./format.js";

const data = JSON.parse(document.getElementById("replay-data").textContent);
const events = data.events;
const times = events.map((e) => Date.parse(e.created_at));
const start = times.length ? times[0] : Date.now();
const end = times.length ? times[times.length - 1] : start;
const span = Math.max(1, end - start);
const hoverLine = document.getElementById("hover-line");
const grid = new Grid(document.getElementById("grid"), {
  onHover: (cell, label) => {
    hoverLine.textContent = label;
    delete hoverLine.dataset.tone;
  },
});
const model = new LiveModel();
const view = new LiveView(model, grid, { controls: false });
const play = document.getElementById("replay-play");
const speed = document.getElementById("replay-speed");
const scrubber = document.getElementById("replay-scrubber");
const timeOut = document.getElementById("replay-time");

let now = start;
let next = 0; // index of the next event to apply
let playing = false;
let lastFrame = 0;

function reset() {
  model.loadSnapshot(structuredClone(data.start)); // as the upgrade found the scale set
  model.clockOffset = 0; // show the original times
  next = 0;
}

/** Move the replay clock to `moment`, applying or rebuilding as needed. */
function seek(moment) {
  let changes = { layout: false, all: false, cells: new Set(), log: [] };
  if (moment < now) {
    reset();
    changes.layout = true;
  }
  const due = [];
  while (next < events.length && times[next] <= moment) due.push(events[next++]);
  if (due.length) {
    const applied = model.apply(due);
    changes = { layout: changes.layout || applied.layout, all: applied.all, cells: applied.cells, log: applied.log };
  }
  now = moment;
  view.render(changes, now);
  const done = now - start;
  scrubber.value = String(Math.round((1000 * done) / span));
  scrubber.setAttribute("aria-valuetext", `${mmss(done / 1000)} of ${mmss(span / 1000)}`);
  timeOut.textContent = `${mmss(done / 1000)} / ${mmss(span / 1000)}`;
  if (now >= end && playing) toggle(false);
}

function frame(timestamp) {
  if (!playing) return;
  const elapsed = lastFrame ? timestamp - lastFrame : 0;
  lastFrame = timestamp;
  seek(Math.min(end, now + elapsed * Number(speed.value)));
  if (playing) requestAnimationFrame(frame);
}

function toggle(on) {
  playing = on;
  play.setAttribute("aria-pressed", String(on));
  play.querySelector(".play-text").textContent = on ? "Pause" : now >= end ? "Replay" : "Play";
  play.dataset.playing = String(on);
  if (on) {
    if (now >= end) seek(start);
    lastFrame = 0;
    requestAnimationFrame(frame);
  }
}

play.addEventListener("click", () => toggle(!playing));
scrubber.addEventListener("input", () => {
  if (playing) toggle(false);
  seek(start + (Number(scrubber.value) / 1000) * span);
});
document.addEventListener("keydown", (event) => {
  if (event.key === " " && event.target === document.body) {
    event.preventDefault();
    toggle(!playing);
  }
});
document.getElementById("large-cells").addEventListener("change", (event) => {
  grid.forceLarge = event.target.checked;
  view.render({ layout: true, all: false, cells: new Set(), log: [] }, now);
});
document.getElementById("find-instance").addEventListener("input", (event) => findInstance(grid, event.target, hoverLine));

reset();
now = start - 1;
seek(start);
document.body.dataset.gridReady = "true";
window.rollwright = { model, grid, seek, toggle, start, end };
