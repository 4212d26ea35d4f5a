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

// The browser's time zone, for pages with analytics: added to the address once, so that
// days and hours are the visitor's own (without a script they are UTC).
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector("[data-browser-timezone]");
  if (!field) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const url = new URL(window.location.href);
  if (zone && !url.searchParams.has("timezone") && zone !== "UTC") {
    url.searchParams.set("timezone", zone);
    window.location.replace(url.toString());
  }
});

// Live figures on a link's page: clicks, the last 30 minutes and the chart, every 5 s.
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.querySelector("[data-live-url]");
  if (!panel || !window.fetch) return;
  const refresh = async () => {
    try {
      const response = await fetch(panel.dataset.liveUrl, { headers: { accept: "application/json" } });
      if (!response.ok) return;
      const figures = await response.json();
      for (const name of ["clicks", "recent", "total", "unique"]) {
        for (const element of document.querySelectorAll(`[data-figure="${name}"]`)) {
          element.textContent = figures[name];
        }
      }
      const chart = panel.querySelector("[data-chart]");
      if (chart && typeof figures.chart === "string") chart.innerHTML = figures.chart;
    } catch (_) { /* try again at the next tick */ }
  };
  setInterval(refresh, 5000);
});
