/*!
 * 政务服务智能助手 web widget — the one file a portal embeds:
 *   <script src="https://portal.example/static/widget.js" data-server="https://rasa.example"></script>
 *
 * This loader reads the data-* options from its own <script> tag, loads the widget's parts from
 * the same folder (the vendored Socket.IO client, storage, view, chat) and mounts the widget.
 * Nothing is fetched from anywhere else. Options: docs/widget.md.
 */
(() => {
  "use strict";

  const VERSION = "1.1.0"; // parts load with ?v=VERSION: a change here refreshes cached copies
  const PARTS = ["widget/store.js", "widget/view.js", "widget/chat.js"];
  const API_METHODS = ["open", "close", "send", "reset"];

  if (window.GovChat && window.GovChat.version) return; // embedded twice: keep the first

  const script = document.currentScript
    || [...document.getElementsByTagName("script")].reverse().find((s) => /\/widget\.js(\?|$)/.test(s.src));
  if (!script) return;
  const base = script.src.replace(/[^/?#]*([?#].*)?$/, ""); // folder of widget.js, with trailing slash
  const data = script.dataset;

  const flag = (value, fallback) => (value === undefined ? fallback : ["", "true", "1"].includes(value));
  const positive = (value, fallback) => (Number(value) > 0 ? Number(value) : fallback);

  const options = {
    version: VERSION,
    base,
    server: (data.server || window.location.origin).replace(/\/+$/, ""), // where Rasa listens
    socketPath: data.socketPath || "/socket.io",
    uploadPath: data.uploadPath || "/webhooks/upload/file",
    title: data.title || "政务服务智能助手",
    subtitle: data.subtitle || "一号一窗一网 · 7×24小时在线",
    position: data.position === "left" ? "left" : "right",
    startOpen: flag(data.open, false),
    largeText: flag(data.largeText, false), // the default for visitors who never chose
    // "session": forget the conversation when the tab closes (shared terminals in a service hall).
    storage: data.storage === "session" ? "session" : "local",
    historyHours: positive(data.historyHours, 24),
    // What the upload endpoint takes (connectors/uploads.py): PDF, JPG, PNG, OFD up to 10 MB.
    accept: data.accept || ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png",
    maxFileMb: positive(data.maxFileMb, 10),
  };

  // The public API exists at once; calls made before the parts have loaded are replayed after.
  const queued = [];
  const api = { version: VERSION, options, parts: {} };
  for (const name of API_METHODS) api[name] = (...args) => queued.push([name, args]);
  window.GovChat = api;

  const load = (src) => new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = `${base}${src}?v=${VERSION}`;
    el.async = false;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`无法加载 ${src}`));
    (document.head || document.documentElement).appendChild(el);
  });

  // Socket.IO's UMD build registers itself as an anonymous AMD module on pages that use
  // RequireJS (and then defines no window.io), and it would overwrite a page's own `io`.
  // Hide `define` while it loads, keep our copy privately and give the page back its `io`.
  async function loadSocketIo() {
    const pageDefine = window.define;
    const hadIo = "io" in window;
    const pageIo = window.io;
    window.define = undefined;
    try {
      await load("vendor/socket.io.min.js");
    } finally {
      window.define = pageDefine;
    }
    api.parts.io = window.io;
    if (hadIo) window.io = pageIo;
    else delete window.io;
  }

  async function start() {
    await loadSocketIo();
    for (const part of PARTS) await load(part);
    const chat = api.parts.mount(options);
    for (const name of API_METHODS) api[name] = chat[name];
    for (const [name, args] of queued) chat[name](...args);
  }

  const run = () => start().catch((err) => console.error("[GovChat]", err));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
