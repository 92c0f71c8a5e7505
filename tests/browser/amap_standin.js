// A local stand-in for Amap's JavaScript API v2 (served by tests/browser/test_venue_map.py
// in place of https://webapi.amap.com/maps): the subset the plan editor calls, AMap.Map
// (on("click"), setCenter), AMap.Marker (setPosition) and the event's lnglat
// (getLng, getLat). A map is its container: a click at (x, y) is the point at that offset
// from the centre, 0.00001 degree a pixel, rounded to 6 decimals as Amap gives them. Every
// click's point is kept in window.__standinClicks for the test to read.
(function () {
  var DEGREES_PER_PIXEL = 0.00001;

  function round6(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  function LngLat(lng, lat) {
    this.lng = lng;
    this.lat = lat;
  }
  LngLat.prototype.getLng = function () {
    return this.lng;
  };
  LngLat.prototype.getLat = function () {
    return this.lat;
  };

  function toLngLat(position) {
    return position instanceof LngLat ? position : new LngLat(position[0], position[1]);
  }

  function Map(container, options) {
    var self = this;
    this.el = typeof container === "string" ? document.getElementById(container) : container;
    this.center = toLngLat((options && options.center) || [116.397428, 39.90923]);
    this.handlers = {};
    this.el.setAttribute("data-standin-map", "");
    this.el.style.position = "relative";
    this.el.style.cursor = "crosshair";
    this.el.addEventListener("click", function (event) {
      var box = self.el.getBoundingClientRect();
      var dx = event.clientX - (box.left + box.width / 2);
      var dy = event.clientY - (box.top + box.height / 2);
      var point = new LngLat(
        round6(self.center.lng + dx * DEGREES_PER_PIXEL),
        round6(self.center.lat - dy * DEGREES_PER_PIXEL)
      );
      window.__standinClicks = (window.__standinClicks || []).concat([[point.lng, point.lat]]);
      (self.handlers.click || []).forEach(function (handler) {
        handler({ lnglat: point, type: "click", target: self });
      });
    });
  }
  Map.prototype.on = function (name, handler) {
    (this.handlers[name] = this.handlers[name] || []).push(handler);
  };
  Map.prototype.setCenter = function (position) {
    this.center = toLngLat(position);
    this.el.setAttribute("data-center", this.center.lng + "," + this.center.lat);
  };
  Map.prototype.getCenter = function () {
    return this.center;
  };

  function Marker(options) {
    this.dot = document.createElement("span");
    this.dot.setAttribute("data-standin-marker", "");
    this.dot.style.cssText =
      "position:absolute;left:50%;top:50%;width:10px;height:10px;margin:-5px;" +
      "border-radius:50%;background:#c8161d;pointer-events:none";
    this.setPosition(options.position);
    if (options.map) options.map.el.appendChild(this.dot);
  }
  Marker.prototype.setPosition = function (position) {
    this.position = toLngLat(position);
    this.dot.setAttribute("data-position", this.position.lng + "," + this.position.lat);
  };
  Marker.prototype.getPosition = function () {
    return this.position;
  };

  window.AMap = { Map: Map, Marker: Marker, LngLat: LngLat };
})();
