// The citizen's order form: on request, put the browser's position (WGS-84, as browsers'
// geolocation gives it) into the form's hidden fields with its system. Optional: the
// order is accepted without it. Messages come from the page (data-msg-*).
(function () {
  var form = document.querySelector("[data-order-form]");
  if (!form) return;
  var button = form.querySelector("[data-locate]");
  var status = form.querySelector("[data-locate-status]");
  if (!button || !navigator.geolocation) {
    if (button) button.hidden = true;
    return;
  }
  function msg(name) {
    return button.getAttribute("data-msg-" + name) || "";
  }
  button.addEventListener("click", function () {
    status.textContent = msg("locating");
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("[name=latitude]").value = position.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = position.coords.longitude.toFixed(6);
      form.querySelector("[name=coord_system]").value = "wgs84";
      status.textContent = msg("done");
    }, function () {
      status.textContent = msg("failed");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
})();
