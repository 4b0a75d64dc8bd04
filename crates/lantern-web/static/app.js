// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary when a form comes back with problems.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    var fields = document.querySelectorAll("textarea[data-language-check], input[data-language-check]");
    for (var i = 0; i < fields.length; i++) { languageAssistant(fields[i]); }
  });

  function csrfToken(el) {
    var form = el.form || document.querySelector("form");
    var input = form && form.querySelector("input[name=csrf]");
    return input ? input.value : "";
  }

  // Words come from the page (the message catalogue): the field first, then the body.
  function label(field, key, fallback) {
    return field.dataset[key] || document.body.dataset[key] || fallback;
  }

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    if (content) { el.textContent = content; }
    if (cls) { el.className = cls; }
    return el;
  }

  // Suggests recovery-oriented wording as the person types. Suggestions never
  // block saving; each one can be applied or dismissed with the keyboard.
  function languageAssistant(field) {
    var box = text("div", "", "lang-assist");
    box.id = field.id + "-lang";
    box.setAttribute("aria-live", "polite");
    field.parentNode.insertBefore(box, field.nextSibling);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + box.id);
    var timer = null;
    var dismissed = {};
    var seq = 0;

    function check() {
      var mine = ++seq;
      var body = JSON.stringify({ text: field.value });
      fetch("/api/v1/language/check", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(field) },
        body: body
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (report) { if (report && mine === seq) { render(report); } })
        .catch(function () { /* offline or signed out: no suggestions, saving still works */ });
    }

    function render(report) {
      box.textContent = "";
      var flags = report.flags.filter(function (f) { return !dismissed[f.rule + ":" + f.text]; });
      if (report.distress && report.distress.flagged) {
        var alert = text("div", "", "lang-distress");
        alert.appendChild(text("strong", label(field, "distressTitle", "This text mentions signs of risk.")));
        alert.appendChild(text("p", label(field, "distressHelp", "Follow your crisis protocol. Call or text 988 (Suicide & Crisis Lifeline); call 911 if someone is in immediate danger.")));
        box.appendChild(alert);
      }
      if (!flags.length) { return; }
      box.appendChild(text("p", label(field, "languageTitle", "Wording suggestions"), "lang-title"));
      var list = text("ul", "", "lang-list");
      flags.forEach(function (f) {
        var li = text("li");
        li.appendChild(text("span", "\u201c" + f.text + "\u201d: " + f.reason + " "));
        (f.suggestions || []).slice(0, 2).forEach(function (s) {
          if (s.indexOf("[") !== -1) { return; }
          var b = text("button", label(field, "useLabel", "Use") + " \u201c" + s + "\u201d", "secondary small");
          b.type = "button";
          b.addEventListener("click", function () {
            var v = field.value;
            if (v.substring(f.start_utf16, f.end_utf16) === f.text) {
              field.value = v.substring(0, f.start_utf16) + s + v.substring(f.end_utf16);
              field.focus();
              check();
            }
          });
          li.appendChild(b);
        });
        var reasons = label(field, "dismissReasons", "The person's own words|A name or title|Needed in this context|Other").split("|");
        var pick = document.createElement("select");
        pick.className = "small";
        pick.setAttribute("aria-label", label(field, "dismissReasonLabel", "Why not") + ": \u201c" + f.text + "\u201d");
        reasons.forEach(function (r) { var o = document.createElement("option"); o.textContent = r; o.value = r; pick.appendChild(o); });
        li.appendChild(pick);
        var d = text("button", label(field, "dismissLabel", "Not now"), "link small");
        d.type = "button";
        d.addEventListener("click", function () {
          dismissed[f.rule + ":" + f.text] = true;
          fetch("/api/v1/language/dismissals", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(field) },
            body: JSON.stringify({ rule: f.rule, text: f.text, reason: pick.value })
          }).catch(function () {});
          field.focus();
          render(report);
        });
        li.appendChild(d);
        list.appendChild(li);
      });
      box.appendChild(list);
    }

    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
    if (field.value) { check(); }
  }
})();
// Print buttons (recovery plan): no inline script is allowed.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-print]");
  if (b) { window.print(); }
});
