// Asks before the leader leaves a form with typed text that no button has saved yet (a link in the
// menu, a reload, closing the tab). Only an extra: without JavaScript every button on the page saves
// everything, and the way to the logbook is one of them. The browser words the question itself.
(function () {
  "use strict";

  function watch(form) {
    var unsaved = form.hasAttribute("data-unsaved");
    form.addEventListener("input", function () { unsaved = true; });
    form.addEventListener("change", function () { unsaved = true; });
    // Any button of the form (also one outside it, by its form attribute) saves: leaving is fine then.
    form.addEventListener("submit", function () { unsaved = false; });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  document.querySelectorAll("form[data-leave-warning]").forEach(watch);
})();
