// Operator actions: every form marked data-action is posted with fetch (CSRF token included,
// as the form carries it) and answered in JSON; a refusal's message is shown next to the
// control that asked (E2: the toggle). Without JavaScript the same forms post and redirect.

import { escapeHtml } from "./format.js";

export function wireActions(root = document) {
  for (const form of root.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form);
    });
  }
  const start = document.getElementById("start-button");
  const dialog = document.getElementById("start-dialog");
  if (start && dialog) wireStartDialog(start, dialog);
}

async function submit(form) {
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const shared = document.getElementById("action-reason");
  if (shared && form.elements.reason && form.elements.reason.type === "hidden") {
    form.elements.reason.value = shared.value;
  }
  const button = form.querySelector("[type=submit]");
  if (button) button.disabled = true;
  // What this click asks for, read before the answer: an event may move the switch meanwhile.
  const wanted = form.elements.enable ? form.elements.enable.value : null;
  const slot = refusalSlot(form);
  if (slot) slot.hidden = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({ ok: false, message: `The server answered ${response.status}.` }));
    if (response.status === 403 && !answer.message) answer.message = "Your role does not allow this here.";
    if (answer.ok) {
      succeeded(form, answer, wanted);
      if (shared) shared.value = "";
    } else refused(form, answer);
  } catch (error) {
    refused(form, { message: "The server could not be reached; nothing was changed." });
  } finally {
    if (button) button.disabled = false;
  }
}

function succeeded(form, answer, wanted) {
  // A live page's model takes the click as an expectation its event settles (live-page.js);
  // elsewhere the switch shows what was asked for until the server's row replaces it.
  const detail = { action: form.dataset.action, wanted, handled: false };
  document.dispatchEvent(new CustomEvent("rollwright:acted", { detail }));
  if (form.dataset.action === "auto-upgrade") {
    const on = wanted === "on";
    if (!detail.handled) {
      const switchEl = form.querySelector(".switch");
      switchEl.setAttribute("aria-checked", String(on));
      switchEl.querySelector(".switch-text").textContent = on ? "On" : "Off";
      form.elements.enable.value = on ? "off" : "on";
    }
    const hint = form.closest(".toggle").querySelector(".refusal-hint");
    if (hint && on) hint.hidden = true;
  }
  const dialog = form.closest("dialog");
  if (dialog) dialog.close();
  if (form.dataset.reload !== undefined) {
    window.location.reload();
    return;
  }
  say(answer.message, "ok");
}

function refused(form, answer) {
  const slot = refusalSlot(form);
  const target = answer.target ? `<span class="refusal-target">Property: <code>${escapeHtml(answer.target)}</code></span>` : "";
  const details = (answer.details || []).slice(1).map((d) => `<li>${escapeHtml(d.message)}</li>`).join("");
  const html = `<strong>Refused.</strong> ${escapeHtml(answer.message)} ${target}${details ? `<ul>${details}</ul>` : ""}`;
  if (slot) {
    slot.innerHTML = html;
    slot.hidden = false;
  } else say(answer.message, "error");
}

function refusalSlot(form) {
  const holder = form.closest(".toggle") || form.closest("dialog") || form.closest("[data-refusal-scope]");
  return holder ? holder.querySelector("[data-refusal]") : null;
}

export function say(message, tone) {
  const el = document.getElementById("action-message");
  if (!el) return;
  el.textContent = message;
  el.dataset.tone = tone;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { el.textContent = ""; }, 6000);
}

function wireStartDialog(start, dialog) {
  const form = dialog.querySelector("form");
  const preview = dialog.querySelector("#start-preview");
  const load = async () => {
    const kind = form.elements.kind.value;
    preview.innerHTML = '<p class="muted">Loading the plan…</p>';
    try {
      const response = await fetch(`${start.dataset.previewUrl}?fragment=1&kind=${encodeURIComponent(kind)}`, { credentials: "same-origin" });
      preview.innerHTML = await response.text();
    } catch {
      preview.innerHTML = '<p class="refusal">The plan could not be loaded.</p>';
    }
  };
  start.addEventListener("click", (event) => {
    event.preventDefault();
    const slot = dialog.querySelector("[data-refusal]");
    if (slot) slot.hidden = true;
    const shared = document.getElementById("action-reason");
    if (shared && shared.value) form.elements.reason.value = shared.value;
    dialog.showModal();
    load();
  });
  for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", load);
  for (const close of dialog.querySelectorAll("[data-close]")) close.addEventListener("click", () => dialog.close());
}
