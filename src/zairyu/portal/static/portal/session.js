// ID-18: warn five minutes before an idle session ends; "stay signed in" renews it.
// Progressive enhancement only: without JavaScript the session simply ends after 30 minutes,
// and drafts are saved on every step, so nothing typed is lost either way.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-session-seconds"), 10);
  var box = document.getElementById("session-warning");
  if (!seconds || !box) { return; }
  var warnAfter = Math.max(seconds - 300, 30) * 1000;
  var timer;
  function arm() {
    clearTimeout(timer);
    box.hidden = true;
    timer = setTimeout(function () { box.hidden = false; box.focus(); }, warnAfter);
  }
  box.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { if (response.ok) { arm(); } });
  });
  arm();
})();
