// streetsync console: a few conveniences on top of pages that work without script.
(function () {
  "use strict";
  // Ask before destructive actions (buttons with data-confirm).
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });
  // "Select all" boxes tick every box of the named group in the same form.
  document.addEventListener("change", function (ev) {
    var all = ev.target.closest("[data-check-all]");
    if (!all) return;
    var name = all.getAttribute("data-check-all");
    all.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
