// The check-in poster on a phone (mobile/month/poster.html): "分享海报" hands the poster
// image to the phone's share sheet (WeChat, messages) where the browser can share files;
// elsewhere the button stays hidden and the download links do the work.
(function () {
  var button = document.querySelector("[data-share-poster]");
  if (!button || !navigator.share || !navigator.canShare || !window.File) return;
  var status = document.getElementById("share-status");
  var probe = new File([""], "probe.png", { type: "image/png" });
  if (!navigator.canShare({ files: [probe] })) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(button.getAttribute("data-file"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.blob();
      })
      .then(function (blob) {
        var file = new File([blob], button.getAttribute("data-name"), { type: "image/png" });
        return navigator.share({ files: [file], title: button.getAttribute("data-title") });
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        if (status) status.textContent = button.getAttribute("data-msg-failed");
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
