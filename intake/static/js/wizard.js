/* Wizard niceties; every page works without this file.
   - shows the KPI value live while figures are typed (asks the server, which computes it
     exactly as it will on save; nothing is saved by these requests);
   - greys out a figure marked "not available" (readonly, so the typed text is still sent). */
(function () {
  "use strict";
  // After a failed save the error summary has autofocus; browsers that ignore it on a
  // non-control (or that restored the scroll position) still get the focus moved there.
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) { summary.focus(); }
  if (summary) {
    // A link in the summary puts the cursor in the field, not only scrolls to it.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      target.focus();
      target.scrollIntoView({ block: "center" });
    });
  }
  var form = document.querySelector("form.wizard-form");
  if (!form) { return; }
  var previewUrl = form.getAttribute("data-preview-url");
  var timer = null;
  var inFlight = null;

  function query() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf("dp_") !== 0) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      params.append(el.name, el.value);
    });
    return params.toString();
  }

  function show(result) {
    Object.keys(result).forEach(function (code) {
      var box = form.querySelector('[data-computed-for="' + CSS.escape(code) + '"]');
      if (!box) { return; }
      result[code].forEach(function (item) {
        var row = box.querySelector('[data-item="' + CSS.escape(item.id) + '"] .computed-value');
        if (row) { row.textContent = item.value; }
      });
    });
  }

  function refresh() {
    if (!previewUrl) { return; }
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    fetch(previewUrl + "?" + query(), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: inFlight.signal
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (result) {
      if (result) { show(result); }
    }).catch(function () { /* offline or aborted: the value is computed on save anyway */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  }

  function syncNotAvailable(box) {
    var field = box.closest(".field");
    if (!field) { return; }
    field.querySelectorAll(".value-input").forEach(function (input) {
      input.readOnly = box.checked;
      input.classList.toggle("is-na", box.checked);
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.name && event.target.name.indexOf("dp_") === 0) { schedule(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("na-toggle")) { syncNotAvailable(event.target); }
    if (event.target.name && event.target.name.indexOf("dp_") === 0) { schedule(); }
  });
  form.querySelectorAll(".na-toggle").forEach(syncNotAvailable);

  // "Save draft" without leaving the page: one request instead of post, redirect and page.
  // Files to upload, a conflict or any failure fall back to the ordinary post.
  function hasFiles() {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (el) {
      return el.files && el.files.length > 0;
    });
  }

  function announce(text) {
    var status = document.getElementById("save-status");
    if (!status) {
      status = document.createElement("p");
      status.id = "save-status";
      status.className = "flash flash-success";
      status.setAttribute("role", "status");
      var buttons = form.querySelector(".wizard-buttons");
      buttons.parentNode.insertBefore(status, buttons);
    }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  var saving = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.value !== "save" || !window.fetch || !window.FormData || hasFiles()) {
      return;
    }
    event.preventDefault();
    if (saving) { return; }
    saving = true;
    var data = new FormData(form);
    data.append("action", "save");
    fetch(form.getAttribute("action"), { // form.action is the buttons named "action"
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (result) {
      form.querySelector("input[name=version]").value = result.version;
      if (result.findings) {
        window.location.reload(); // the page shows what to look at again
        return;
      }
      saving = false;
      announce(result.message);
    }).catch(function () {
      saving = false;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "action";
      hidden.value = "save";
      form.appendChild(hidden);
      HTMLFormElement.prototype.submit.call(form);
    });
  });
})();
