// Every page: what inline attributes did before the Content-Security-Policy (no inline
// script, no style attribute). Sizes of server-rendered bars; forms that submit on change.

import { applySizes } from "./sizes.js";

applySizes();
for (const select of document.querySelectorAll("[data-submit-on-change]")) {
  select.addEventListener("change", () => select.form.submit());
}
