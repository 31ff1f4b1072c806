// A websocket that comes back: after a network drop or a server restart it reconnects with
// the stream position it has (`after()`: ?after=<sequence>), and the server sends what was
// committed since. Messages are queued and handed over once per animation frame, so one
// engine step (one message) or a burst of them costs one repaint.

const statusEl = () => document.getElementById("live-status");

export class LiveSocket {
  constructor(path, { after, onMessages, onStatus } = {}) {
    this.path = path;
    this.after = after || (() => null);
    this.onMessages = onMessages;
    this.onStatus = onStatus || showStatus;
    this.queue = [];
    this.frame = 0;
    this.delay = 500;
    this.closed = false;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const position = this.after();
    const after = position !== null && position !== undefined ? `?after=${position}` : "";
    const socket = new WebSocket(`${scheme}://${location.host}${this.path}${after}`);
    this.socket = socket;
    this.onStatus(after ? "resuming" : "connecting");
    socket.addEventListener("open", () => {
      this.delay = 500;
      this.onStatus("live");
    });
    socket.addEventListener("message", (event) => {
      this.queue.push(JSON.parse(event.data));
      if (this.frame) return;
      // A hidden tab gets no animation frames: keep its state current at a slower pace.
      this.frame = document.hidden
        ? setTimeout(() => this.flush(), 500)
        : requestAnimationFrame(() => this.flush());
    });
    socket.addEventListener("close", () => {
      if (this.closed) return;
      this.onStatus("offline");
      const wait = this.delay;
      this.delay = Math.min(this.delay * 2, 8000);
      setTimeout(() => this.connect(), wait + Math.random() * 250);
    });
  }

  /** Ask the server for the events after `after` (a sequence), or a fresh snapshot (null). */
  resync(after = null) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(after === null ? { type: "resync" } : { type: "resync", after }));
    }
  }

  flush() {
    this.frame = 0;
    const messages = this.queue;
    this.queue = [];
    if (messages.length) this.onMessages(messages);
  }
}

const WORDS = {
  connecting: "Connecting…",
  resuming: "Catching up…",
  live: "Live",
  offline: "Reconnecting…",
};

export function showStatus(status) {
  const el = statusEl();
  if (!el) return;
  el.hidden = false;
  el.dataset.status = status;
  el.querySelector(".live-text").textContent = WORDS[status] || status;
  el.title = status === "live" ? "Receiving every change as it is committed" : "";
}
