/*
 * The conversation: Rasa's socketio channel, the transcript, uploads of materials, and the
 * public GovChat.open/close/send/reset API. Wire protocol (Rasa's socketio channel with
 * session_persistence: true):
 *   client -> session_request {session_id, session}   server -> session_confirm {session_id, session}
 *   client -> user_uttered {message, session_id}
 * `session` is the token the server issued for the session: a live session is only joined with
 * it, otherwise the server confirms a fresh session id (docs/widget.md).
 *   server -> bot_uttered {text, quick_replies?: [{title, payload}], attachment?}
 */
(() => {
  "use strict";

  const { parts } = window.GovChat;
  const TYPING_TIMEOUT_MS = 20000;
  const LOGOUT_MESSAGE = "退出登录";

  const WELCOME = {
    from: "bot",
    text: "您好！我是示范市政务服务智能助手，可以为您查询办事指南（材料、条件、费用、时限、办理地点），"
      + "登录后还能查看您的电子证照。请问有什么可以帮您？",
    buttons: [
      { title: "身份证丢了怎么补办", payload: "身份证丢了怎么补办" },
      { title: "我有哪些证照", payload: "我有哪些证照" },
      { title: "公积金提取能网上办吗", payload: "公积金提取能网上办吗" },
    ],
  };

  // What the citizen typed is shown and stored masked, as the server masks it in its records:
  // the transcript stays in browser storage, possibly on a shared computer.
  const ID_NUMBER = /(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;
  const PHONE = /(?<!\d)1[3-9]\d{9}(?!\d)/g;
  const keepEnds = (value, head, tail) => value.slice(0, head) + "*".repeat(value.length - head - tail) + value.slice(-tail);

  function maskPersonal(text, codeExpected) {
    if (codeExpected && /^\s*\d{4,8}\s*$/.test(text)) return "●●●●●●（验证码已隐藏）";
    return text.replace(ID_NUMBER, (id) => keepEnds(id, 6, 4)).replace(PHONE, (phone) => keepEnds(phone, 3, 4));
  }

  function mount(options) {
    const store = parts.createStore(options);
    let sessionId = store.sessionId();
    let ready = false; // true once the server confirmed our session (we are in its room)
    let resetting = false; // while "结束对话" logs out the old session, its replies are not shown
    const outbox = []; // messages typed while (re)connecting, sent after session_confirm
    let typingTimer = null;

    const view = parts.createView(options, {
      onOpen: () => open(),
      onClose: () => close(),
      onSend: (message, shown) => send(message, shown),
      onUpload: (file) => upload(file),
      onLargeText: (on) => {
        store.setLargeText(on);
        view.setLargeText(on);
      },
      onReset: () => reset(),
    });

    function record(entry) {
      const stamped = { ...entry, ts: Date.now() };
      if (stamped.from === "user") store.dropButtons();
      store.append(stamped);
      view.addEntry(stamped);
    }

    function restoreTranscript() {
      view.clear();
      const entries = store.transcript();
      if (!entries.length) record(WELCOME);
      else entries.forEach((entry) => view.addEntry(entry));
    }

    function setTyping(on) {
      clearTimeout(typingTimer);
      view.setTyping(on);
      if (on) typingTimer = setTimeout(() => view.setTyping(false), TYPING_TIMEOUT_MS);
    }

    // --- socket ------------------------------------------------------------------------------
    // We queue messages ourselves instead of relying on Socket.IO's send buffer: that buffer is
    // flushed on reconnect *before* our session_request, so a reply could go to a room we have
    // not joined yet and be lost.
    const socket = parts.io(options.server, {
      path: options.socketPath,
      // Socket.IO's default transports on purpose: long polling first, upgraded to WebSocket
      // when it works, so a proxy that blocks WebSocket (common on office networks) only costs speed.
      reconnectionDelayMax: 10000,
    });

    socket.on("connect", () => {
      ready = false;
      view.setStatus("");
      socket.emit("session_request", { session_id: sessionId, session: store.token() });
    });
    socket.on("session_confirm", (confirmed) => {
      const id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
      if (id && id !== sessionId) {
        sessionId = id; // the server replaced an id it did not accept (or whose token we lacked)
        store.setSessionId(id);
      }
      if (confirmed && typeof confirmed === "object") store.setToken(confirmed.session);
      ready = true;
      while (outbox.length) emitMessage(outbox.shift());
    });
    socket.on("disconnect", () => {
      ready = false;
      if (!resetting) view.setStatus("连接已断开，正在重新连接…");
    });
    socket.on("connect_error", () => {
      view.setStatus("暂时无法连接到智能助手，正在重试…您也可以拨打12345政务服务便民热线。");
    });
    socket.on("bot_uttered", (data) => {
      if (resetting || !data || typeof data !== "object") return;
      setTyping(false);
      const entry = { from: "bot", text: typeof data.text === "string" ? data.text : "" };
      const buttons = data.quick_replies || data.buttons;
      if (Array.isArray(buttons)) {
        entry.buttons = buttons
          .filter((b) => b && b.title != null && b.payload != null)
          .map((b) => ({ title: String(b.title), payload: String(b.payload) }));
      }
      const attachment = data.attachment;
      if (attachment && attachment.type === "image" && attachment.payload) entry.image = String(attachment.payload.src || "");
      if (!entry.text && !entry.image) return; // nothing a citizen could read
      record(entry);
    });

    function emitMessage(message) {
      socket.emit("user_uttered", { message, session_id: sessionId });
    }

    // `message` goes to the bot; `shown` is what the transcript says the citizen sent
    // (a quick reply's title rather than its /intent payload).
    function send(message, shown = message) {
      message = String(message || "").trim();
      if (!message) return;
      if (shown) record({ from: "user", text: maskPersonal(String(shown), view.expectingCode()) });
      setTyping(true);
      if (ready && socket.connected) emitMessage(message);
      else outbox.push(message);
    }

    // --- uploads -----------------------------------------------------------------------------
    // Contract of POST {server}/webhooks/upload/file (multipart: sender, session, channel, file):
    // 200 {attachment_id, message, filename} -> send `message` as the citizen's turn;
    // 4xx {error: "中文说明"} -> show it.
    async function upload(file) {
      if (file.size > options.maxFileMb * 1024 * 1024) {
        record({ from: "notice", text: `文件“${file.name}”超过${options.maxFileMb}MB，请压缩后再上传。` });
        return;
      }
      const form = new FormData();
      form.append("sender", sessionId);
      form.append("session", store.token() || "");
      form.append("channel", "socketio");
      form.append("file", file, file.name);
      view.setUploading(true);
      view.setStatus(`正在上传：${file.name}…`);
      try {
        const response = await fetch(`${options.server}${options.uploadPath}`, { method: "POST", body: form });
        let body = null;
        try {
          body = await response.json();
        } catch (err) {
          body = null; // an error page from a proxy, for instance
        }
        if (response.ok && body && typeof body.message === "string") {
          send(body.message, `已上传：${body.filename || file.name}`);
        } else {
          const reason = body && typeof body.error === "string" ? body.error : `上传失败（错误代码 ${response.status}），请稍后重试。`;
          record({ from: "notice", text: reason });
        }
      } catch (err) {
        record({ from: "notice", text: "上传失败，请检查网络连接后重试。" });
      } finally {
        view.setUploading(false);
        view.setStatus("");
      }
    }

    // --- panel and public API ------------------------------------------------------------------
    function open() {
      store.setOpen(true);
      view.setOpen(true);
    }

    function close() {
      store.setOpen(false);
      view.setOpen(false);
    }

    // "结束对话": log the old session out (its login would otherwise stay bound until it idles
    // out), then start over on a fresh socket so no late reply of the old session shows up.
    function reset() {
      resetting = true;
      setTyping(false);
      const loggingOut = ready && socket.connected;
      if (loggingOut) emitMessage(LOGOUT_MESSAGE);
      const restart = () => {
        socket.off("bot_uttered", onLogoutReply);
        socket.disconnect();
        store.forgetConversation();
        sessionId = store.sessionId();
        outbox.length = 0;
        resetting = false;
        restoreTranscript();
        socket.connect();
      };
      if (!loggingOut) {
        restart();
        return;
      }
      const timer = setTimeout(restart, 3000);
      // The logout reply arrives quickly; wait a moment for any follow-up message, then restart.
      function onLogoutReply() {
        clearTimeout(timer);
        socket.off("bot_uttered", onLogoutReply);
        setTimeout(restart, 300);
      }
      socket.on("bot_uttered", onLogoutReply);
    }

    restoreTranscript();
    view.setLargeText(store.largeText());
    // Reopen after a reload without stealing focus from the page.
    if (store.isOpen()) view.setOpen(true, { focus: false });

    return { open, close, send: (text) => send(text), reset };
  }

  parts.mount = mount;
})();
