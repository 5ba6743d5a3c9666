// Playground: run each pane's prompt version against its model and stream the reply (fetch + ReadableStream).
(function () {
  "use strict";
  if (window.GenLoopPlayground) return;  // a boosted navigation may load this page (and this file) again
  window.GenLoopPlayground = true;

  function csrf() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRF-Token"] || "";
  }

  function variables(pane) {
    var out = {};
    pane.querySelectorAll("[data-var]").forEach(function (el) { out[el.getAttribute("data-var")] = el.value; });
    return out;
  }

  async function run(pane) {
    var output = pane.querySelector("[data-output]");
    var stats = pane.querySelector("[data-stats]");
    var saveExample = pane.querySelector("[data-save-example]");
    output.textContent = "";
    output.classList.remove("error");
    stats.textContent = "running…";
    saveExample.disabled = true;
    var vars = variables(pane);
    var response;
    try {
      response = await fetch(pane.getAttribute("data-run-url"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ ref: pane.getAttribute("data-ref"), model: pane.getAttribute("data-model"), variables: vars })
      });
    } catch (err) {
      stats.textContent = "the server could not be reached: " + err;
      return;
    }
    if (!response.ok || !response.body) {
      stats.textContent = "error " + response.status + ": " + (await response.text()).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
      return;
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var step = await reader.read();
      if (step.done) break;
      buffer += decoder.decode(step.value, { stream: true });
      var lines = buffer.split("\n");
      buffer = lines.pop();
      lines.forEach(function (line) {
        if (!line.trim()) return;
        var event = JSON.parse(line);
        if (event.delta) output.textContent += event.delta;
        if (event.model) stats.textContent = "running on " + event.model + "…";
        if (event.rendered) showRendered(pane, event.rendered);
        if (event.error) {
          output.classList.add("error");
          stats.textContent = event.error + (event.hint ? " (" + event.hint + ")" : "");
        }
        if (event.done) {
          var parts = [(event.input_tokens || 0) + " in / " + (event.output_tokens || 0) + " out tokens"];
          if (event.latency_s != null) parts.push(Math.round(event.latency_s * 1000) + " ms");
          if (event.cost != null) parts.push("$" + Number(event.cost).toFixed(6));
          stats.textContent = parts.join(" · ");
          pane.querySelector("[data-output-field]").value = output.textContent;
          pane.querySelector("[data-variables-field]").value = JSON.stringify(vars);
          saveExample.disabled = false;
        }
      });
    }
  }

  function showRendered(pane, messages) {
    var box = pane.querySelector("[data-rendered]");
    box.textContent = "";
    messages.forEach(function (m) {
      var item = document.createElement("div");
      item.className = "message-box";
      var role = document.createElement("div");
      role.className = "role";
      role.textContent = m.role;
      var text = document.createElement("pre");
      text.textContent = m.content;  // text, never HTML
      item.appendChild(role);
      item.appendChild(text);
      box.appendChild(item);
    });
    pane.querySelector("[data-rendered-box]").hidden = false;
  }

  function runAll() { document.querySelectorAll("[data-pane]").forEach(run); }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("[data-run], #run-all");
    if (!button) return;
    ev.preventDefault();
    if (button.id === "run-all") runAll(); else run(button.closest("[data-pane]"));
  });
  document.addEventListener("keydown", function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter" && document.querySelector("[data-pane]")) { ev.preventDefault(); runAll(); }
  });
})();
