// B8 between the server's estimates (issue 10.6): the server estimates when each batch and the
// upgrade end (orchestrator/eta.py, from measured batch durations and gaps); the page counts
// down to those times on one clock, the wall clock (Azure's time goes in the tooltips). When the
// running batch outlasts its estimate, the page does not say "in 0 s": it says what the batch
// waits for ("waiting for instance 8 to be healthy (up to 0:04)") and moves the later ends by
// the overrun, until the server estimates again.

import { duration, mmss } from "./format.js";
import { stateLabel } from "./words.js";

/** The server's estimate, the running batch's overrun carried into the later batches. */
export function projected(model, now) {
  const found = model.estimate();
  const op = model.operation;
  if (!op || op.current_batch === null || op.current_batch === undefined) return found;
  const end = found.ends.get(op.current_batch);
  if (!end || end >= now) return found;
  const late = now - end;
  const ends = new Map([...found.ends].map(([index, at]) => [index, index === op.current_batch ? now : at + late]));
  return { ...found, ends, overall: found.overall === null ? null : found.overall + late, overrun: late };
}

/** What the running batch still waits for: {text, title}, or null when nothing is left in it. */
export function waitingFor(model, now) {
  const op = model.operation;
  if (!op || op.current_batch === null || op.current_batch === undefined) return null;
  const batch = model.batches[op.current_batch];
  if (!batch) return null;
  const cells = batch.instances.map((id) => model.cells.get(id)).filter(Boolean);
  const scale = model.timing.time_scale;
  const waiting = cells.filter((cell) => cell.state === "waiting_for_health" && cell.deadline !== null);
  if (waiting.length) {
    const last = Math.max(...waiting.map((cell) => cell.deadline));
    const left = Math.max(0, (last - now) / 1000);
    const who = waiting.length === 1 ? `instance ${waiting[0].id}` : `${waiting.length} instances`;
    return {
      text: `waiting for ${who} to be healthy (up to ${mmss(left)})`,
      title: `U4: ${duration(left * scale)} of Azure time left of the ${duration(model.timing.health_wait_seconds * scale)} health wait`,
    };
  }
  const moving = cells.filter((cell) => cell.state === "reimaging" || cell.state === "rolling_back");
  if (moving.length) {
    const verb = stateLabel(moving.every((cell) => cell.state === "rolling_back") ? "rolling_back" : "reimaging");
    const who = moving.length === 1 ? `instance ${moving[0].id}` : `${moving.length} instances`;
    return { text: `${verb} ${who}`, title: "" };
  }
  return null;
}

/** "in 42 s", or "any moment now" within the last second (never "in 0 s"). */
export function countdown(end, now) {
  return end - now >= 1000 ? `in ${duration((end - now) / 1000)}` : "any moment now";
}

/** The tooltip of a wall-clock span: the same span in Azure's time, when time is scaled. */
export function azureTitle(model, seconds) {
  const scale = model.timing.time_scale;
  return scale === 1 ? "" : `${duration(seconds * scale)} of Azure time (time runs ×${scale})`;
}
