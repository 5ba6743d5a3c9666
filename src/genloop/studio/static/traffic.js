// A deployment's traffic per variant, drawn with the vendored uPlot from the JSON the page embeds.
(function () {
  "use strict";
  var CHARTS = [
    ["requests", "Requests"], ["error_rate", "Error rate"], ["p50_ms", "Latency p50 (ms)"],
    ["p95_ms", "Latency p95 (ms)"], ["p99_ms", "Latency p99 (ms)"], ["tokens", "Tokens"],
    ["cost_usd", "Cost (USD)"], ["feedback", "Feedback score"]
  ];
  var COLORS = ["#2f6feb", "#1a7f37", "#cf222e", "#9a6700", "#8250df", "#0969da"];
  function draw() {
    var data = document.getElementById("traffic-data");
    var box = document.getElementById("traffic-charts");
    if (!data || !box || !window.uPlot || box.getAttribute("data-drawn")) return;
    box.setAttribute("data-drawn", "1");
    var series = JSON.parse(data.textContent);
    var xs = series.buckets.map(function (b) { return Date.parse(b) / 1000; });
    var dark = window.GenLoop && window.GenLoop.isDark();
    var ink = dark ? "#98a1ae" : "#5b6270";
    var grid = dark ? "#2d333d" : "#e5e8ec";
    CHARTS.forEach(function (chart) {
      var wrap = document.createElement("div");
      wrap.className = "chart";
      wrap.setAttribute("data-chart", chart[0]);
      box.appendChild(wrap);
      var width = Math.max(280, wrap.clientWidth - 14);
      var axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
      var yaxis = Object.assign({ size: 60, values: function (u, vals) {
        return vals.map(function (v) { return v == null ? "" : String(+v.toPrecision(3)); });
      } }, axis);
      var sparse = chart[0] === "feedback";
      var lines = [{}];
      var values = [xs];
      series.variants.forEach(function (v, i) {
        lines.push({ label: v.variant || "(none)", stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: sparse,
                     points: { show: sparse } });
        values.push(v[chart[0]]);
      });
      new window.uPlot({ title: chart[1], width: width, height: 200, axes: [axis, yaxis], series: lines }, values, wrap);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
