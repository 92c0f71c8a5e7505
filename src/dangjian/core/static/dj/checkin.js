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

  // Inside WeChat the page carries a signed wx.config (mobile.wechat.page_config) and
  // WeChat's JS-SDK: positions come from wx.getLocation (GCJ-02, as WeChat gives them) and
  // the scan button reads the activity's rotating QR code. Until wx is ready, or if WeChat
  // refuses the signature, the browser's geolocation is used as anywhere else.
  var wechat = null;
  var scan = document.getElementById("wechat-scan");
  var wechatConfig = document.getElementById("wechat-config");
  if (wechatConfig && window.wx) {
    var config = JSON.parse(wechatConfig.textContent);
    window.wx.config({
      debug: false,
      appId: config.appId,
      timestamp: config.timestamp,
      nonceStr: config.nonceStr,
      signature: config.signature,
      jsApiList: ["getLocation", "scanQRCode"],
    });
    window.wx.ready(function () {
      wechat = window.wx;
      if (scan) scan.hidden = false;
    });
    window.wx.error(function () {
      wechat = null;
      if (scan) scan.hidden = true;
    });
  }

  if (scan) {
    scan.addEventListener("click", function () {
      if (!wechat) return;
      wechat.scanQRCode({
        needResult: 1,
        scanType: ["qrCode"],
        success: function (res) {
          // A check-in link of this site (with its fresh code) is opened; anything else
          // is not ours to follow.
          var prefix = window.location.origin + "/m/checkin/";
          if (res.resultStr && res.resultStr.indexOf(prefix) === 0) {
            window.location.href = res.resultStr;
          }
        },
      });
    });
  }

  function browserLocate() {
    if (!navigator.geolocation) {
      show("error", msg("unsupported"));
      button.disabled = false;
      return;
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      submit(position, "wgs84");
    }, failed, {
      enableHighAccuracy: true,
      timeout: 20000,
      maximumAge: 0,
    });
  }

  function locate() {
    if (!wechat) {
      browserLocate();
      return;
    }
    wechat.getLocation({
      type: "gcj02",
      success: function (res) {
        submit(
          { coords: { latitude: res.latitude, longitude: res.longitude, accuracy: res.accuracy } },
          "gcj02"
        );
      },
      cancel: function () {
        failed({ code: 1 });
      },
      fail: function () {
        browserLocate();
      },
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var reflection = form.querySelector("textarea[name=reflection]");
    if (reflection && !reflection.value.trim()) {
      show("error", msg("reflection"));
      reflection.focus();
      return;
    }
    if (!wechat && !navigator.geolocation) {
      show("error", msg("unsupported"));
      return;
    }
    button.disabled = true;
    show("info", msg("locating"));
    locate();
  });
  // The page renders the button disabled: a tap before this script listened would post the
  // form without a position (slow networks load the script last).
  button.disabled = false;
})();
