/*
 * What the widget remembers in the browser, so a page reload (or the next page of the portal)
 * continues the same conversation: the Rasa session id, the visible transcript, whether the
 * panel was open, and the large-text choice. Keys are per Rasa server.
 *
 * The transcript can hold personal data shown after login, so it is dropped after
 * `historyHours` without activity, and "结束对话" clears it (see chat.js).
 */
(() => {
  "use strict";

  const MAX_ENTRIES = 200; // keep the stored transcript small; older entries drop off the top

  // 32 hex digits from the CSPRNG. crypto.randomUUID exists only in secure contexts (https),
  // and portals are sometimes tested over plain http.
  function newSessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function pickStorage(kind) {
    try {
      const storage = kind === "session" ? window.sessionStorage : window.localStorage;
      const probe = "govchat:probe";
      storage.setItem(probe, "1");
      storage.removeItem(probe);
      return storage;
    } catch (err) {
      return null; // private mode or storage disabled: the widget still works, without memory
    }
  }

  function createStore(options) {
    const storage = pickStorage(options.storage);
    const prefix = `govchat:${options.server}:`;
    const memory = {}; // fallback when storage is unavailable

    const read = (key, fallback) => {
      try {
        const raw = storage ? storage.getItem(prefix + key) : memory[key];
        return raw == null ? fallback : JSON.parse(raw);
      } catch (err) {
        return fallback; // damaged value: start over rather than break the page
      }
    };
    const write = (key, value) => {
      const raw = JSON.stringify(value);
      try {
        if (storage) storage.setItem(prefix + key, raw);
        else memory[key] = raw;
      } catch (err) {
        // Quota exceeded: keep working; the transcript is a convenience, not the record.
      }
    };
    const remove = (key) => {
      if (storage) storage.removeItem(prefix + key);
      delete memory[key];
    };

    // Forget a conversation that has been idle for too long.
    const lastActive = read("lastActive", 0);
    if (lastActive && Date.now() - lastActive > options.historyHours * 3600 * 1000) {
      remove("session");
      remove("token");
      remove("transcript");
    }

    return {
      sessionId() {
        let id = read("session", null);
        if (typeof id !== "string" || !/^[A-Za-z0-9_-]{16,128}$/.test(id)) {
          id = newSessionId();
          write("session", id);
        }
        return id;
      },
      setSessionId(id) { write("session", id); },
      // The token the server issued for the session (session_confirm); it proves the session is ours.
      token() {
        const token = read("token", null);
        return typeof token === "string" ? token : null;
      },
      setToken(token) {
        if (typeof token === "string" && token) write("token", token);
        else remove("token");
      },

      transcript() {
        const entries = read("transcript", []);
        return Array.isArray(entries) ? entries.filter((e) => e && typeof e.text === "string") : [];
      },
      append(entry) {
        const entries = this.transcript();
        entries.push(entry);
        write("transcript", entries.slice(-MAX_ENTRIES));
        write("lastActive", Date.now());
      },
      // Quick replies are only offered on the newest bot message; older ones are spent.
      dropButtons() {
        const entries = this.transcript();
        if (entries.some((e) => e.buttons)) {
          write("transcript", entries.map(({ buttons, ...rest }) => rest));
        }
      },

      isOpen() { return read("open", options.startOpen) === true; },
      setOpen(open) { write("open", Boolean(open)); },
      largeText() { return read("largeText", options.largeText) === true; },
      setLargeText(on) { write("largeText", Boolean(on)); },

      // "结束对话": a new session id and an empty transcript; preferences stay.
      forgetConversation() {
        remove("transcript");
        remove("lastActive");
        remove("token");
        write("session", newSessionId());
      },
    };
  }

  window.GovChat.parts.createStore = createStore;
})();
