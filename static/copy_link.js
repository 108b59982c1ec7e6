// qa_app: "Copy link" buttons for panel invite links (calibration/session.html).
// The buttons are hidden until this script runs, so a page without scripts shows only the
// links themselves, which can still be selected and copied by hand.
(function () {
  "use strict";
  function say(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) status.textContent = text;
  }
  function fallback(text) {
    // Clipboard API unavailable (plain http on another host): copy through a selection.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.querySelectorAll("button.copy-link[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () { say(button, "Copied."); };
      var failed = function () {
        say(button, fallback(text) ? "Copied." : "Could not copy: select the link and copy it.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, failed);
      } else {
        failed();
      }
    });
  });
})();
