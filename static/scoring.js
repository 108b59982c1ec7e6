// qa_app scoring page: keyboard-first scoring and the "nothing is lost" guard.
// Keys are listed on the page (scoring/_shortcuts.html); saving itself is htmx.
(function () {
  "use strict";
  var dimensions = Array.prototype.slice.call(document.querySelectorAll(".dimension"));
  if (!dimensions.length) return;
  var current = 0;
  var pending = 0;
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

  // Never lose work. Each dimension's latest change is "dirty" until a save of it succeeds;
  // a failed save leaves it marked "Not saved" on the page, and leaving warns while anything
  // is dirty or unsaved. Per dimension, edits counts changes, sentEdits what the save in
  // flight carries and savedEdits what the last successful save carried: a success only
  // clears a dimension nobody changed again meanwhile.
  var edits = {};
  var sentEdits = {};
  var savedEdits = {};
  var failed = {};   // dimension id -> true when Retry can help (the server was not reached)
  var unsavedBar = document.getElementById("unsaved-bar");
  var unsavedText = document.getElementById("unsaved-text");
  var retryButton = document.getElementById("retry-save");

  function dimensionOf(element) {
    var section = element && element.closest ? element.closest(".dimension") : null;
    return section && section.querySelector(".dimension-form") ? section : null;
  }
  function nameOf(section) {
    var heading = section.querySelector("h3");
    return heading ? heading.textContent.replace(/^\s*\d+\.\s*/, "").trim() : section.id;
  }
  function sectionById(id) { return document.getElementById("dim-" + id); }

  function dirty() {
    return Object.keys(edits).some(function (id) { return edits[id] > (savedEdits[id] || 0); });
  }

  function refreshUnsavedBar() {
    var ids = Object.keys(failed);
    if (!unsavedBar) return;
    unsavedBar.hidden = !ids.length;
    if (!ids.length) return;
    var names = ids.map(function (id) { return nameOf(sectionById(id)); });
    unsavedText.textContent = "Not saved: " + names.join(", ") + ". These answers are only on " +
      "this page; leaving it loses them.";
    retryButton.hidden = !ids.some(function (id) { return failed[id]; });
  }

  function markUnsaved(section, retryable, text) {
    var id = section.getAttribute("data-dimension");
    failed[id] = retryable;
    section.classList.add("unsaved");
    var note = section.querySelector(".unsaved-note");
    if (note) {
      // A refused save brings its own explanation (what was refused, what is stored).
      if (text || !note.textContent.trim()) note.textContent = text || "Not saved.";
      note.hidden = false;
    }
    refreshUnsavedBar();
  }

  function markSaved(section) {
    var id = section.getAttribute("data-dimension");
    delete failed[id];
    section.classList.remove("unsaved");
    var note = section.querySelector(".unsaved-note");
    if (note) { note.textContent = ""; note.hidden = true; }
    refreshUnsavedBar();
  }

  // Capture phase: counted before htmx (listening on the form) sends the save.
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var section = dimensionOf(event.target);
      if (!section) return;
      var id = section.getAttribute("data-dimension");
      edits[id] = (edits[id] || 0) + 1;
    }, true);
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var section = dimensionOf(event.target);
    if (!section) return;
    var id = section.getAttribute("data-dimension");
    sentEdits[id] = edits[id] || 0;
    pending += 1;
    if (status) status.textContent = "Saving " + nameOf(section) + "…";
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var section = dimensionOf(event.target);
    if (!section) return;
    var id = section.getAttribute("data-dimension");
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    pending = Math.max(0, pending - 1);
    if (code >= 200 && code < 300) {
      savedEdits[id] = Math.max(savedEdits[id] || 0, sentEdits[id]);
      if (savedEdits[id] >= (edits[id] || 0)) markSaved(section);
      // What a refused submit said ("still to score …") may no longer be true.
      var submitStatus = document.getElementById("submit-status");
      if (submitStatus) submitStatus.replaceChildren();
      return;
    }
    if (!code) {
      if (status) status.textContent = "Not saved: the server could not be reached or did not " +
        "answer. Your answer is still on this page; press Retry.";
      markUnsaved(section, true, "Not saved: the server could not be reached.");
    } else if (code >= 500) {
      if (status) status.textContent = "Not saved: the server had a problem (error " + code +
        "). Your answer is still on this page; press Retry.";
      markUnsaved(section, true, "Not saved: the server had a problem.");
    } else if (code === 409) {
      // The server put the stored answer back in the form and says why beside it.
      markUnsaved(section, false, null);
    } else if (status && status.querySelector("[data-session-expired]")) {
      markUnsaved(section, false, "Not saved: your session has expired.");
    } else {
      markUnsaved(section, false, "Not saved: see the message above.");
    }
  });

  if (retryButton) {
    retryButton.addEventListener("click", function () {
      Object.keys(failed).forEach(function (id) {
        if (!failed[id]) return;
        var form = sectionById(id).querySelector(".dimension-form");
        if (form) htmx.trigger(form, "change");
      });
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (pending || dirty() || Object.keys(failed).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function showSubmitProblem(text) {
    var box = document.getElementById("submit-status");
    if (!box) return;
    var message = document.createElement("p");
    message.className = "flash flash-error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    box.replaceChildren(message);
  }

  // Submitting would send the server's answers, not an unsaved one shown on the page: refuse
  // until every answer is saved. (Saves still in flight go first: the submit queues behind.)
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.target || event.target.id !== "submit-form") return;
    var ids = Object.keys(failed);
    if (!ids.length) return;
    event.preventDefault();
    showSubmitProblem("Not submitted: " + ids.map(function (id) {
      return nameOf(sectionById(id));
    }).join(", ") + " not saved yet. Retry (or reload the page) first.");
  });

  // A submit that never reached the server must say so as plainly as a refused one.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.target || event.target.id !== "submit-form") return;
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    if (code && code < 500) return;  // 2xx redirects; 4xx answers arrive with their message
    showSubmitProblem(code
      ? "Not submitted: the server had a problem (error " + code + "). Try again."
      : "Not submitted: the server could not be reached or did not answer. Try again.");
  });

  // A refused submit names the dimensions still to score: take the person to the first.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "submit-status") {
      var message = event.detail.target.querySelector("[data-missing]");
      if (!message) return;
      var first = message.getAttribute("data-missing").split(" ")[0];
      var index = dimensions.indexOf(sectionById(first));
      if (index >= 0) focusDimension(index, true);
    }
    highlightEvidence();
  });

  focusDimension(0, false);
})();
