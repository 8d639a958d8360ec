/* Regulatory clocks keep counting on the page: every element with data-due (ISO UTC) gets its
   "… left" / "… late" text and its badge refreshed each 30 s. The words come from the page
   (#countdown-words, JSON in its data-words attribute, in the reader's language); without this script the server's text stays. */
(function () {
  "use strict";
  var holder = document.getElementById("countdown-words");
  if (!holder) { return; }
  var words;
  try { words = JSON.parse(holder.getAttribute("data-words")); } catch (e) { return; }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  function span(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    if (d) { return fill(words.dh, {d: d, h: h}); }
    if (h) { return fill(words.hm, {h: h, m: m}); }
    if (m) { return fill(words.m, {m: m}); }
    return words.lt;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = (due - now) / 1000;
      var text = el.querySelector(".countdown-text");
      if (text) { text.textContent = fill(left > 0 ? words.left : words.late, {span: span(left)}); }
      var soon = Date.parse(el.getAttribute("data-soon") || "");
      var state = left <= 0 ? "overdue" : (!isNaN(soon) && now >= soon ? "soon" : "running");
      el.setAttribute("data-state", state);
      var badge = el.querySelector(".countdown-badge");
      if (badge) {
        badge.classList.remove("text-bg-danger", "text-bg-warning", "text-bg-secondary");
        badge.classList.add(state === "overdue" ? "text-bg-danger" : state === "soon" ? "text-bg-warning" : "text-bg-secondary");
        badge.textContent = state === "overdue" ? words.overdue : state === "soon" ? words.soon : badge.getAttribute("data-running");
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
}());
