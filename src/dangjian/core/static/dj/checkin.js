// The check-in page: read the phone's position (high accuracy) and post it. Every rule
// is the server's: this only reports what it answers. Messages come from the page
// (data-msg-*), so that they are translated with the rest of it.
(function () {
  var box = document.getElementById("checkin");
  var form = document.getElementById("checkin-form");
  if (!box || !form) return;
  var result = document.getElementById("checkin-result");
  var button = form.querySelector("button[type=submit]");

  function msg(name) {
    return box.getAttribute("data-msg-" + name) || "";
  }

  function show(kind, text) {
    result.className = "alert " + kind;
    result.textContent = text;
    result.hidden = false;
  }

  // A random id kept by this phone: one phone checking in several members is flagged.
  function deviceId() {
    try {
      var id = window.localStorage.getItem("dj-device");
      if (!id) {
        var bytes = new Uint8Array(16);
        window.crypto.getRandomValues(bytes);
        id = Array.prototype.map.call(bytes, function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("");
        window.localStorage.setItem("dj-device", id);
      }
      return id;
    } catch (e) {
      return "";
    }
  }

  // `system` names the coordinate system of the position: the browser's geolocation gives
  // WGS-84; a map SDK or WeChat's wx.getLocation says which one it used (gcj02, bd09).
  function submit(position, system) {
    var data = new FormData(form);
    data.set("latitude", position.coords.latitude);
    data.set("longitude", position.coords.longitude);
    data.set("accuracy", position.coords.accuracy);
    data.set("coord_system", system || "wgs84");
    data.set("device_id", deviceId());
    // Kept as metadata only: the server's clock decides.
    data.set("client_time", new Date().toISOString());
    show("info", msg("sending"));
    fetch(window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        show(answer.ok ? "success" : "error", answer.message);
        if (answer.ok) {
          form.hidden = true;
          var badge = document.querySelector("[data-testid=attendance-status]");
          if (badge) {
            badge.textContent = msg(answer.status === "checked_out" ? "out" : "in");
            badge.classList.add("ok");
          }
        } else {
          button.disabled = false;
        }
      })
      .catch(function () {
        show("error", msg("network"));
        button.disabled = false;
      });
  }

  function failed(error) {
    var name = { 1: "denied", 2: "unavailable", 3: "timeout" }[error.code] || "unavailable";
    show("error", msg(name));
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var reflection = form.querySelector("textarea[name=reflection]");
    if (reflection && !reflection.value.trim()) {
      show("error", msg("reflection"));
      reflection.focus();
      return;
    }
    if (!navigator.geolocation) {
      show("error", msg("unsupported"));
      return;
    }
    button.disabled = true;
    show("info", msg("locating"));
    navigator.geolocation.getCurrentPosition(function (position) {
      submit(position, "wgs84");
    }, failed, {
      enableHighAccuracy: true,
      timeout: 20000,
      maximumAge: 0,
    });
  });
})();
