/*
 * Chat widget for the Professional Support triage assistant (Rasa socket.io channel).
 *
 * - Connects to Rasa's socket.io channel (credentials.yml: user_uttered / bot_uttered,
 *   session_persistence: true): on every (re)connect it sends `session_request` with the
 *   stored session id and waits for `session_confirm` before sending anything.
 * - The session id and the transcript are kept in localStorage, so a reload shows the
 *   history and continues the same conversation; 「会話をリセット」 starts a new one.
 * - Messages typed while disconnected are queued and sent after the reconnect.
 * - Every text is inserted with textContent (never innerHTML).
 * - Enter sends, Shift+Enter inserts a newline, and Enter while an IME composition is
 *   active (kana → kanji conversion) never sends.
 */
(function () {
  'use strict';

  var config = window.SUPPORT_CHAT_CONFIG || {};
  var STORAGE_KEY = config.storageKey || 'professionalSupportChat.v1';
  var MAX_ENTRIES = 300;
  var TYPING_TIMEOUT_MS = 20000;

  var TEXT = {
    connecting: '接続中…',
    online: '接続しました',
    reconnecting: '再接続しています…',
    unavailable: 'サーバーに接続できません。自動で再接続しています…',
    noLibrary: 'チャットを読み込めませんでした。時間をおいてページを再読み込みしてください。',
    bot: 'アシスタント：',
    user: 'あなた：',
    pending: '接続後に送信します',
    choices: '選択肢'
  };

  var el = {
    log: document.getElementById('chat-log'),
    hint: document.getElementById('chat-hint'),
    status: document.getElementById('chat-status'),
    typing: document.getElementById('chat-typing'),
    form: document.getElementById('chat-form'),
    input: document.getElementById('chat-input'),
    send: document.getElementById('chat-send'),
    reset: document.getElementById('chat-reset')
  };

  // ------------------------------------------------------------------ storage
  function emptyState() {
    return { sessionId: null, entries: [] };
  }

  function loadState() {
    try {
      var raw = window.localStorage.getItem(STORAGE_KEY);
      if (!raw) return emptyState();
      var data = JSON.parse(raw);
      if (!data || typeof data !== 'object' || !Array.isArray(data.entries)) return emptyState();
      return {
        sessionId: typeof data.sessionId === 'string' && data.sessionId ? data.sessionId : null,
        entries: data.entries.filter(function (e) {
          return e && (e.from === 'bot' || e.from === 'user') && typeof e.text === 'string';
        })
      };
    } catch (err) {
      return emptyState();
    }
  }

  function saveState() {
    try {
      if (state.entries.length > MAX_ENTRIES) state.entries = state.entries.slice(-MAX_ENTRIES);
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (err) {
      // Storage full or disabled: the chat still works, only without history.
    }
  }

  var state = loadState();
  var ready = false;          // connected and session confirmed
  var everConnected = false;
  var typingTimer = null;

  // ---------------------------------------------------------------- rendering
  var PHONE = /0\d{1,4}-\d{1,4}-\d{3,4}/g;

  // Text with line breaks kept (CSS white-space: pre-wrap) and phone numbers as tel: links.
  function fillText(node, text) {
    var last = 0;
    var match;
    PHONE.lastIndex = 0;
    while ((match = PHONE.exec(text)) !== null) {
      if (match.index > last) node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement('a');
      link.href = 'tel:' + match[0].replace(/-/g, '');
      link.textContent = match[0];
      node.appendChild(link);
      last = match.index + match[0].length;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function choiceTitle(title) {
    // The terminal chat numbers its choices ("1. はい…"); buttons need no numbers.
    return String(title == null ? '' : title).replace(/^\s*\d+\.\s*/, '');
  }

  function renderEntry(entry, active) {
    var item = document.createElement('div');
    item.className = 'msg msg--' + entry.from + (entry.pending ? ' msg--pending' : '');

    var who = document.createElement('span');
    who.className = 'visually-hidden';
    who.textContent = entry.from === 'bot' ? TEXT.bot : TEXT.user;
    item.appendChild(who);

    var bubble = document.createElement('p');
    bubble.className = 'msg__text';
    if (entry.from === 'bot') fillText(bubble, entry.text);
    else bubble.textContent = entry.text;
    item.appendChild(bubble);

    if (entry.pending) {
      var note = document.createElement('span');
      note.className = 'msg__note';
      note.textContent = TEXT.pending;
      item.appendChild(note);
    }

    if (entry.buttons && entry.buttons.length) {
      var group = document.createElement('div');
      group.className = 'msg__choices';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', TEXT.choices);
      entry.buttons.forEach(function (button) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'msg__choice';
        b.textContent = button.title;
        b.disabled = !active;
        b.addEventListener('click', function () {
          if (b.disabled) return;
          sendMessage(button.payload, button.title);
          el.input.focus();
        });
        group.appendChild(b);
      });
      item.appendChild(group);
    }
    return item;
  }

  // Choices stay active only on bot messages the user has not answered yet.
  function isActive(index) {
    for (var i = index + 1; i < state.entries.length; i++) {
      if (state.entries[i].from === 'user') return false;
    }
    return true;
  }

  function renderAll() {
    Array.prototype.slice.call(el.log.querySelectorAll('.msg')).forEach(function (node) {
      node.parentNode.removeChild(node);
    });
    el.hint.hidden = state.entries.length > 0;
    state.entries.forEach(function (entry, index) {
      el.log.appendChild(renderEntry(entry, isActive(index)));
    });
    scrollToEnd();
  }

  function disableAnsweredChoices() {
    Array.prototype.forEach.call(el.log.querySelectorAll('.msg__choice'), function (b) {
      b.disabled = true;
    });
  }

  function append(entry) {
    if (entry.from === 'user') disableAnsweredChoices();
    state.entries.push(entry);
    saveState();
    el.hint.hidden = true;
    var node = renderEntry(entry, true);
    el.log.appendChild(node);
    scrollToEnd();
    return node;
  }

  function scrollToEnd() {
    el.log.scrollTop = el.log.scrollHeight;
  }

  function setStatus(kind) {
    el.status.dataset.state = kind;
    el.status.textContent = TEXT[kind];
  }

  function showTyping(on) {
    if (typingTimer) window.clearTimeout(typingTimer);
    typingTimer = null;
    el.typing.hidden = !on;
    if (on) typingTimer = window.setTimeout(function () { showTyping(false); }, TYPING_TIMEOUT_MS);
  }

  // ------------------------------------------------------------------ sending
  function emitEntry(entry) {
    socket.emit('user_uttered', { message: entry.message, session_id: state.sessionId });
    showTyping(true);
  }

  // message: what the bot receives (text or a button payload); shown: the user's bubble.
  function sendMessage(message, shown) {
    if (typeof message !== 'string' || !message.trim()) return false;
    var entry = { from: 'user', text: shown == null ? message : String(shown), message: message };
    if (!ready) entry.pending = true;
    append(entry);
    if (ready) emitEntry(entry);
    return true;
  }

  // After (re)connecting: send what was typed while offline, in order.
  function flushPending() {
    var changed = false;
    state.entries.forEach(function (entry) {
      if (entry.pending) {
        delete entry.pending;
        emitEntry(entry);
        changed = true;
      }
    });
    if (changed) {
      saveState();
      renderAll();
    }
  }

  function submitInput() {
    var text = el.input.value;
    if (!text.trim()) return;
    if (sendMessage(text)) el.input.value = '';
  }

  // ---------------------------------------------------------------- input/IME
  var composing = false;
  el.input.addEventListener('compositionstart', function () { composing = true; });
  el.input.addEventListener('compositionend', function () { composing = false; });
  el.input.addEventListener('blur', function () { composing = false; });

  el.input.addEventListener('keydown', function (event) {
    // keyCode 229: the key went to the IME (Safari reports the confirming Enter this way
    // right after compositionend); isComposing / our flag: a conversion is in progress.
    if (event.isComposing || event.keyCode === 229 || composing) return;
    if (event.key !== 'Enter' || event.shiftKey || event.altKey) return;
    event.preventDefault();
    submitInput();
  });

  el.form.addEventListener('submit', function (event) {
    event.preventDefault();
    submitInput();
    el.input.focus();
  });

  // ---------------------------------------------------------------- socket.io
  if (typeof window.io !== 'function') {
    setStatus('noLibrary');
    el.send.disabled = true;
    renderAll();
    return;
  }

  var socketUrl = config.socketUrl || (window.location.protocol + '//' + window.location.hostname + ':5005');
  var socket = window.io(socketUrl, {
    path: config.socketPath || '/socket.io',
    // WebSocket only: the Rasa server is on another origin and its engine.io server
    // sends no CORS headers for long-polling.
    transports: ['websocket'],
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
    timeout: 10000
  });

  socket.on('connect', function () {
    socket.emit('session_request', { session_id: state.sessionId });
  });

  socket.on('session_confirm', function (data) {
    var id = typeof data === 'string' ? data : data && data.session_id;
    if (!id) return;
    if (state.sessionId !== id) {
      state.sessionId = id;
      saveState();
    }
    ready = true;
    everConnected = true;
    setStatus('online');
    flushPending();
  });

  socket.on('disconnect', function (reason) {
    ready = false;
    showTyping(false);
    if (reason !== 'io client disconnect') setStatus('reconnecting');
  });

  socket.on('connect_error', function () {
    ready = false;
    setStatus(everConnected ? 'reconnecting' : 'unavailable');
  });

  socket.io.on('reconnect_attempt', function () {
    setStatus('reconnecting');
  });

  socket.on('bot_uttered', function (message) {
    if (!message || typeof message !== 'object') return;
    var text = typeof message.text === 'string' ? message.text : '';
    var raw = Array.isArray(message.quick_replies) ? message.quick_replies
      : Array.isArray(message.buttons) ? message.buttons : [];
    var buttons = raw
      .filter(function (b) { return b && typeof b.payload === 'string' && b.payload; })
      .map(function (b) { return { title: choiceTitle(b.title || b.payload), payload: b.payload }; });
    if (!text && !buttons.length) return;
    showTyping(false);
    append({ from: 'bot', text: text, buttons: buttons });
  });

  // -------------------------------------------------------------------- reset
  el.reset.addEventListener('click', function () {
    state = emptyState();
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (err) { /* ignore */ }
    ready = false;
    showTyping(false);
    el.input.value = '';
    renderAll();
    setStatus('connecting');
    // A new connection leaves the old session's room; session_request without an id
    // makes the server issue a new session id.
    socket.disconnect();
    socket.connect();
    el.input.focus();
  });

  renderAll();

  // For debugging in the browser console and for the browser test.
  window.supportChat = {
    socket: socket,
    get sessionId() { return state.sessionId; },
    get ready() { return ready; }
  };
})();
