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

// A box that scrolls (a wide table, a long transcript) can be scrolled from the keyboard: it
// takes focus (WCAG 2.1.1) when, and only when, its content is larger than the box.
(function () {
  "use strict";
  function scrolls(element) {
    var style = getComputedStyle(element);
    var sideways = /(auto|scroll)/.test(style.overflowX) && element.scrollWidth > element.clientWidth;
    var down = /(auto|scroll)/.test(style.overflowY) && element.scrollHeight > element.clientHeight;
    return sideways || down;
  }
  function reachable() {
    document.querySelectorAll("main div, main section, main pre, main ol").forEach(function (box) {
      if (box.hasAttribute("tabindex") || !scrolls(box)) return;
      box.setAttribute("tabindex", "0");
      box.classList.add("scroll-box");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reachable);
  else reachable();
  window.addEventListener("resize", reachable);
  document.addEventListener("htmx:afterSettle", reachable);
})();
