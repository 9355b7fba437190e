// The export's progress page: ask for the progress every two seconds and move the bar;
// reload once the file is ready (or the job failed). Without script the page's own
// meta refresh does the same, more slowly.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status]");
  if (!box || box.getAttribute("data-finished") === "yes") { return; }
  var url = box.getAttribute("data-export-status");
  var bar = document.getElementById("export-progress");
  var count = document.getElementById("export-count");
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        if (status.finished) { window.location.reload(); return; }
        if (bar) { bar.value = status.percent; bar.textContent = status.percent + " %"; }
        if (count && status.text) { count.textContent = status.text; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
