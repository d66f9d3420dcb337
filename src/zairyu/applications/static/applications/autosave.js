/* save a draft step as the user types (progressive enhancement; the step's "Save draft"
   button does the same without JavaScript). After a pause the form's fields (not files) are
   POSTed to the draft-save endpoint; the status line says when it was saved. Also fills the
   municipality pull-down when the prefecture changes (REF-3). No inline script (CSP). */
(function () {
  "use strict";
  var PAUSE_MS = 1500;

  function fieldsOf(form) {
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      data.append(el.name, el.value);
    });
    return data;
  }

  function setUp(form) {
    var url = form.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var running = false;
    var again = false;

    function save() {
      if (running) { again = true; return; }
      running = true;
      var body = fieldsOf(form);
      var token = body.get("csrfmiddlewaretoken") || "";
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (status && json.message) status.textContent = json.message;
          form.setAttribute("data-autosave-state", response.ok ? "saved" : "error");
        });
      }).catch(function () {
        form.setAttribute("data-autosave-state", "offline");
      }).then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
    }

    function schedule() {
      if (timer) clearTimeout(timer);
      form.setAttribute("data-autosave-state", "pending");
      timer = setTimeout(save, PAUSE_MS);
    }

    form.addEventListener("input", function (event) {
      if (event.target.type !== "file") schedule();
    });
    form.addEventListener("change", function (event) {
      if (event.target.type !== "file") schedule();
    });
  }

  function municipalities(form) {
    var prefecture = form.querySelector("select[name=prefecture]");
    var municipality = form.querySelector("select[name=municipality]");
    if (!prefecture || !municipality) return;
    var refresh = form.querySelector("[data-municipality-refresh]");
    if (refresh) refresh.parentNode.hidden = true;
    prefecture.addEventListener("change", function () {
      if (!prefecture.value) return;
      fetch("/reference/municipalities/?prefecture=" + encodeURIComponent(prefecture.value), {
        credentials: "same-origin"
      }).then(function (r) { return r.json(); }).then(function (json) {
        var first = municipality.options[0];
        municipality.innerHTML = "";
        if (first) { first.value = ""; municipality.appendChild(first); }
        (json.municipalities || []).forEach(function (m) {
          var option = document.createElement("option");
          option.value = m.code;
          option.textContent = m.name_ja;
          municipality.appendChild(option);
        });
      }).catch(function () { if (refresh) refresh.parentNode.hidden = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave-url]"), function (form) {
      setUp(form);
      municipalities(form);
    });
  });
})();
