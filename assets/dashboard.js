// openpxl dashboard: the few things that need JavaScript. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: hidden until there is a clipboard to copy to.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        const label = button.textContent;
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = label; }, 1500);
      } catch (_) {
        button.textContent = "Copy failed";
      }
    });
  }
  // Selects that act at once (the organization switcher); their button is for no-JS.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    const button = select.form.querySelector("button[type=submit]");
    if (button) button.hidden = true;
    select.addEventListener("change", () => select.form.submit());
  }
});
