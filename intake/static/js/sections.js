/* Long pages (City Snapshot, factsheet) on a phone: each dimension folds to its heading so
   the page reads as a table of contents. The HTML has every section open, so without this
   file (or on a wide screen) everything shows; a link to a section opens it. */
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 40rem)").matches) { return; }
  var sections = document.querySelectorAll("details.dimension-details");

  function openFor(hash) {
    var target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    var details = target && (target.matches("details") ? target : target.querySelector(
      "details.dimension-details") || target.closest("details.dimension-details"));
    if (details) { details.open = true; }
    return target;
  }

  Array.prototype.forEach.call(sections, function (details) { details.open = false; });
  openFor(window.location.hash);
  window.addEventListener("hashchange", function () {
    var target = openFor(window.location.hash);
    if (target) { target.scrollIntoView(); }
  });
})();
