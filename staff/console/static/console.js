// Console behaviour, vendored (no external scripts). Everything from the server is written with
// textContent, never innerHTML: questions, answers and chat lines are user input.
"use strict";

(function () {
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Confirmation before destructive posts (retire, dismiss, hand back).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Live preview: what the assistant would answer to the question being typed.
  function renderPreview(box, data) {
    box.replaceChildren();
    if (!data || data.error) {
      box.appendChild(el("p", "muted", data && data.error ? data.error : "预览暂不可用"));
      return;
    }
    box.appendChild(el("h3", "", data.kind_label + "（置信度 " + data.confidence + "）"));
    if (data.text) box.appendChild(el("div", "bubble pre", data.text));
    var list = el("ol", "hits");
    data.hits.forEach(function (hit) {
      list.appendChild(el("li", "", "FAQ#" + hit.entry_id + " " + hit.question + "（" + hit.confidence + "）"));
    });
    box.appendChild(list);
  }

  function setUpPreview() {
    var input = document.querySelector("[data-preview-input]");
    var box = document.getElementById("live-preview");
    if (!input || !box) return;
    var timer = null;
    var latest = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (!text) { box.replaceChildren(); return; }
        var ticket = ++latest;
        fetch("/console/api/preview?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { if (ticket === latest) renderPreview(box, data); })
          .catch(function () { renderPreview(box, null); });
      }, 400);
    });
  }

  // A handoff conversation refreshes its transcript every few seconds.
  var WHO = { citizen: "市民", agent: "人工客服", bot: "智能助手" };

  function renderTranscript(list, lines) {
    list.replaceChildren();
    lines.forEach(function (line) {
      var item = el("li", "from-" + (WHO[line.who] ? line.who : "bot"));
      item.appendChild(el("span", "muted", line.time + " " + (WHO[line.who] || "智能助手")));
      item.appendChild(el("div", "pre", line.text));
      list.appendChild(item);
    });
  }

  function setUpTranscript() {
    var list = document.querySelector("[data-poll-ticket]");
    if (!list) return;
    var id = list.getAttribute("data-poll-ticket");
    setInterval(function () {
      fetch("/console/api/handoff/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && !data.transcript_error) renderTranscript(list, data.transcript); })
        .catch(function () {});
    }, 5000);
  }

  // The handoff queue reloads itself unless the agent is typing.
  function setUpAutoRefresh() {
    var table = document.querySelector("[data-autorefresh]");
    if (!table) return;
    var seconds = parseInt(table.getAttribute("data-autorefresh"), 10) || 20;
    setInterval(function () {
      var active = document.activeElement;
      if (!active || !/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) window.location.reload();
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpPreview();
    setUpTranscript();
    setUpAutoRefresh();
  });
})();
