/*
 * The widget's DOM, inside a shadow root so the portal's CSS and ours never mix.
 * Builds the launcher and the panel, renders messages, and reports user actions to chat.js
 * through the `handlers` object. Bot text is only ever set with textContent (never innerHTML):
 * whatever the bot or a catalog editor writes is shown as text, so it cannot inject markup.
 */
(() => {
  "use strict";

  const URL_PATTERN = /(https?:\/\/[^\s，。；、）)<>"']+)/g;
  const CODE_PROMPT = /验证码/; // when the bot asks for the SMS code, offer the numeric keypad

  // Small DOM helper: el("button", {type: "button", "aria-label": "关闭"}, "×")
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // Icons are inline SVG: emoji fonts are missing on many office and kiosk machines.
  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    clip: "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l8.5-8.5a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 8.5l6.4-6.4",
  };
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `icon icon-${name}`);
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  // Text with newlines kept (CSS white-space: pre-wrap) and web addresses as links.
  function richText(text) {
    const fragment = document.createDocumentFragment();
    String(text).split(URL_PATTERN).forEach((part, i) => {
      if (i % 2 === 1) {
        fragment.append(el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part));
      } else if (part) {
        fragment.append(document.createTextNode(part));
      }
    });
    return fragment;
  }

  function createView(options, handlers) {
    const host = el("div", { id: "govchat-widget" });
    host.style.visibility = "hidden"; // CSSOM, not a style attribute: allowed by a strict CSP
    const root = host.attachShadow({ mode: "open" });
    const stylesheet = el("link", { rel: "stylesheet", href: `${options.base}widget/widget.css?v=${options.version}` });
    // Shown only once styled, so the portal never flashes an unstyled chat.
    stylesheet.onload = stylesheet.onerror = () => { host.style.visibility = ""; };

    const launcher = el("button", {
      type: "button", className: `launcher ${options.position}`,
      "aria-controls": "govchat-panel", "aria-expanded": "false", "aria-label": `打开${options.title}`,
    }, icon("chat"), el("span", {}, "智能客服"));

    const titleId = "govchat-title";
    const largeToggle = el("button", { type: "button", className: "tool", "aria-pressed": "false", "aria-label": "大字模式",
      title: "大字模式：放大文字和按钮" }, "大字");
    const endButton = el("button", { type: "button", className: "tool", title: "结束对话并清除本机上的聊天记录" }, "结束对话");
    const closeButton = el("button", { type: "button", className: "tool close", "aria-label": "关闭对话窗口", title: "关闭（Esc）" }, "×");
    const header = el("header", {},
      el("div", { className: "titles" },
        el("h2", { id: titleId }, options.title),
        el("p", { className: "subtitle" }, options.subtitle)),
      el("div", { className: "tools" }, largeToggle, endButton, closeButton));

    const log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "对话记录", tabindex: "0" });
    const typing = el("div", { className: "typing", role: "status", "aria-live": "polite" });
    const status = el("div", { className: "status", role: "status", "aria-live": "polite" });

    const fileInput = el("input", { type: "file", accept: options.accept, hidden: true, tabindex: "-1",
      "aria-hidden": "true" });
    const attach = el("button", { type: "button", className: "attach", "aria-label": "上传办事材料（PDF、JPG、PNG或OFD）",
      title: "上传材料" }, icon("clip"));
    const input = el("input", { type: "text", className: "input", "aria-label": "输入您的问题",
      placeholder: "请输入您的问题", autocomplete: "off", enterkeyhint: "send", maxlength: "500" });
    const send = el("button", { type: "submit", className: "send" }, "发送");
    const form = el("form", { className: "composer" }, attach, fileInput, input, send);
    const hint = el("p", { className: "hint" }, "演示系统，数据为虚构示例。请勿输入真实的个人信息。");

    const panel = el("section", { id: "govchat-panel", className: `panel ${options.position}`, role: "dialog",
      "aria-labelledby": titleId, hidden: true }, header, log, typing, status, form, hint);
    root.append(stylesheet, launcher, panel);
    document.body.append(host);

    // --- user actions -----------------------------------------------------------------------
    launcher.addEventListener("click", () => handlers.onOpen());
    closeButton.addEventListener("click", () => handlers.onClose());
    largeToggle.addEventListener("click", () => handlers.onLargeText(largeToggle.getAttribute("aria-pressed") !== "true"));
    endButton.addEventListener("click", () => {
      if (window.confirm("结束本次对话并清除本机上的聊天记录？如已登录，将同时退出登录。")) handlers.onReset();
    });
    // Same breakpoint as the CSS: there the panel covers the page, so it behaves as a modal
    // dialog and Tab cycles inside it instead of wandering into the hidden page.
    const fullScreen = window.matchMedia("(max-width: 600px), (max-height: 500px)");
    const syncModal = () => panel.setAttribute("aria-modal", String(fullScreen.matches));
    syncModal();
    fullScreen.addEventListener("change", syncModal);

    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        handlers.onClose();
      } else if (event.key === "Tab" && fullScreen.matches) {
        const focusable = [...panel.querySelectorAll("button:not(:disabled), input:not([hidden]), [tabindex='0']")];
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (event.shiftKey && root.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && root.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      handlers.onSend(text, text);
    });
    attach.addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      fileInput.value = ""; // choosing the same file again must fire "change" again
      if (file) handlers.onUpload(file);
    });

    // --- rendering ----------------------------------------------------------------------------
    function scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    }

    function removeQuickReplies() {
      for (const group of log.querySelectorAll(".quick-replies")) group.remove();
    }

    function quickReplies(buttons) {
      const group = el("div", { className: "quick-replies", role: "group", "aria-label": "可选的回复" });
      for (const button of buttons) {
        const node = el("button", { type: "button", className: "quick-reply" }, String(button.title));
        node.addEventListener("click", () => {
          removeQuickReplies();
          input.focus(); // the clicked button is gone; keep keyboard users in the conversation
          handlers.onSend(String(button.payload), String(button.title));
        });
        group.append(node);
      }
      return group;
    }

    const SPEAKERS = { user: "我说：", bot: "助手说：", notice: "提示：" };

    function addEntry(entry) {
      const from = SPEAKERS[entry.from] ? entry.from : "notice";
      if (from === "user") removeQuickReplies();
      const bubble = el("div", { className: "bubble" }, el("span", { className: "sr-only" }, SPEAKERS[from]));
      if (entry.text) bubble.append(richText(entry.text));
      if (entry.image && /^https?:\/\//.test(entry.image)) {
        bubble.append(el("img", { src: entry.image, alt: "助手发送的图片", loading: "lazy" }));
      }
      const row = el("div", { className: `message ${from}` }, bubble);
      if (from === "bot" && Array.isArray(entry.buttons) && entry.buttons.length) {
        row.append(quickReplies(entry.buttons));
      }
      log.append(row);
      if (from === "bot") setCodeEntry(CODE_PROMPT.test(entry.text || ""));
      scrollToEnd();
    }

    // While the bot waits for the SMS code, phones show the digit keypad and may autofill it.
    function setCodeEntry(on) {
      input.setAttribute("inputmode", on ? "numeric" : "text");
      input.setAttribute("autocomplete", on ? "one-time-code" : "off");
      input.setAttribute("placeholder", on ? "请输入短信中的6位验证码" : "请输入您的问题");
    }

    return {
      addEntry,
      expectingCode: () => input.getAttribute("inputmode") === "numeric",
      clear() {
        log.replaceChildren();
        setCodeEntry(false);
      },
      setOpen(open, { focus = true } = {}) {
        panel.hidden = !open;
        launcher.hidden = open;
        launcher.setAttribute("aria-expanded", String(open));
        host.classList.toggle("open", open);
        if (open) {
          scrollToEnd();
          if (focus) input.focus();
        } else if (focus) {
          launcher.focus();
        }
      },
      setLargeText(on) {
        panel.classList.toggle("large", on);
        launcher.classList.toggle("large", on);
        largeToggle.setAttribute("aria-pressed", String(on));
      },
      setTyping(on) {
        typing.textContent = on ? "助手正在输入…" : "";
      },
      setStatus(text) {
        status.textContent = text || "";
      },
      setUploading(busy) {
        attach.disabled = busy;
      },
    };
  }

  window.GovChat.parts.createView = createView;
})();
