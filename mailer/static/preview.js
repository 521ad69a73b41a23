// Live preview of an announcement: as the author types, post the form to the
// preview frame (the server renders the real email; CSRF token included).
(function () {
  "use strict";
  var form = document.getElementById("announcement-form");
  var button = document.getElementById("preview-button");
  var status = document.getElementById("preview-status");
  if (!form || !button || typeof form.requestSubmit !== "function") { return; }
  var timer = null;
  function refresh() {
    timer = null;
    form.requestSubmit(button);
    if (status) { status.textContent = "Preview updated."; }
  }
  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 600);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  button.hidden = true;  // the preview follows the typing; the button is for no-script
  if (form.querySelector("textarea").value.trim()) { refresh(); }
})();
