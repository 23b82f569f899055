// A stand-in for the computer's speech engine, for the browser test: headless Chromium here
// has no voice at all. It behaves as the Web Speech API does - one utterance at a time, onend
// when done (about 14 characters a second), cancel() ends the current one with the error
// "interrupted" - and offers one local voice and one network voice, so the page's choice of a
// local voice is tested too.
(() => {
  const voices = [
    { name: "Test local voice", lang: "en-GB", localService: true, default: true, voiceURI: "local" },
    { name: "Test network voice", lang: "en-US", localService: false, default: false, voiceURI: "net" },
  ];
  let current = null;
  const queue = [];
  const engine = {
    speaking: false, pending: false, paused: false,
    getVoices: () => voices.slice(),
    addEventListener: () => {}, removeEventListener: () => {},
    speak(u) { queue.push(u); this.pending = true; next(); },
    cancel() {
      queue.length = 0;
      if (current) { const u = current; clearTimeout(u.__timer); current = null;
                     engine.speaking = false; if (u.onerror) u.onerror({ error: "interrupted" }); }
    },
    pause() {}, resume() {},
  };
  window.__speechStandIn = { started: [] };
  function next() {
    if (current || !queue.length) { engine.pending = queue.length > 0; return; }
    const u = queue.shift();
    current = u; engine.speaking = true;
    window.__speechStandIn.started.push({ text: u.text, voice: u.voice && u.voice.name });
    if (u.onstart) u.onstart({});
    u.__timer = setTimeout(() => {
      current = null; engine.speaking = false;
      if (u.onend) u.onend({});
      next();
    }, 300 + 70 * u.text.length);
  }
  Object.defineProperty(window, "speechSynthesis", { value: engine, configurable: true });
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.voice = null; this.lang = ""; this.rate = 1; }
  };
})();
