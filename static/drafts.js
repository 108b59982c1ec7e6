// qa_app: what is typed into a form is never lost to an expired session or a refused post.
// Each plain POST form (not htmx, not marked data-no-draft) is copied into this tab's
// sessionStorage when it is sent. When the server accepts the post, that copy is dropped; any other copy is put back into the same
// form the next time it is on the page (after logging in again, say), with a note saying so.
// The server names the saved form in a short-lived cookie (qa_app_saved_form), set on any
// accepted post, whether it answers with a redirect or with a page.
(function () {
  "use strict";
  var PREFIX = "qa_app.draft:";
  var KEPT_MS = 24 * 60 * 60 * 1000;
  var SENT = "qa_app.sent:";
  var SENT_KEPT_MS = 60 * 60 * 1000;
  // form_token marks one filling-in of a form that creates something: the server makes one
  // object per token. It is not part of which form this is.
  var SKIPPED = { csrf_token: true, form_token: true };

  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }
  var store = storage();
  if (!store) return;

  function drafted(form) {
    return form.method === "post" && !form.hasAttribute("hx-post") &&
      !form.hasAttribute("data-no-draft");
  }
  function pathOf(form) {
    return new URL(form.action, window.location.href).pathname;
  }
  function kept(field) {
    return field.name && !SKIPPED[field.name] && field.type !== "password" &&
      field.type !== "file" && field.type !== "submit" && field.type !== "button";
  }
  // Several forms may post to one address (one per outreach alert): hidden fields say which.
  function identity(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return kept(field) && field.type === "hidden";
    }).map(function (field) { return field.name + "=" + field.value; }).join("&");
  }
  function keyOf(form) { return PREFIX + pathOf(form) + "?" + identity(form); }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!drafted(form)) return;
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field) || field.type === "hidden") return;
      if (field.type === "checkbox" || field.type === "radio") {
        fields.push([field.name, field.value, field.checked]);
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          fields.push([field.name, option.value, option.selected]);
        });
      } else {
        fields.push([field.name, field.value, null]);
      }
    });
    try {
      store.setItem(keyOf(form), JSON.stringify({ at: Date.now(), fields: fields }));
      reuseToken(form, JSON.stringify(fields));
    } catch (error) { /* storage full or refused: the post goes on regardless */ }
  }, true);

  // Back (or a reload) shows a creating form again with a new form_token and the browser puts
  // the old answers back: sent unchanged, it would make a second object. The same answers
  // within the hour go with the token they were first sent with, so the server shows the
  // object they made instead.
  function reuseToken(form, content) {
    var token = form.elements.namedItem("form_token");
    if (!token || !token.value) return;
    // A chosen file is not part of the copy: the same other fields with another file are a
    // new sending, never the earlier one.
    var files = form.querySelectorAll('input[type="file"]');
    for (var i = 0; i < files.length; i++) {
      if (files[i].files && files[i].files.length) return;
    }
    var key = SENT + keyOf(form).slice(PREFIX.length);
    var earlier = null;
    try { earlier = JSON.parse(store.getItem(key)); } catch (error) { earlier = null; }
    if (earlier && earlier.content === content && Date.now() - earlier.at < SENT_KEPT_MS) {
      token.value = earlier.token;
      return;
    }
    store.setItem(key, JSON.stringify({ at: Date.now(), content: content, token: token.value }));
  }

  function forget(path) {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX + path + "?") === 0) store.removeItem(key);
    }
  }

  function restore(form, draft) {
    var changed = false;
    var byName = {};
    draft.fields.forEach(function (entry) {
      (byName[entry[0]] = byName[entry[0]] || []).push(entry);
    });
    Array.prototype.forEach.call(form.elements, function (field) {
      var entries = byName[field.name];
      if (!entries || !kept(field) || field.type === "hidden") return;
      if (field.type === "checkbox" || field.type === "radio") {
        entries.forEach(function (entry) {
          if (entry[1] === field.value && field.checked !== entry[2]) {
            field.checked = entry[2];
            changed = true;
          }
        });
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          entries.forEach(function (entry) {
            if (entry[1] === option.value && option.selected !== entry[2]) {
              option.selected = entry[2];
              changed = true;
            }
          });
        });
      } else if (field.value !== entries[0][1]) {
        field.value = entries[0][1];
        changed = true;
      }
    });
    if (!changed) return;
    var note = document.createElement("p");
    note.className = "flash flash-info draft-restored";
    note.setAttribute("role", "status");
    note.textContent = "What you typed before is back in this form. It has not been saved " +
      "yet: check it and send it again.";
    form.insertBefore(note, form.firstChild);
  }

  var SAVED_COOKIE = "qa_app_saved_form=";
  document.cookie.split("; ").forEach(function (cookie) {
    if (cookie.indexOf(SAVED_COOKIE) !== 0) return;
    forget(decodeURIComponent(cookie.slice(SAVED_COOKIE.length)));
    document.cookie = SAVED_COOKIE + "; Max-Age=0; Path=/; SameSite=Strict";
  });
  for (var i = store.length - 1; i >= 0; i--) {
    var key = store.key(i);
    if (!key || (key.indexOf(PREFIX) !== 0 && key.indexOf(SENT) !== 0)) continue;
    try {
      if (Date.now() - JSON.parse(store.getItem(key)).at > KEPT_MS) store.removeItem(key);
    } catch (error) { store.removeItem(key); }
  }
  Array.prototype.forEach.call(document.forms, function (form) {
    if (!drafted(form)) return;
    var text = store.getItem(keyOf(form));
    if (!text) return;
    try { restore(form, JSON.parse(text)); } catch (error) { store.removeItem(keyOf(form)); }
  });
})();
