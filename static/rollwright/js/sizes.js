// The Content-Security-Policy forbids style attributes, in templates and in HTML built here:
// bar widths and marker offsets travel as data-width / data-left (percentages) and are set
// through the CSSOM, which the policy allows.

export function applySizes(root = document) {
  for (const el of root.querySelectorAll("[data-width]")) el.style.width = `${el.dataset.width}%`;
  for (const el of root.querySelectorAll("[data-left]")) el.style.left = `${el.dataset.left}%`;
}
