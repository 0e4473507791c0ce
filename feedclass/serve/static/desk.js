// feedclass desk: editor actions without a page reload. Our own code, no libraries.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.body;

  function toast(text, bad) {
    const el = document.getElementById("toast");
    el.textContent = text;  // textContent: a server message is never parsed as HTML
    el.className = "show" + (bad ? " bad" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.className = ""; }, 2500);
  }

  async function api(method, url, data) {
    const opts = { method: method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (data !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    const r = await fetch(url, opts);
    const out = await r.json().catch(function () { return {}; });
    if (!r.ok) { throw new Error(out.error || r.statusText); }
    return out;
  }

  function chipFor(li, item) {
    const chip = li.querySelector('[data-role="chip"]');
    const select = li.querySelector(".topic-select");
    let name = item.topic;
    if (select) {
      for (const o of select.options) { if (o.value === item.topic) { name = o.textContent; } }
    }
    chip.className = "chip topic-" + (item.topic || "none");
    chip.textContent = name + " ";
    const small = document.createElement("small");
    small.textContent = Math.floor(item.confidence * 100) + "%";
    chip.appendChild(small);
  }

  function fail(e) { toast(body.dataset.error + ": " + e.message, true); }

  // A closed drop-down changes at each arrow key, each step a "change": an editor stepping
  // from Culture to Weather sent every topic between as a correction, and the answers could
  // come back out of order, leaving another topic stored than the one shown. So a change
  // made by keys is saved once they rest, and one request per item is in flight at a time,
  // followed by one with the latest choice if it moved meanwhile.
  let lastKey = 0;
  document.addEventListener("keydown", function () { lastKey = Date.now(); }, true);
  const topicSaves = new WeakMap();

  function saveTopic(sel) {
    let st = topicSaves.get(sel);
    if (!st) {
      const shown = sel.querySelector("option[selected]");
      st = { busy: false, saved: shown ? shown.value : null, timer: 0 };
      topicSaves.set(sel, st);
    }
    clearTimeout(st.timer);
    const byKeys = Date.now() - lastKey < 1000;
    st.timer = setTimeout(function () { flushTopic(sel, st); }, byKeys ? 700 : 0);
  }

  function flushTopic(sel, st) {
    if (st.busy || sel.value === st.saved) { return; }
    const li = sel.closest(".item");
    const value = sel.value;
    st.busy = true;
    api("PUT", "/v1/items/" + li.dataset.key + "/topic", { topic: value })
      .then(function (item) {
        st.saved = value;
        if (sel.value === value) { chipFor(li, item); li.classList.add("fixed"); toast(body.dataset.saved); }
      })
      .catch(fail)
      .finally(function () {
        st.busy = false;
        if (sel.value !== value) { flushTopic(sel, st); }  // moved on while this one was out
      });
  }

  document.addEventListener("change", function (ev) {
    const sel = ev.target.closest(".topic-select");
    if (sel) { saveTopic(sel); }
    if (ev.target.classList.contains("pick-story")) {
      const n = document.querySelectorAll(".pick-story:checked").length;
      const m = document.getElementById("merge");
      if (m) { m.disabled = n !== 2; }
    }
  });

  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest("button");
    if (!btn) { return; }
    const li = btn.closest(".item");
    if (btn.classList.contains("split") && li) {
      api("POST", "/v1/items/" + li.dataset.key + "/split").then(function (item) {
        splitOff(li, item);
        toast(body.dataset.saved);
      }).catch(fail);
    } else if (btn.classList.contains("accept") && li) {
      api("POST", "/v1/items/" + li.dataset.key + "/accept").then(function () {
        li.remove();
        toast(body.dataset.saved);
      }).catch(fail);
    } else if (btn.id === "merge") {
      const picked = Array.from(document.querySelectorAll(".pick-story:checked")).map(function (c) { return Number(c.value); });
      if (picked.length !== 2) { return; }
      api("POST", "/v1/stories/merge", { story_id: picked[0], other: picked[1] }).then(function () {
        mergeInto(picked[0], picked[1]);
        toast(body.dataset.saved);
      }).catch(fail);
    } else if (btn.id === "retrain") {
      // the page shows the outcome from the action log: reload once the server has decided
      btn.disabled = true;
      document.getElementById("retrain-status").textContent = body.dataset.retraining;
      api("POST", "/v1/admin/retrain").then(function () { location.reload(); })
        .catch(function (e) { btn.disabled = false; document.getElementById("retrain-status").textContent = ""; fail(e); });
    } else if (btn.classList.contains("rollback")) {
      const v = btn.closest(".version").dataset.version;
      api("POST", "/v1/admin/rollback", { version: v }).then(function () { location.reload(); }).catch(fail);
    } else if (btn.id === "logout") {
      fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then(function () { location.href = "/login"; });
    }
  });

  function splitOff(li, item) {
    const story = li.closest(".story");
    li.dataset.story = item.story_id;
    const btn = li.querySelector(".split");
    if (btn) { btn.remove(); }
    if (!story) { li.remove(); return; }
    const fresh = document.createElement("article");
    fresh.className = "story";
    fresh.dataset.story = item.story_id;
    const ul = document.createElement("ul");
    ul.className = "lead";
    ul.appendChild(li);
    fresh.appendChild(ul);
    story.parentNode.insertBefore(fresh, story);
    recount(story);
  }

  function recount(story) {
    const det = story.querySelector(".dups");
    if (!det) { return; }
    const n = det.querySelectorAll(".item").length;
    if (n === 0) { det.remove(); } else { det.querySelector(".n").textContent = n; }
  }

  function mergeInto(keep, other) {
    const a = document.querySelector('.story[data-story="' + keep + '"]');
    const b = document.querySelector('.story[data-story="' + other + '"]');
    if (!a || !b) { location.reload(); return; }
    let det = a.querySelector(".dups");
    if (!det) {
      det = document.createElement("details");
      det.className = "dups";
      const s = document.createElement("summary");
      const n = document.createElement("span");
      n.className = "n";
      s.appendChild(n);
      det.appendChild(s);
      det.appendChild(document.createElement("ul"));
      a.appendChild(det);
    }
    const ul = det.querySelector("ul");
    b.querySelectorAll(".item").forEach(function (li) { li.dataset.story = keep; ul.appendChild(li); });
    det.open = true;
    recount(a);
    b.remove();
    document.querySelectorAll(".pick-story").forEach(function (c) { c.checked = false; });
    document.getElementById("merge").disabled = true;
  }

  // upload with a progress bar: the bytes going up, then the server reading them
  const form = document.getElementById("upload");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      const bar = document.getElementById("upload-progress");
      const status = document.getElementById("upload-status");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/import");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          status.textContent = body.dataset.uploading + " " + bar.value + "%";
        }
      };
      xhr.upload.onload = function () { status.textContent = body.dataset.processing; bar.removeAttribute("value"); };
      xhr.onload = function () {
        let out = {};
        try { out = JSON.parse(xhr.responseText); } catch (e) { out = {}; }
        if (xhr.status >= 400) {
          status.textContent = body.dataset.error + ": " + (out.error || xhr.statusText);
          bar.hidden = true;
          return;
        }
        bar.value = 100;
        status.textContent = body.dataset.done + ": +" + out.created + " / " + out.rows
          + (out.refused ? " (−" + out.refused + ")" : "");
        status.dataset.done = "1";
        setTimeout(function () { location.reload(); }, 600);
      };
      xhr.onerror = function () { status.textContent = body.dataset.error; };
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("time[data-ts]").forEach(function (t) {
    const d = new Date(Number(t.dataset.ts) * 1000);
    t.textContent = d.toLocaleString(body.dataset.lang === "en" ? "en-GB" : "ru-RU", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  });
})();
