// While a form's request runs, its submit buttons are disabled and the one pressed shows a
// spinner (aria-busy, drawn by app.css), so a slow request is neither sent twice nor left
// without a sign of life. Pages work without this file.
//
// A plain POST form: disabled once the browser has read the form (a disabled button's
// name=value would not be sent), and enabled again when the page is shown from the back
// button's cache. An htmx request: disabled from htmx:beforeRequest to htmx:afterRequest.
// A form marked data-no-busy (the language switch, downloads) is left alone.
(function () {
  var SUBMITS = 'button:not([type]), button[type="submit"], input[type="submit"]';

  function buttonsOf(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll(SUBMITS));
    if (form.id) {
      var outside = document.querySelectorAll(
        'button[form="' + form.id + '"], input[type="submit"][form="' + form.id + '"]'
      );
      inside = inside.concat(Array.prototype.slice.call(outside));
    }
    return inside;
  }

  function setBusy(buttons, pressed) {
    buttons.forEach(function (button) {
      if (button.disabled) return;
      button.disabled = true;
      button.setAttribute("data-busy-disabled", "");
      if (button === pressed || (!pressed && buttons.length === 1)) {
        button.setAttribute("aria-busy", "true");
      }
    });
  }

  function clearBusy(root) {
    root.querySelectorAll("[data-busy-disabled]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-busy-disabled");
      button.removeAttribute("aria-busy");
    });
  }

  function watched(form) {
    return (
      form &&
      !form.hasAttribute("data-no-busy") &&
      (form.getAttribute("method") || "get").toLowerCase() === "post" &&
      !form.hasAttribute("target")
    );
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var pressed = event.submitter || null;
    if (!watched(form) || form.hasAttribute("hx-post")) return;
    // After every listener has run and the browser has taken the form's values.
    window.setTimeout(function () {
      if (event.defaultPrevented) return;
      setBusy(buttonsOf(form), pressed);
    }, 0);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest) return;
    var form = elt.tagName === "FORM" ? elt : null;
    if (form && form.hasAttribute("data-no-busy")) return;
    var buttons = form ? buttonsOf(form) : elt.matches(SUBMITS) ? [elt] : [];
    if (!buttons.length) return;
    var pressed = elt.tagName === "FORM" ? document.activeElement : elt;
    setBusy(buttons, buttons.indexOf(pressed) >= 0 ? pressed : null);
    elt.setAttribute("data-busy-owner", "");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-busy-owner")) return;
    elt.removeAttribute("data-busy-owner");
    if (elt.tagName === "FORM") {
      buttonsOf(elt).forEach(function (button) {
        if (button.hasAttribute("data-busy-disabled")) {
          button.disabled = false;
          button.removeAttribute("data-busy-disabled");
          button.removeAttribute("aria-busy");
        }
      });
    } else if (elt.hasAttribute("data-busy-disabled")) {
      elt.disabled = false;
      elt.removeAttribute("data-busy-disabled");
      elt.removeAttribute("aria-busy");
    }
  });

  // The back button shows the page as it was left: its buttons still disabled.
  window.addEventListener("pageshow", function () {
    clearBusy(document);
  });
})();
