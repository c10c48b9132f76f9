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

  // A wide table scrolls in its own box (class="table-scroll"), which the page as sent makes a Tab
  // stop described by its first line (class="scroll-hint"), so that a keyboard or screen-reader user
  // can scroll it and hears why. Where the table fits there is nothing to scroll: the box leaves the
  // Tab order and the line is hidden from every reader, until a narrower window makes the table
  // wider than the box again. Without ResizeObserver the page stays as sent.
  function watchScrollBox(box) {
    var hint = box.querySelector(".scroll-hint");
    var described = box.getAttribute("aria-describedby");
    var table = box.querySelector("table");
    var pending = false;
    function fit() {
      pending = false;
      var wider = box.scrollWidth > box.clientWidth + 1;
      if (wider) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
      if (described && wider) {
        box.setAttribute("aria-describedby", described);
      } else {
        box.removeAttribute("aria-describedby");
      }
      if (hint) {
        hint.hidden = !wider;
      }
    }
    // Showing or hiding the line changes the box's height: change it in the next frame, not while
    // the observer is reporting, or the browser reports a loop.
    var observer = new ResizeObserver(function () {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(fit);
      }
    });
    box.setAttribute("data-scroll-watched", "");
    fit();
    observer.observe(box);
    if (table) {
      observer.observe(table);
    }
  }
  if (window.ResizeObserver) {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), watchScrollBox);
  }
})();
