// Starts Swagger UI on this server's OpenAPI document (served at /api/docs; no inline
// script, so the page's Content-Security-Policy can forbid it).
"use strict";
(function () {
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");
  function follow() {
    document.documentElement.classList.toggle("dark-mode", Boolean(dark && dark.matches));
  }
  follow();
  if (dark && dark.addEventListener) {
    dark.addEventListener("change", follow);
  }
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
})();
