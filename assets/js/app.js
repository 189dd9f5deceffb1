// Small enhancements of our own; every page works without them.
(function () {
  "use strict";

  // Inside the help center's iframe: drop our own header and footer, and
  // tell the parent page our height whenever it changes, so the frame fits
  // its content. The message goes to each allowed origin by name, never to
  // any origin; the browser delivers it only to the one that is the parent.
  var framed = window.parent !== window;
  if (framed) {
    document.documentElement.classList.add("is-framed");
    var origins = (document.body.getAttribute("data-frame-origins") || "").split(" ").filter(Boolean);
    var lastHeight = 0;
    var postHeight = function () {
      // The body's own height, not the document's, which never drops below
      // the frame's current height and so could only grow.
      var height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height === lastHeight) {
        return;
      }
      lastHeight = height;
      origins.forEach(function (origin) {
        window.parent.postMessage({ type: "aikagi:height", height: height }, origin);
      });
    };
    if (window.ResizeObserver) {
      new ResizeObserver(postHeight).observe(document.body);
    }
    window.addEventListener("load", postHeight);
    document.addEventListener("htmx:afterSettle", postHeight);
    // The parent's /embed.js may start listening after our first report
    // (it loads async): it then asks, and we report again.
    window.addEventListener("message", function (event) {
      if (event.source === window.parent && origins.indexOf(event.origin) >= 0 &&
          event.data && event.data.type === "aikagi:height?") {
        lastHeight = 0;
        postHeight();
      }
    });
    postHeight();
  }

  // After htmx swaps a step into #flow, move focus to what changed: the
  // error summary when there is one, otherwise the step's heading. Nothing is
  // focused on first load, which matters inside the help center's iframe.
  document.addEventListener("htmx:afterSettle", function (event) {
    var flow = document.getElementById("flow");
    if (!flow || (!flow.contains(event.detail.elt) && event.detail.elt !== flow)) {
      return;
    }
    var target = flow.querySelector("#error-summary") || flow.querySelector("h1");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });

  // Show/hide the new password in place. Without JavaScript the same button
  // asks the server to show the form again with the passwords visible.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reveal-toggle]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var show = button.getAttribute("aria-pressed") !== "true";
    button.form.querySelectorAll("[data-password]").forEach(function (input) {
      input.type = show ? "text" : "password";
    });
    button.setAttribute("aria-pressed", String(show));
    button.textContent = show ? button.dataset.labelHide : button.dataset.labelShow;
    // Sent with the form, so a refused password comes back shown or hidden
    // as it was.
    var revealed = button.form.querySelector("[data-revealed]");
    if (revealed) {
      revealed.value = show ? "1" : "0";
    }
  });

  // typedLength counts as the server does: NFKC, without the unseen
  // format and control characters. Browsers without Unicode property
  // escapes count every character.
  var formatOrControl = null;
  try {
    formatOrControl = new RegExp("[\\p{Cf}\\p{Cc}]", "gu");
  } catch (e) {}
  function typedLength(value) {
    if (value.normalize) {
      value = value.normalize("NFKC");
    }
    if (formatOrControl) {
      value = value.replace(formatOrControl, "");
    }
    return Array.from(value).length;
  }

  // Live length feedback while typing; the server still decides.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-min-length]")) {
      return;
    }
    var out = document.getElementById("password-feedback");
    if (!out) {
      return;
    }
    var missing = Number(input.dataset.minLength) - typedLength(input.value);
    var shortMsg = missing === 1 ? out.dataset.msgShortOne : out.dataset.msgShortOther;
    out.textContent = input.value === "" ? "" :
      missing > 0 ? shortMsg.replace("{n}", String(missing)) : out.dataset.msgOk;
  });

  // nfkc is the password as the server compares it: full-width and
  // half-width typing are the same password.
  function nfkc(value) {
    return value.normalize ? value.normalize("NFKC") : value;
  }

  // Whether the two new passwords match, said before submitting. A
  // mismatch is said only once the second is as long as the first, so
  // that typing it is not interrupted; the live region is polite.
  function checkMatch(form) {
    var out = form.querySelector("#password-match");
    var first = form.querySelector("[data-min-length]");
    var second = form.querySelector("[data-password-confirm]");
    if (!out || !first || !second) {
      return;
    }
    var message = "";
    if (second.value !== "" && first.value !== "") {
      if (nfkc(second.value) === nfkc(first.value)) {
        message = out.dataset.msgMatch;
        // The only error the second field gets is that it differs.
        clearFieldError(second);
      } else if (typedLength(second.value) >= typedLength(first.value)) {
        message = out.dataset.msgDiffer;
      }
    }
    if (out.textContent !== message) {
      out.textContent = message;
    }
  }

  // Once a refused field changes, its old error no longer describes it:
  // drop the message under it, its mark, and its line in the summary.
  function clearFieldError(input) {
    if (input.getAttribute("aria-invalid") !== "true") {
      return;
    }
    input.removeAttribute("aria-invalid");
    input.classList.remove("border-red-700");
    input.classList.add("border-slate-400");
    var error = document.getElementById(input.id + "-error");
    if (error) {
      error.remove();
    }
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== input.id + "-error";
    });
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.querySelectorAll('a[href="#' + input.id + '"]').forEach(function (link) {
        link.closest("li").remove();
      });
      if (!summary.querySelector("li")) {
        summary.remove();
      }
    }
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    var form = input.closest && input.closest("form[data-password-form]");
    if (!form || !input.matches("[data-password]")) {
      return;
    }
    clearFieldError(input);
    checkMatch(form);
  });
})();
