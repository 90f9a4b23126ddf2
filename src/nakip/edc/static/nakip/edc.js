/* NAKIP EDC: live edit checks while a case report form is filled in.
 * On each change the form is sent to its check URL (nothing is saved) and the messages of the
 * fields the user has touched are shown under them; soft findings say a query will open.
 * Without JavaScript the server shows the same messages after "Save". */
(function () {
  "use strict";
  var form = document.querySelector("form.crf[data-check-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-check-url");
  var touched = {};
  var timer = null;
  var seq = 0;

  function block(name) { return document.getElementById("field-" + name); }

  function show(name, errors, warnings) {
    var el = block(name);
    if (!el) { return; }
    el.querySelectorAll(".error, .live-warning").forEach(function (n) { n.remove(); });
    el.classList.toggle("has-error", errors.length > 0);
    errors.forEach(function (text) {
      var p = document.createElement("p");
      p.className = "error live";
      p.setAttribute("role", "alert");
      p.textContent = text;
      el.appendChild(p);
    });
    warnings.forEach(function (text) {
      var p = document.createElement("p");
      p.className = "live-warning";
      p.textContent = text + " (a query will open on save)";
      el.appendChild(p);
    });
  }

  function check() {
    var mine = ++seq;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data || mine !== seq) { return; }
      var soft = {};
      (data.soft || []).forEach(function (s) { (soft[s.field] = soft[s.field] || []).push(s.message); });
      Object.keys(touched).forEach(function (name) {
        show(name, (data.errors || {})[name] || [], soft[name] || []);
      });
    }).catch(function () { /* the server checks again on save */ });
  }

  // Saving makes the check moot: drop a pending one (and ignore one in flight).
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    seq++;
  });

  form.addEventListener("change", function (ev) {
    var name = ev.target && ev.target.name;
    if (!name || name.charAt(0) === "_" || name === "csrfmiddlewaretoken") { return; }
    touched[name] = true;
    clearTimeout(timer);
    timer = setTimeout(check, 150);
  });
})();
