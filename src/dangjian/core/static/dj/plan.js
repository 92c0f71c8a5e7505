// The activity plan editor on a phone: "use my current position" fills the venue's
// latitude and longitude from the browser (high accuracy, nothing cached) and selects
// their system, WGS-84, which is what browsers give. Typing them in still works without
// this file.
(function () {
  var button = document.querySelector("[data-locate]");
  if (!button || !("geolocation" in navigator)) return;
  var status = document.getElementById(button.getAttribute("data-status"));
  var lat = document.getElementById(button.getAttribute("data-lat"));
  var lon = document.getElementById(button.getAttribute("data-lon"));
  var system = document.getElementById(button.getAttribute("data-system"));
  if (!lat || !lon) return;

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = "small alert " + kind;
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(button.getAttribute("data-msg-locating"), "info");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        if (system) system.value = "wgs84";
        [lat, lon].forEach(function (field) {
          field.dispatchEvent(new Event("change", { bubbles: true }));
        });
        var accuracy = String(Math.round(position.coords.accuracy || 0));
        say(button.getAttribute("data-msg-done").replace("%s", accuracy), "success");
        button.disabled = false;
      },
      function (error) {
        var key = { 1: "data-msg-denied", 2: "data-msg-unavailable", 3: "data-msg-timeout" };
        say(button.getAttribute(key[error.code] || "data-msg-unavailable"), "error");
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });
})();
