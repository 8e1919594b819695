/* Starts Swagger UI on the definition whose address the page gives in
   data-spec-url. A file rather than an inline script, so the explorer's
   Content-Security-Policy can refuse every script that is not ours. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // The default validator badge is an image from validator.swagger.io: the
    // page loads nothing from outside, and the definition is not sent anywhere.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
