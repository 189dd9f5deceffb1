// The console's small enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons: hidden until this script shows them, since they need it.
  // A button copies its data-copy text and says so for a moment in its own
  // label, which a screen reader announces through the live region beside
  // it.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) {
      return;
    }
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status) {
        status.textContent = button.dataset.copied;
        setTimeout(function () { status.textContent = ""; }, 4000);
      }
    });
  });
})();
