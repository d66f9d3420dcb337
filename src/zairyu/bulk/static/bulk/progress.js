/* Bulk filing job page: refresh the <progress> bar from the job's status.json until the job
   is finished, then reload the page to show the results. Without JavaScript the page reloads
   itself (<noscript> refresh) and has a reload link. */
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || box.getAttribute("data-final") === "true") { return; }
  var bar = document.getElementById("bulk-progress");
  var url = box.getAttribute("data-status-url");
  var reload = box.querySelector("[data-bulk-reload]");
  if (reload) { reload.parentNode.hidden = true; }
  function set(selector, value) {
    var element = document.querySelector(selector);
    if (element) { element.textContent = String(value); }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        bar.value = status.percent;
        bar.textContent = status.percent + "%";
        set("[data-bulk-processed]", status.processed);
        set("[data-bulk-total]", status.total);
        set("[data-bulk-accepted]", status.accepted);
        set("[data-bulk-errors]", status.errors);
        set("[data-bulk-state]", status.state_label);
        if (status.final) {
          box.setAttribute("data-final", "true");
          window.setTimeout(function () { window.location.reload(); }, 800);
        } else {
          window.setTimeout(poll, 700);
        }
      })
      .catch(function () {
        if (reload) { reload.parentNode.hidden = false; }
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 300);
}());
