// The attempt page (mobile/quizzes/attempt.html). The deadline and "now" come from the
// server: the countdown shows their difference, less the time since the page loaded, and
// submits the paper at zero (the server finishes a late attempt itself in any case). Each
// answer is posted as it is chosen with the slot's next version; a refusal (a stale tab,
// the attempt finished) shows the server's Chinese message under the question.
(function () {
  "use strict";
  var paper = document.getElementById("quiz-paper");
  var clockBox = document.getElementById("quiz-clock");
  if (!paper || !clockBox) return;
  var csrf = paper.querySelector("input[name=csrfmiddlewaretoken]").value;
  var saveUrl = paper.dataset.saveUrl; // ends in /0/: the question's id replaces the 0

  function answerOf(box) {
    var kind = box.dataset.kind;
    var inputs = box.querySelectorAll("input");
    if (kind === "multiple") {
      var keys = [];
      inputs.forEach(function (i) { if (i.checked) keys.push(i.value); });
      return keys.length ? keys : null;
    }
    if (kind === "fill_in") {
      var text = inputs[0].value.trim();
      return text ? text : null;
    }
    var picked = null;
    inputs.forEach(function (i) { if (i.checked) picked = i.value; });
    if (kind === "true_false" && picked !== null) return picked === "true";
    return picked;
  }

  var pending = 0;
  function save(box) {
    var status = box.querySelector("[data-status]");
    var version = parseInt(box.dataset.version, 10) + 1;
    status.textContent = clockBox.dataset.savingText;
    pending += 1;
    fetch(saveUrl.replace(/\/0\/$/, "/" + box.dataset.question + "/"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ answer: answerOf(box), version: version })
    }).then(function (response) {
      return response.json().then(function (body) { return [response.ok, body]; });
    }).then(function (result) {
      if (result[0]) {
        box.dataset.version = String(result[1].version);
        status.textContent = clockBox.dataset.savedText;
        status.className = "small muted";
      } else {
        status.textContent = result[1].message;
        status.className = "small alert error";
      }
    }).catch(function () {
      status.textContent = clockBox.dataset.failedText;
      status.className = "small alert error";
    }).finally(function () { pending -= 1; });
  }

  paper.querySelectorAll("fieldset[data-question]").forEach(function (box) {
    var timer = null;
    box.addEventListener("change", function () { clearTimeout(timer); save(box); });
    box.addEventListener("input", function (event) {
      if (event.target.type !== "text") return;
      clearTimeout(timer);
      timer = setTimeout(function () { save(box); }, 800);
    });
  });

  if (!clockBox.dataset.deadline) return;
  var offset = Date.parse(clockBox.dataset.deadline) - Date.parse(clockBox.dataset.serverNow);
  var loaded = Date.now();
  var line = clockBox.querySelector("[data-left]");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.ceil((offset - (Date.now() - loaded)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    line.textContent = clockBox.dataset.leftText.replace(
      "%s", (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s));
    clockBox.classList.toggle("m-countdown-low", left <= 60);
    if (left === 0) {
      clearInterval(interval);
      paper.dataset.auto = "1";
      // Let answers in flight land first (a second at most), then hand the paper in.
      var waited = 0;
      (function go() {
        if (pending > 0 && waited < 1000) { waited += 100; setTimeout(go, 100); return; }
        paper.submit();
      })();
    }
  }
  var interval = setInterval(tick, 1000);
  tick();
})();
