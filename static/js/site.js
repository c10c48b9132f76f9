// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Forms that do something hard to undo carry data-confirm="question"; ask before sending.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
