// A volunteer's signing in and out at the order's place: read the phone's position (high
// accuracy, WGS-84 as browsers give it), put it in the form and post it. Every rule is the
// server's; messages come from the page (data-msg-*), translated with it.
(function () {
  var box = document.getElementById("volunteer-sign");
  var form = document.getElementById("sign-form");
  if (!box || !form) return;
  var result = document.getElementById("sign-result");
  var button = form.querySelector("button[type=submit]");

  function show(kind, name) {
    result.className = "alert " + kind;
    result.textContent = box.getAttribute("data-msg-" + name) || "";
    result.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!navigator.geolocation) {
      show("error", "unsupported");
      return;
    }
    button.disabled = true;
    show("info", "locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.latitude.value = position.coords.latitude;
        form.elements.longitude.value = position.coords.longitude;
        form.elements.accuracy.value = position.coords.accuracy;
        form.elements.coord_system.value = "wgs84";
        form.submit();
      },
      function (error) {
        show("error", { 1: "denied", 2: "unavailable", 3: "timeout" }[error.code] || "unavailable");
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });
  // Enabled once the script listens: a tap before it ran would post no position.
  button.disabled = false;
})();
