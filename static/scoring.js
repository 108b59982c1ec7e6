// qa_app scoring page: keyboard-first scoring and the "nothing is lost" guard.
// Keys are listed on the page (scoring/_shortcuts.html); saving itself is htmx.
(function () {
  "use strict";
  var dimensions = Array.prototype.slice.call(document.querySelectorAll(".dimension"));
  if (!dimensions.length) return;
  var current = 0;
  var pending = 0;
  var unsaved = false;
  var status = document.getElementById("save-status");

  function focusDimension(index, scroll) {
    current = Math.max(0, Math.min(dimensions.length - 1, index));
    dimensions.forEach(function (d, i) { d.classList.toggle("focused", i === current); });
    var checked = dimensions[current].querySelector("input[type=radio]:checked");
    (checked || dimensions[current]).focus({ preventScroll: !scroll });
    if (scroll) dimensions[current].scrollIntoView({ block: "nearest" });
  }

  function choose(value) {
    var radio = dimensions[current].querySelector('input[type=radio][value="' + value + '"]');
    if (!radio) {
      if (status) status.textContent = (value === "na" ? "N/A is" : value + " is") +
        " not an answer for this dimension.";
      return;
    }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    radio.focus();
  }

  function fieldOf(selector) {
    var field = dimensions[current].querySelector(selector);
    if (field) field.focus();
  }

  dimensions.forEach(function (dimension, index) {
    dimension.addEventListener("focusin", function () {
      current = index;
      dimensions.forEach(function (d, i) { d.classList.toggle("focused", i === current); });
    });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var inText = target.matches("textarea, input[type=text], input[type=password], select");
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var form = document.getElementById("submit-form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (inText) {
      if (event.key === "Escape") { event.preventDefault(); target.blur(); focusDimension(current, false); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (/^[0-9]$/.test(key)) choose(key);
    else if (key === "n" || key === "N") choose("na");
    else if (key === "ArrowDown" || key === "j") focusDimension(current + 1, true);
    else if (key === "ArrowUp" || key === "k") focusDimension(current - 1, true);
    else if (key === "t") fieldOf("textarea");
    else if (key === "e") fieldOf(".evidence-input");
    else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);

  // Clicking a transcript turn adds it to (or removes it from) the focused dimension's evidence.
  document.querySelectorAll(".turn").forEach(function (turn) {
    turn.addEventListener("click", function () {
      var input = dimensions[current].querySelector(".evidence-input");
      if (!input) return;
      var number = turn.getAttribute("data-turn");
      var values = input.value.split(/[\s,;]+/).filter(Boolean);
      var at = values.indexOf(number);
      if (at >= 0) values.splice(at, 1); else values.push(number);
      values.sort(function (a, b) { return a - b; });
      input.value = values.join(", ");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      highlightEvidence();
    });
  });

  function highlightEvidence() {
    var marked = {};
    dimensions.forEach(function (d) {
      var input = d.querySelector(".evidence-input");
      if (!input) return;
      input.value.split(/[\s,;]+/).filter(Boolean).forEach(function (n) { marked[n] = true; });
    });
    document.querySelectorAll(".turn").forEach(function (turn) {
      turn.classList.toggle("evidence", !!marked[turn.getAttribute("data-turn")]);
    });
  }
  highlightEvidence();
  document.addEventListener("input", function (event) {
    if (event.target.classList.contains("evidence-input")) highlightEvidence();
  });

  // Never lose work: say when a save is in flight or failed, and warn before leaving.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.target.closest || !event.target.closest(".dimension-form")) return;
    pending += 1;
    if (status) status.textContent = "Saving…";
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.target.closest || !event.target.closest(".dimension-form")) return;
    pending = Math.max(0, pending - 1);
    unsaved = !event.detail.successful;
    if (event.detail.failed && !event.detail.xhr.status && status) {
      status.textContent = "Not saved: the server cannot be reached. Your answer stays on this " +
        "page; it is saved again when you change anything.";
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending || unsaved) { event.preventDefault(); event.returnValue = ""; }
  });

  focusDimension(0, false);
})();
