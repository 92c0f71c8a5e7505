// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// Organization tree: the first click loads the children (htmx, hx-trigger="click once");
// every click shows or hides them.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-tree-toggle]");
  if (!toggle) return;
  var list = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!list) return;
  var open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
  list.hidden = !open;
});

// Organization pickers: a search result fills the form field it was asked for.
document.addEventListener("click", function (event) {
  var pick = event.target.closest("[data-pick-target]");
  if (!pick) return;
  var field = document.getElementById(pick.getAttribute("data-pick-target"));
  if (!field) return;
  field.value = pick.getAttribute("data-pick-value");
  field.dispatchEvent(new Event("change", { bubbles: true }));
  var results = pick.closest(".search-results");
  if (results) {
    results.innerHTML = "";
    var note = document.createElement("p");
    note.className = "muted small";
    note.textContent = "✓ " + pick.getAttribute("data-pick-label");
    results.appendChild(note);
  }
});

// Enter in a picker's search box searches; it must not submit the surrounding form.
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && event.target.closest(".picker input")) {
    event.preventDefault();
  }
});
