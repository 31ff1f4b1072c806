// The grid's per-instance actions (issue 12): click a cell (or find it by id) and the panel
// offers what fits its state: reimage, restart, power off or on, protect or unprotect. The
// forms post through actions.js like every other control; the change comes back as an event.

import { powerLabel, protectedLabel } from "./words.js";

export class InstancePanel {
  constructor(model) {
    this.model = model;
    this.panel = document.getElementById("instance-panel");
    this.title = document.getElementById("instance-title");
    this.current = null;
  }

  select(id) {
    if (!this.panel) return;
    this.current = String(id);
    const slot = this.panel.querySelector("[data-refusal]");
    if (slot) slot.hidden = true;
    for (const input of this.panel.querySelectorAll("input[name=instance_id]")) input.value = this.current;
    this.refresh();
  }

  /** Show the panel for the selected instance as the model now has it (after every render). */
  refresh() {
    if (!this.panel || this.current === null) return;
    const cell = this.model.cells.get(this.current);
    if (!cell) {
      this.panel.hidden = true;
      this.current = null;
      return;
    }
    const power = cell.power_state || "running";
    const running = power === "running";
    const words = [`Instance ${cell.id}`, `VM ${powerLabel(power)}`];
    if (cell.protected) words.push(protectedLabel());
    this.title.textContent = words.join(" · ");
    this.panel.dataset.instanceId = cell.id;
    const offered = {
      reimage: true,
      restart: power !== "deallocated",
      powerOff: running,
      start: !running,
      protect: !cell.protected,
      unprotect: Boolean(cell.protected),
    };
    for (const form of this.panel.querySelectorAll("form[data-instance-verb]")) {
      form.hidden = !offered[form.dataset.instanceVerb];
    }
    this.panel.hidden = false;
  }
}
