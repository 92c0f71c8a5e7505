// The article page (mobile/learning/article.html): a countdown from the server's
// seconds_left, and `reached_end` set once the end of the article has been scrolled into
// view. The server decides whether the reading counts; this only tells the member when.
(function () {
  "use strict";
  var form = document.getElementById("finish-reading");
  if (!form) return;
  var left = parseInt(form.dataset.secondsLeft || "0", 10);
  var line = form.querySelector("[data-countdown]");
  var button = form.querySelector("button[type=submit]");
  var ended = false;
  function show() {
    if (left > 0 && !(ended && form.dataset.short === "1")) {
      line.textContent = form.dataset.waitText.replace("%s", left);
      button.disabled = true;
    } else {
      line.textContent = form.dataset.readyText;
      button.disabled = false;
    }
  }
  var end = document.getElementById("article-end");
  if (end && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        ended = true;
        form.querySelector("input[name=reached_end]").value = "1";
        show();
      }
    }).observe(end);
  }
  show();
  var timer = setInterval(function () {
    left -= 1;
    if (left <= 0) clearInterval(timer);
    show();
  }, 1000);
})();
