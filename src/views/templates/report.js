// The group filter: every word must match the group's functions, labels or state
// (case-insensitive substrings); `func:`, `label:` or `state:` before a word narrows it to
// one of them. It hides the groups of the table and of the leak section alike, each list
// with its own count. Data are read from data-* attributes and written with textContent
// only.
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  if (!input || !count) {
    return;
  }
  function list(selector, counter, noun) {
    var groups = Array.prototype.slice.call(document.querySelectorAll(selector));
    return {
      counter: counter,
      noun: noun,
      fields: groups.map(function (el) {
        return {
          el: el,
          func: (el.dataset.funcs || "").toLowerCase(),
          label: (el.dataset.labels || "").toLowerCase(),
          state: (el.dataset.state || "").toLowerCase()
        };
      })
    };
  }
  var lists = [list("#groups > .group", count, " groups")];
  var leakCount = document.getElementById("leak-filter-count");
  if (leakCount) {
    lists.push(list("#leak-groups > .group", leakCount, " leaked groups shown"));
  }
  function matches(f, word) {
    var i = word.indexOf(":");
    var kind = i > 0 ? word.slice(0, i) : "";
    if (kind === "func" || kind === "label" || kind === "state") {
      return f[kind].indexOf(word.slice(i + 1)) >= 0;
    }
    return f.func.indexOf(word) >= 0 || f.label.indexOf(word) >= 0 || f.state.indexOf(word) >= 0;
  }
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    lists.forEach(function (l) {
      var shown = 0;
      l.fields.forEach(function (f) {
        var ok = words.every(function (w) { return matches(f, w); });
        f.el.hidden = !ok;
        if (ok) {
          shown += 1;
        }
      });
      l.counter.textContent = words.length ? shown + " of " + l.fields.length + l.noun : "";
    });
  }
  input.addEventListener("input", apply);
  apply();
})();
