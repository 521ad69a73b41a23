// Live view of a running send: poll the progress endpoint and update the numbers.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.dataset.live !== "true") { return; }
  var polls = 0;
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = value; }
  }
  function tick() {
    polls += 1;
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        ["status_text", "percent", "total", "rate_per_minute"].forEach(function (k) { set(k, p[k]); });
        Object.keys(p.counts).forEach(function (k) {
          var dd = box.querySelector('[data-count="' + k + '"]');
          if (dd) { dd.textContent = p.counts[k]; }
        });
        var bar = box.querySelector("progress");
        if (bar) { bar.value = p.percent; }
        // Stopped (finished, cancelled): the page shows a summary instead of live numbers.
        if (!p.live) { window.location.reload(); return; }
        set("updated", "Updated " + new Date().toLocaleTimeString());
        if (p.live && polls < 1800) { window.setTimeout(tick, 2000); }
      })
      .catch(function () { if (polls < 1800) { window.setTimeout(tick, 5000); } });
  }
  window.setTimeout(tick, 1000);
})();
