// The Live page's browser side (st.components.v2; runs in the page itself, not in an iframe):
//  * the coach's column, drawn from the HTML Python sends (pose.live_view), its buttons'
//    clicks handed back like key presses;
//  * one document-level key handler - Enter START (before it), space pause/resume, S skip,
//    P pain stop, F full screen - also listening inside the video's iframe, so a key works
//    wherever the focus is (and Enter never presses the video's STOP by accident);
//  * the voice: plays the utterances the session decided (pose/voice.py) one at a time,
//    highest priority first, a safety warning cutting off whatever is being said and a
//    transition or countdown cutting off a coaching cue (pose/voice.py, cuts_below), only with
//    a voice of this computer (localService): some default voices send the text to a server;
//  * a log of everything said for tests: window.__stretchcheckSpeech.
// Called again at every rerun with new data: all state lives on window.__stretchcheck.

const KEYS = { " ": "toggle_pause", "s": "skip", "p": "pain" };

function state() {
  const w = window;
  if (!w.__stretchcheck) {
    w.__stretchcheck = {
      seen: 0, queue: [], speaking: null, voiceOn: true, voice: null, localVoice: null,
      voicesAskedAt: null, retry: null,
      setState: null, hooked: new WeakSet(), keys: [], keyCount: 0,
    };
    w.__stretchcheckSpeech = [];
  }
  return w.__stretchcheck;
}

function onKey(event) {
  const s = state();
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const tag = target && target.tagName ? target.tagName.toLowerCase() : "";
  if (tag === "input" || tag === "textarea" || tag === "select" ||
      (target && target.isContentEditable)) return;  // typing a profile name
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const own = target && target.closest && target.closest('[data-action="start"]');
  if (key === "Enter" && document.querySelector(
        '[data-testid="live-start"], [data-testid="live-again"]') &&
      (own || !["a", "button", "summary"].includes(tag))) {
    // Before START, or after STOP: Enter starts the camera, unless the focus is on a link or
    // another button (Tab to "Review" and Enter opens Review; the video's own START starts
    // it anyway).
    event.preventDefault();
    event.stopPropagation();
    startCamera();
    return;
  }
  if (key === "Enter" && tag === "button" && target.ownerDocument !== document) {
    // After START is clicked the focus stays on the video's STOP, put where START was: Enter,
    // pressed by someone fumbling for a key (in the pain questions too), ended the session.
    // The video's buttons answer the mouse only; the coach's own keys are named on its
    // buttons.
    event.preventDefault();
    event.stopPropagation();
    return;
  }
  if (key === "f") {
    event.preventDefault();
    toggleFullScreen();
    return;
  }
  // A button of the panel that names this key (the pain questions' answers) comes first.
  const keyed = /^[0-9a-z]$/.test(key) &&
    document.querySelector(`[data-testid="live-panel"] [data-key="${key}"]`);
  const action = keyed ? keyed.dataset.action : KEYS[key];
  if (!action || !s.setState) return;
  event.preventDefault();  // space would scroll the page or press a focused button
  press(action);
}

function press(action) {
  // Kept as state, not a one-off trigger: a key pressed or a button clicked while the page is
  // rerunning must not be lost. Python handles each numbered press once.
  const s = state();
  if (!s.setState) return;
  s.keys = s.keys.concat([{ action: action, n: Date.now() * 1000 + (s.keyCount++ % 1000) }])
    .slice(-10);
  s.setState("pressed", s.keys);
}

function onClick(event) {
  const b = event.target.closest("[data-action]");
  if (!b) return;
  event.preventDefault();
  if (b.dataset.action === "fullscreen") { toggleFullScreen(); return; }
  if (b.dataset.action === "start") { startCamera(); return; }
  press(b.dataset.action);
}

function draw(root, parts) {
  // The panel's parts, as HTML from Python (pose.live_view), each redrawn only when it
  // changed: the card changes with every frame, the buttons seldom, and a button redrawn under
  // a pressing finger would lose the click.
  while (root.children.length < parts.length) root.appendChild(document.createElement("div"));
  while (root.children.length > parts.length) root.removeChild(root.lastChild);
  parts.forEach((markup, i) => {
    const part = root.children[i];
    if (part.__markup === markup) return;
    part.__markup = markup;
    part.innerHTML = markup;
  });
}

function startCamera() {
  // The video's START, pressed for the large one on the start card and for Enter: the same
  // click, so the camera starts exactly as from its own button.
  for (const frame of document.querySelectorAll('iframe[title*="streamlit_webrtc"]')) {
    try {
      const start = Array.from(frame.contentDocument.querySelectorAll("button"))
        .find((b) => /^start$/i.test(b.textContent.trim()));
      if (start) { start.click(); return true; }
    } catch (e) { /* another origin: not ours */ }
  }
  return false;
}

function toggleFullScreen() {
  const doc = window.document;
  if (doc.fullscreenElement) {
    doc.exitFullscreen().catch(() => {});
  } else {
    doc.documentElement.requestFullscreen().catch(() => {});
  }
}

function lowLatency(win) {
  // The browser delays incoming video to smooth out network jitter; the coach's picture is
  // better late by nothing, so the panel and the video agree: ask for no extra delay.
  const pc = win.RTCPeerConnection && win.RTCPeerConnection.prototype;
  if (!pc || pc.__stretchcheckLowLatency) return;
  pc.__stretchcheckLowLatency = true;
  const original = pc.setRemoteDescription;
  pc.setRemoteDescription = function (...args) {
    return original.apply(this, args).then((result) => {
      for (const receiver of this.getReceivers()) {
        try { receiver.jitterBufferTarget = 0; } catch (e) { /* older browser */ }
      }
      return result;
    });
  };
}

function hookFrames() {
  // Keys typed while the focus is in an iframe (the video) reach that iframe's document only.
  const s = state();
  for (const frame of document.querySelectorAll("iframe")) {
    try {
      const doc = frame.contentDocument;
      if (doc && !s.hooked.has(doc)) {
        doc.addEventListener("keydown", onKey, true);
        s.hooked.add(doc);
      }
      if (frame.contentWindow) lowLatency(frame.contentWindow);
    } catch (e) { /* another origin: not ours */ }
  }
}

// -- the voice ----------------------------------------------------------------------------

// Chromium lists its voices only a while after the page has loaded ("voiceschanged";
// getVoices() is [] until then, ~0.5-2 s with speech-dispatcher, longer on a busy computer):
// until this long after the first words waited for a voice, an empty list means "not yet",
// not "no local voice", and what is to be said waits (within its ttl). The clock starts with
// the first words, not with the page: a page opened long before START has not been told
// anything yet (on a loaded machine the page once said "no voice" to a browser that had one).
const VOICE_WAIT_MS = 5000;

function pickVoice() {
  const s = state();
  if (!("speechSynthesis" in window)) { s.localVoice = false; return null; }
  const voices = window.speechSynthesis.getVoices();
  if (!voices.length && (s.voicesAskedAt === null ||
                         performance.now() - s.voicesAskedAt < VOICE_WAIT_MS)) {
    s.localVoice = null;  // still loading
    return null;
  }
  const local = voices.filter((v) => v.localService);
  const english = local.filter((v) => (v.lang || "").toLowerCase().startsWith("en"));
  s.voice = english.find((v) => v.default) || english[0] || local[0] || null;
  s.localVoice = s.voice !== null;
  return s.voice;
}

function log(u, status, start, end) {
  window.__stretchcheckSpeech.push({
    id: u.id, text: u.text, priority: u.priority, status: status,
    queued: u.queuedAt, start: start, end: end,
  });
}

function speakNext() {
  const s = state();
  if (s.speaking || !s.queue.length) return;
  s.queue.sort((a, b) => (b.priority - a.priority) || (a.id - b.id));
  while (s.queue.length) {
    const u = s.queue.shift();
    const now = performance.now();
    if (now - u.queuedAt > u.ttl_ms) { log(u, "dropped", now, now); continue; }
    if (!s.voiceOn) { log(u, "voice off", now, now); continue; }
    if (s.voicesAskedAt === null) s.voicesAskedAt = now;
    if (!s.voice && !pickVoice()) {
      if (s.localVoice === null) {  // the voices are still loading: try again shortly
        s.queue.unshift(u);
        if (!s.retry) s.retry = setTimeout(() => { s.retry = null; speakNext(); }, 250);
        return;
      }
      if (s.setState) s.setState("local_voice", s.localVoice);
      log(u, "no local voice", now, now);
      continue;
    }
    const utterance = new SpeechSynthesisUtterance(u.text);
    utterance.voice = s.voice;
    utterance.lang = s.voice.lang;
    utterance.rate = 0.95;
    const entry = { u: u, start: now, utterance: utterance, done: false };
    s.speaking = entry;
    const finish = (status) => {
      if (entry.done) return;
      entry.done = true;
      log(u, entry.interrupted ? "interrupted" : status, entry.start, performance.now());
      if (s.speaking === entry) s.speaking = null;
      speakNext();
    };
    utterance.onend = () => finish("spoken");
    utterance.onerror = (e) => finish(e && e.error === "interrupted" ? "interrupted" : "error");
    window.speechSynthesis.speak(utterance);
    return;
  }
}

function enqueue(utterances) {
  const s = state();
  let cutsBelow = 0;
  for (const u of utterances || []) {
    if (u.id <= s.seen) continue;  // said (or dropped) before this rerun
    s.seen = u.id;
    s.queue.push(Object.assign({ queuedAt: performance.now() }, u));
    cutsBelow = Math.max(cutsBelow, u.cuts_below || 0);
  }
  if (s.speaking && s.speaking.u.priority < cutsBelow) {
    // A safety warning cuts off anything else, a transition or countdown a coaching cue.
    s.speaking.interrupted = true;
    window.speechSynthesis.cancel();
  }
  speakNext();
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const s = state();
  const root = parentElement && parentElement.querySelector(".sc-panel");
  if (root && !root.__wired) {
    root.__wired = true;
    root.addEventListener("click", onClick);
  }
  if (!s.installed) {
    s.installed = true;
    document.addEventListener("keydown", onKey, true);
    setInterval(hookFrames, 1000);
    if ("speechSynthesis" in window) {
      // No "voiceschanged" comes where there is no voice at all: the words waiting for one
      // find that out when the wait is over (speakNext tries again every 250 ms).
      window.speechSynthesis.addEventListener("voiceschanged", () => {
        pickVoice();
        if (s.setState) s.setState("local_voice", s.localVoice);
        speakNext();
      });
    }
  }
  s.setState = setStateValue;
  hookFrames();
  const d = data || {};
  if (root) draw(root, d.parts || []);
  s.voiceOn = d.voice_on !== false;
  if (s.localVoice === null) pickVoice();
  if (d.known_local_voice !== s.localVoice) setStateValue("local_voice", s.localVoice);
  if (!s.voiceOn && s.speaking) window.speechSynthesis.cancel();
  enqueue(d.utterances);
}
