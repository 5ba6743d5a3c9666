// Data quality pages: profile histograms (vendored uPlot, bars) and the prompt map (a canvas scatter with
// hover, click, shift-click and lasso selection; colour by cluster, source, deployment or score).
(function () {
  "use strict";
  var PALETTE = ["#2f6feb", "#e5534b", "#2da44e", "#bf8700", "#8250df", "#1b7c83", "#cf222e", "#6e7781",
                 "#fb8500", "#0969da", "#a40e26", "#4ac26b"];

  function histograms() {
    var data = document.getElementById("histogram-data");
    var box = document.getElementById("histograms");
    if (!data || !box || !window.uPlot || box.getAttribute("data-drawn")) return;
    box.setAttribute("data-drawn", "1");
    var dark = window.GenLoop && window.GenLoop.isDark();
    var ink = dark ? "#98a1ae" : "#5b6270", grid = dark ? "#2d333d" : "#e5e8ec";
    JSON.parse(data.textContent).forEach(function (chart) {
      var wrap = document.createElement("div");
      wrap.className = "chart";
      wrap.setAttribute("data-histogram", chart.title);
      box.appendChild(wrap);
      var x = chart.edges.slice(0, -1), axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
      var bars = window.uPlot.paths && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.9] }) : undefined;
      new window.uPlot({
        title: chart.title, width: Math.max(320, Math.min(wrap.clientWidth - 12, 720)), height: 200,
        scales: { x: { time: false } }, legend: { show: false },
        axes: [Object.assign({ label: "length (bin start)" }, axis), Object.assign({ label: "rows" }, axis)],
        series: [{}, { label: "rows", stroke: "#2f6feb", fill: "rgba(47,111,235,0.35)", paths: bars,
                       points: { show: false } }]
      }, [x, chart.counts], wrap);
    });
  }

  function promptMap() {
    var data = document.getElementById("map-data");
    var canvas = document.getElementById("map");
    if (!data || !canvas || canvas.getAttribute("data-drawn")) return;
    canvas.setAttribute("data-drawn", "1");
    var points = JSON.parse(data.textContent);
    var ctx = canvas.getContext("2d"), tip = document.getElementById("map-tip");
    var colourBy = document.getElementById("colour-by"), count = document.getElementById("selected-count");
    var idsField = document.getElementById("selected-ids"), selected = new Set(), lasso = null;
    var W = canvas.width, H = canvas.height, pad = 12;
    var xs = points.map(function (p) { return p.x; }), ys = points.map(function (p) { return p.y; });
    var x0 = Math.min.apply(null, xs.concat([0])), x1 = Math.max.apply(null, xs.concat([1]));
    var y0 = Math.min.apply(null, ys.concat([0])), y1 = Math.max.apply(null, ys.concat([1]));
    function sx(v) { return pad + (v - x0) / ((x1 - x0) || 1) * (W - 2 * pad); }
    function sy(v) { return H - pad - (v - y0) / ((y1 - y0) || 1) * (H - 2 * pad); }
    var keys = {};
    function colour(p) {
      var by = colourBy ? colourBy.value : "cluster";
      if (by === "score") {
        if (p.score === null || p.score === undefined) return "#9aa0a6";
        var t = Math.max(0, Math.min(1, (p.score - 1) / 4));
        return "rgb(" + Math.round(220 * (1 - t)) + "," + Math.round(160 * t + 40) + ",80)";
      }
      if (by === "cluster" && p.cluster < 0) return p.irrelevant ? "#cf222e" : "#9aa0a6";
      var key = String(p[by]);
      if (!(key in keys)) keys[key] = Object.keys(keys).length;
      return PALETTE[keys[key] % PALETTE.length];
    }
    function draw() {
      keys = {};
      ctx.clearRect(0, 0, W, H);
      points.forEach(function (p) {
        ctx.fillStyle = colour(p);
        ctx.globalAlpha = selected.size && !selected.has(p.id) ? 0.25 : 0.85;
        ctx.fillRect(sx(p.x) - 2, sy(p.y) - 2, p.irrelevant ? 5 : 4, p.irrelevant ? 5 : 4);
      });
      ctx.globalAlpha = 1;
      if (lasso && lasso.length > 1) {
        ctx.strokeStyle = "#6e7781"; ctx.beginPath(); ctx.moveTo(lasso[0][0], lasso[0][1]);
        lasso.forEach(function (q) { ctx.lineTo(q[0], q[1]); }); ctx.stroke();
      }
      if (count) count.textContent = String(selected.size);
      if (idsField) idsField.value = Array.from(selected).join(",");
    }
    function at(ev) {
      var r = canvas.getBoundingClientRect();
      return [(ev.clientX - r.left) * W / r.width, (ev.clientY - r.top) * H / r.height];
    }
    function nearest(q) {
      var best = null, dist = 64;
      points.forEach(function (p) {
        var d = Math.pow(sx(p.x) - q[0], 2) + Math.pow(sy(p.y) - q[1], 2);
        if (d < dist) { dist = d; best = p; }
      });
      return best;
    }
    function inside(poly, q) {
      var hit = false;
      for (var i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        var a = poly[i], b = poly[j];
        if ((a[1] > q[1]) !== (b[1] > q[1]) && q[0] < (b[0] - a[0]) * (q[1] - a[1]) / (b[1] - a[1]) + a[0]) hit = !hit;
      }
      return hit;
    }
    canvas.addEventListener("mousedown", function (ev) { lasso = [at(ev)]; });
    canvas.addEventListener("mousemove", function (ev) {
      var q = at(ev);
      if (lasso) { lasso.push(q); draw(); return; }
      var p = nearest(q);
      if (!tip) return;
      if (!p) { tip.hidden = true; return; }
      tip.hidden = false;
      tip.textContent = "[" + p.source + (p.cluster >= 0 ? ", cluster " + p.cluster : ", no cluster") +
        (p.irrelevant ? ", irrelevant" : "") + (p.score !== null && p.score !== undefined ? ", score " + p.score : "") +
        "] " + p.text;
    });
    canvas.addEventListener("mouseup", function (ev) {
      var path = lasso || [];
      lasso = null;
      if (path.length < 4) {
        var p = nearest(at(ev));
        if (p) { if (!ev.shiftKey && !selected.has(p.id)) selected.clear(); selected.has(p.id) ? selected.delete(p.id) : selected.add(p.id); }
      } else {
        if (!ev.shiftKey) selected.clear();
        points.forEach(function (p) { if (inside(path, [sx(p.x), sy(p.y)])) selected.add(p.id); });
      }
      draw();
    });
    if (colourBy) colourBy.addEventListener("change", draw);
    var clear = document.getElementById("clear-selection");
    if (clear) clear.addEventListener("click", function () { selected.clear(); draw(); });
    draw();
  }

  function init() { histograms(); promptMap(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
  document.addEventListener("htmx:afterSettle", init);
})();
