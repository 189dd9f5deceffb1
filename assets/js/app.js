// Moves focus to the new step after htmx swaps it in, so screen-reader and
// keyboard users land on what changed: the error summary when there is one,
// otherwise the step's heading. Nothing is focused on first load, which
// matters inside the help center's iframe.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var flow = document.getElementById("flow");
    if (!flow || !flow.contains(event.detail.elt) && event.detail.elt !== flow) {
      return;
    }
    var target = flow.querySelector("#error-summary") || flow.querySelector("h1");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
    }
  });
})();
