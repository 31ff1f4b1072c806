// B2: scenario buttons fill the fault rule form; the form itself posts (and redirects back).

const form = document.getElementById("rule-form");
if (form) {
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => {
      const preset = JSON.parse(button.dataset.preset);
      for (const name of ["instance_ids", "share_percent", "seconds", "image_version", "zone"]) {
        form.elements[name].value = "";
      }
      for (const [name, value] of Object.entries(preset)) form.elements[name].value = value;
      form.elements.reason.focus();
    });
  }
}
