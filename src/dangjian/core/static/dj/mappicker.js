// The venue map of the plan editor (core/templatetags/maps.py): loads Amap's JS API v2
// from the address the page names, and a tap on the map fills the form's latitude and
// longitude with the point tapped, in Amap's system (GCJ-02), which it selects; the server
// converts it to WGS-84. Without this file, or when the map fails, the fields are typed.
(function () {
  var box = document.querySelector("[data-map-picker]");
  if (!box) return;
  var field = function (name) {
    return document.getElementById(box.getAttribute(name));
  };
  var lat = field("data-lat");
  var lon = field("data-lon");
  var system = field("data-system");
  var canvas = box.querySelector("[data-map-canvas]");
  var status = box.querySelector("[data-map-status]");
  if (!lat || !lon || !canvas) return;

  function say(key, kind) {
    if (!status) return;
    status.textContent = box.getAttribute(key);
    status.className = "small alert " + kind;
  }

  function failed() {
    canvas.hidden = true;
    say("data-msg-failed", "error");
  }

  function start() {
    if (!window.AMap || !window.AMap.Map) return failed();
    var map = new window.AMap.Map(canvas, { zoom: 17 });
    var centre = box.getAttribute("data-centre");
    var marker = null;
    if (centre) {
      var at = centre.split(",").map(Number);
      map.setCenter(at);
      marker = new window.AMap.Marker({ position: at, map: map });
    }
    map.on("click", function (event) {
      var lng = event.lnglat.getLng();
      var la = event.lnglat.getLat();
      lat.value = la.toFixed(6);
      lon.value = lng.toFixed(6);
      if (system) system.value = "gcj02";
      [lat, lon, system].forEach(function (input) {
        if (input) input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      if (marker) {
        marker.setPosition([lng, la]);
      } else {
        marker = new window.AMap.Marker({ position: [lng, la], map: map });
      }
      say("data-msg-picked", "success");
    });
  }

  var code = box.getAttribute("data-security-code");
  if (code) window._AMapSecurityConfig = { securityJsCode: code };
  var script = document.createElement("script");
  script.src = box.getAttribute("data-src");
  script.async = true;
  script.onload = start;
  script.onerror = failed;
  document.head.appendChild(script);
})();
