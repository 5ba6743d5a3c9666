// GenLoop Studio, the rating view: every action on the keyboard, the next item preloaded in a <template>.
// Submitting shows the preloaded item at once and posts the rating in the background; requests run one at a
// time (each names the items on screen, so the server never hands out one twice). No framework.
(function () {
  "use strict";
  if (window.genloopReview) return;  // loaded again by an htmx swap: the listeners are in place
  window.genloopReview = true;
  var root, slot, tpl, errorBox;
  var back = [];          // ids this session rated or skipped, oldest first (k walks back through them)
  var viewing = null;     // index into back while looking at an earlier item, else null
  var saved = null;       // the unrated card put aside while looking back
  var waiting = false;    // the slot shows a placeholder until the server sends the next item
  var chain = Promise.resolve();

  function typing(el) {
    return el && (el.tagName === "INPUT" && el.type !== "radio" && el.type !== "checkbox" || el.tagName === "TEXTAREA" ||
                  el.tagName === "SELECT" || el.isContentEditable);
  }
  function card() { return slot.querySelector(".rate-card"); }
  function questions(c) { return Array.prototype.slice.call((c || card()).querySelectorAll("fieldset.question")); }
  function active(c) { return (c || card()).querySelector("fieldset.question[data-active]"); }

  function setActive(q) {
    questions().forEach(function (f) { f.removeAttribute("data-active"); });
    if (q) { q.setAttribute("data-active", ""); q.scrollIntoView({ block: "nearest" }); }
  }

  function value(q) {
    var type = q.getAttribute("data-type");
    var checked = Array.prototype.slice.call(q.querySelectorAll("input:checked"));
    if (type === "likert" || (type === "numeric" && q.querySelector("input[type=radio]"))) {
      return checked.length ? Number(checked[0].value) : null;
    }
    if (type === "numeric") {
      var box = q.querySelector("input[type=number]");
      return box.value === "" ? null : Number(box.value);
    }
    if (type === "boolean") return checked.length ? checked[0].value === "true" : null;
    if (type === "categorical") {
      if (q.hasAttribute("data-multiple")) return checked.length ? checked.map(function (i) { return i.value; }) : null;
      return checked.length ? checked[0].value : null;
    }
    if (type === "pairwise") {
      var reason = q.querySelector("input.reason").value.trim();
      return checked.length ? { choice: checked[0].value, reason: reason || null } : null;
    }
    var text = q.querySelector("textarea").value;
    if (type === "edit") {
      var original = q.querySelector("textarea").getAttribute("data-original") || "";
      return text.trim() === "" || text.trim() === original.trim() ? null : text;
    }
    return text.trim() === "" ? null : text;
  }

  function answers() {
    var out = {}, missing = [];
    questions().forEach(function (q) {
      var v = value(q), name = q.getAttribute("data-name");
      q.classList.toggle("missing", v === null && q.hasAttribute("data-required"));
      if (v === null && q.hasAttribute("data-required")) missing.push(name);
      if (v !== null) out[name] = v;
    });
    return { answers: out, missing: missing };
  }

  function showError(message, hint) {
    errorBox.textContent = message + (hint ? " — " + hint : "");
    errorBox.hidden = false;
  }
  function clearError() { errorBox.hidden = true; errorBox.textContent = ""; }

  function progress(p) {
    if (!p) return;
    root.querySelector("[data-mine]").textContent = p.mine;
    root.querySelector("[data-done]").textContent = p.done;
    root.querySelector("[data-items]").textContent = p.items;
    var bar = root.querySelector("[data-bar]");
    bar.max = p.items || 1; bar.value = p.done;
  }

  function donePanel() {
    return '<div class="empty rate-done" data-done-panel><p>Nothing left for you in this queue.</p>' +
      '<p class="hint">Press u to undo your last rating.</p></div>';
  }

  // Show the preloaded item now; returns the card that was on screen.
  function advance() {
    var old = card();
    if (tpl.innerHTML.trim()) {
      slot.innerHTML = tpl.innerHTML;
      tpl.innerHTML = "";
      waiting = false;
    } else {
      slot.innerHTML = '<div class="empty" data-loading><p>Loading the next item…</p></div>';
      waiting = true;
    }
    return old;
  }

  function send(path, body) {
    root.setAttribute("data-pending", String(Number(root.getAttribute("data-pending")) + 1));
    var run = function () {
      var shown = [];
      var next = tpl.content ? tpl.content.querySelector(".rate-card") : null;
      if (next) shown.push(Number(next.getAttribute("data-item")));
      var c = card();
      if (c) shown.push(Number(c.getAttribute("data-item")));
      body.shown = shown;
      return fetch(root.getAttribute("data-base") + path, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": root.getAttribute("data-csrf") },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (data) { if (!r.ok) throw new Error((data.error || {}).message || r.statusText); return data; });
      });
    };
    var done = chain.then(run);
    chain = done.catch(function () { /* reported by the caller */ }).then(function () {
      root.setAttribute("data-pending", String(Number(root.getAttribute("data-pending")) - 1));
    });
    return done;
  }

  function received(data) {
    progress(data.progress);
    if (waiting) {
      slot.innerHTML = data.next_html || donePanel();
      waiting = false;
    } else {
      tpl.innerHTML = data.next_html || "";
    }
  }

  function restore(old, id, message, hint) {
    // the rating was refused: put its card back, the preloaded one back into the template
    var shownNow = card();
    if (shownNow && !waiting) tpl.innerHTML = shownNow.outerHTML;
    slot.innerHTML = "";
    slot.appendChild(old);
    waiting = false;
    back = back.filter(function (x) { return x !== id; });
    showError(message, hint);
  }

  function act(kind) {
    var c = card();
    if (!c || viewing !== null) return;
    if (c.hasAttribute("data-rated")) { showError("you rated this item already", "press u to undo your last rating"); return; }
    var id = Number(c.getAttribute("data-item"));
    var body;
    if (kind === "submit") {
      var a = answers();
      if (a.missing.length) { showError("answer " + a.missing.join(", ") + " first"); return; }
      body = { answers: a.answers };
    } else {
      body = { later: kind === "later" };
    }
    clearError();
    back.push(id);
    var old = advance();
    send("/items/" + id + "/" + (kind === "submit" ? "submit" : "skip"), body).then(function (data) {
      if (data.ok) received(data); else restore(old, id, data.error, data.hint);
    }, function (err) { restore(old, id, String(err.message || err)); });
  }

  function undo() {
    if (viewing !== null) return;
    clearError();
    send("/undo", {}).then(function (data) {
      if (!data.ok) { showError(data.error, data.hint); return; }
      var c = card();
      if (c) tpl.innerHTML = c.outerHTML;  // the item on screen stays held by this rater: it comes next
      slot.innerHTML = data.next_html;
      waiting = false;
      back = back.filter(function (x) { return x !== data.next_id; });
      progress(data.progress);
    }, function (err) { showError(String(err.message || err)); });
  }

  function look(step) {
    if (!back.length) return;
    if (viewing === null) {
      if (step > 0) return;
      saved = card() || slot.firstElementChild;
      viewing = back.length - 1;
    } else {
      viewing += step;
      if (viewing < 0) { viewing = 0; return; }
      if (viewing >= back.length) {
        viewing = null;
        slot.innerHTML = "";
        if (saved) slot.appendChild(saved);
        saved = null;
        clearError();
        return;
      }
    }
    fetch(root.getAttribute("data-base") + "/items/" + back[viewing], { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { if (viewing !== null) { slot.innerHTML = html; showError("an earlier item (read only here)", "j returns to the current one, u undoes your last rating"); } });
  }

  function press(key) {
    var qs = questions();
    var act_q = active();
    var target = null;
    var fits = function (q) { return q.querySelector('input[data-key="' + key + '"]'); };
    if (act_q && fits(act_q)) target = act_q;
    if (!target) target = qs.filter(function (q) { return fits(q) && value(q) === null; })[0] || qs.filter(fits)[0];
    if (!target) return false;
    var input = fits(target);
    if (input.type === "checkbox") input.checked = !input.checked; else input.checked = true;
    target.classList.remove("missing");
    if (input.type === "radio") {
      var after = qs.slice(qs.indexOf(target) + 1).filter(function (q) { return value(q) === null; })[0];
      setActive(after || target);
    } else {
      setActive(target);
    }
    return true;
  }

  function onKey(ev) {
    if (!root || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (typing(t)) {
      if (ev.key === "Escape") { t.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && ev.ctrlKey) { t.blur(); act("submit"); ev.preventDefault(); }
      return;
    }
    if (ev.ctrlKey) return;
    var c = card();
    var key = ev.key;
    var handled = true;
    if (key === "j") look(1);
    else if (key === "k") look(-1);
    else if (key === "u") undo();
    else if (!c) handled = false;
    else if (key === "Enter") act("submit");
    else if (key === "s") act("skip");
    else if (key === "l") act("later");
    else if (key === "e" || key === "c") {
      var box = c.querySelector(key === "e" ? "textarea[data-edit]" : "textarea[data-comment]");
      if (box) { setActive(box.closest("fieldset")); box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
      else handled = false;
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      var qs = questions(), i = qs.indexOf(active());
      setActive(qs[Math.max(0, Math.min(qs.length - 1, i + (key === "ArrowDown" ? 1 : -1)))]);
    } else handled = press(key);
    if (handled) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }

  function init() {
    root = document.getElementById("rate");
    if (!root || root.hasAttribute("data-ready")) return;
    root.setAttribute("data-ready", "");
    back = []; viewing = null; saved = null; waiting = false; chain = Promise.resolve();
    slot = document.getElementById("rate-item");
    tpl = document.getElementById("rate-next");
    errorBox = document.getElementById("rate-error");
  }

  document.addEventListener("keydown", function (ev) { init(); onKey(ev); }, true);
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
