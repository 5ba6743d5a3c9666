// GenLoop Studio: theme, keyboard shortcuts, clickable rows, htmx settings. No framework; works without it too.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("genloop-theme"); } catch (e) { /* storage blocked */ }
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);

  function isDark() {
    var t = root.getAttribute("data-theme");
    return t ? t === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function project() { return document.body.getAttribute("data-project"); }

  var SECTIONS = { d: "datasets", p: "prompts", m: "models", e: "evals", t: "traces", r: "runs", a: "audit" };
  var pendingG = 0;

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.data tbody tr")); }

  function moveSelection(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (i >= 0) all[i].classList.remove("selected");
    i = Math.max(0, Math.min(all.length - 1, i + step));
    all[i].classList.add("selected");
    all[i].scrollIntoView({ block: "nearest" });
  }

  function openSelected() {
    var row = document.querySelector("table.data tbody tr.selected");
    if (!row) return;
    var link = row.getAttribute("data-href") || (row.querySelector("a") || {}).href;
    if (link) window.location.href = link;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var help = document.getElementById("help");
    if (ev.key === "?") { if (help && !help.open) help.showModal(); ev.preventDefault(); return; }
    if (ev.key === "/") {
      var box = document.querySelector("[data-search]");
      if (box) { box.focus(); box.select && box.select(); ev.preventDefault(); }
      return;
    }
    if (ev.key === "j") { moveSelection(1); return; }
    if (ev.key === "k") { moveSelection(-1); return; }
    if (ev.key === "Enter") { openSelected(); return; }
    if (ev.key === "g") { pendingG = Date.now(); return; }
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (ev.key === "h") { window.location.href = "/"; return; }
      var section = SECTIONS[ev.key];
      if (section && project()) window.location.href = "/projects/" + encodeURIComponent(project()) + "/" + section;
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("#theme-toggle, [data-help]");
    if (!t) return;
    if (t.id === "theme-toggle") {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("genloop-theme", next); } catch (e) { /* storage blocked */ }
      document.dispatchEvent(new CustomEvent("genloop:theme"));
    } else {
      document.getElementById("help").showModal();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // error pages (4xx/5xx) are swapped in like any page, so the message is seen
      window.htmx.config.responseHandling = [
        { code: "204", swap: false }, { code: "[23]..", swap: true },
        { code: "[45]..", swap: true, error: false }
      ];
      window.htmx.config.historyCacheSize = 0;
    }
  });

  window.GenLoop = { isDark: isDark };
})();
