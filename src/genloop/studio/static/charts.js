// Loss curves and other run series, drawn with the vendored uPlot from the JSON the page embeds.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("series-data");
    var box = document.getElementById("charts");
    if (!data || !box || !window.uPlot || box.getAttribute("data-drawn")) return;
    box.setAttribute("data-drawn", "1");
    var series = JSON.parse(data.textContent);
    var dark = window.GenLoop && window.GenLoop.isDark();
    var ink = dark ? "#98a1ae" : "#5b6270";
    var grid = dark ? "#2d333d" : "#e5e8ec";
    Object.keys(series).forEach(function (key) {
      var wrap = document.createElement("div");
      wrap.className = "chart";
      wrap.setAttribute("data-series", key);
      box.appendChild(wrap);
      var width = Math.max(320, Math.min(wrap.clientWidth - 12, 720));
      var axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
      new window.uPlot({
        title: key, width: width, height: 220,
        scales: { x: { time: false } },
        axes: [Object.assign({ label: "step" }, axis), axis],
        series: [{ label: "step" }, { label: key, stroke: dark ? "#4c8dff" : "#2f6feb", width: 1.5 }]
      }, [series[key].x, series[key].y], wrap);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
