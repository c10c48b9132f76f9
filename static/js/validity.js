// Progressive enhancement only: the API key page works without this file (the key is selectable).
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-done") || "✓";
      });
    });
  });
  var secret = document.querySelector("input.validity-secret");
  if (secret) {
    secret.addEventListener("focus", function () { secret.select(); });
  }
})();
