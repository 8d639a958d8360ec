// The manager dashboard's charts, drawn with the vendored Chart.js from the JSON data island
// (#dashboard-data) the server wrote, labels already translated. An external file: the CSP
// allows no inline script. The table beside each chart holds the same figures (and is what a
// screen reader reads); before printing, every chart is redrawn at the printed width.
(function () {
  var island = document.getElementById("dashboard-data");
  if (!island || typeof Chart === "undefined") { return; }
  var data = JSON.parse(island.textContent);
  var palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#6c757d"];
  var named = {ordinary: "#0d6efd", serious: "#dc3545", valid: "#198754", expiring: "#ffc107",
               expired: "#dc3545", missing: "#adb5bd", other: "#ced4da"};
  var number = new Intl.NumberFormat(data.locale === "vi" ? "vi-VN" : "en-GB", {maximumFractionDigits: 1});
  function colour(key) {
    if (typeof key === "number") { return palette[key % palette.length]; }
    return named[key] || palette[palette.length - 1];
  }
  var charts = [];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = data.charts[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var horizontal = !!spec.horizontal;
    var valueAxis = {stacked: !!spec.stacked, beginAtZero: true,
                     // counts (no unit) get whole ticks only; hours keep their decimals
                     ticks: {precision: spec.unit ? undefined : 0, callback: function (v) { return number.format(v); }},
                     title: {display: !!spec.unit, text: spec.unit || ""}};
    // long agency and category names are shortened on the axis (the table and tooltip keep them whole)
    var labelAxis = {stacked: !!spec.stacked, ticks: {autoSkip: !horizontal, callback: function (value) {
      var text = String(this.getLabelForValue(value));
      return text.length > 32 ? text.slice(0, 31) + "…" : text;
    }}};
    var chart = new Chart(canvas, {
      type: spec.type || "bar",
      data: {labels: spec.labels, datasets: spec.datasets.map(function (d) {
        return {label: d.label, data: d.data, backgroundColor: colour(d.color), borderColor: colour(d.color)};
      })},
      options: {
        indexAxis: horizontal ? "y" : "x", responsive: true, maintainAspectRatio: false, animation: false,
        scales: horizontal ? {x: valueAxis, y: labelAxis} : {x: labelAxis, y: valueAxis},
        plugins: {legend: {position: "bottom"},
                  tooltip: {callbacks: {label: function (item) {
                    var v = item.raw === null ? "—" : number.format(item.raw);
                    return item.dataset.label + ": " + v + (spec.unit ? " " + spec.unit : "");
                  }}}}
      }
    });
    charts.push(chart);
  });
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
