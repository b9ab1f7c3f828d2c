// Counts an SMS as the phone will while the coordinator types: characters, SMS per person, and the
// character that makes every SMS UCS-2. The page already says all this as the server counted it;
// this only keeps it current. Rules as in natteravn/sms/segments.py, alphabet from the page.
(function () {
  "use strict";

  function cost(text, basic, extended) {
    var septets = 0;
    for (var ch of text) {
      if (basic.has(ch)) {
        septets += 1;
      } else if (extended.has(ch)) {
        septets += 2;
      } else {
        var units = text.length; // JavaScript strings are UTF-16, as UCS-2 SMS are
        return { characters: units, segments: units <= 70 ? 1 : Math.ceil(units / 67), forcing: ch };
      }
    }
    return { characters: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153), forcing: null };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_match, name) { return values[name]; });
  }

  function code(ch) {
    return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function watch(counter) {
    var field = document.getElementById(counter.dataset.smsCounter);
    if (!field) {
      return;
    }
    var basic = new Set(Array.from(counter.dataset.gsm));
    var extended = new Set(Array.from(counter.dataset.gsmExtended));
    var timer = null;
    function update() {
      var typed = counter.dataset.collapse ? field.value.split(/\s+/).join(" ").trim() : field.value.trim();
      var found = cost((counter.dataset.before + typed).trim(), basic, extended);
      counter.textContent = fill(counter.dataset.count, found);
      if (found.forcing) {
        var warning = document.createElement("strong");
        warning.textContent = " " + fill(counter.dataset.forcing, { character: found.forcing, code: code(found.forcing) });
        counter.appendChild(warning);
      }
    }
    // A pause before the count changes, so that a screen reader is not told of every keystroke.
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 400);
    });
  }

  document.querySelectorAll("[data-sms-counter]").forEach(watch);
})();
