// qa_app: page-wide keyboard shortcuts. An element with data-shortcut="n" is clicked when
// that key is pressed, unless the person is typing in a field.
(function () {
  "use strict";
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) && !(event.target.type === "radio")) return;
    var target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (target) {
      event.preventDefault();
      target.click();
    }
  });
})();
