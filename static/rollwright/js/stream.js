// One scale set's ordered stream (rollout/events/streams.py): every event of a scale set
// carries a sequence number allocated in commit order, and a snapshot the sequence it
// reflects. This applies events strictly in that order:
//
// - an event at or below the sequence reached is already in the state: dropped;
// - the next one is applied, with whatever was waiting behind it;
// - one further ahead waits in `pending`: the missing ones are usually a moment behind (two
//   processes' broadcasts can cross on the way); if they have not come after GRACE_MS, the
//   gap is repaired: the server is asked for the events after the sequence reached (or a
//   snapshot, when too much is missing);
// - the server's heartbeat (`head`) says when the stream is ahead of us with nothing on the
//   way (a message the channel layer dropped): repaired the same way.
//
// Events of no scale set (sequence null) pass straight through.

const GRACE_MS = 400;
const RETRY_MS = 3000;
const MAX_PENDING = 5000;

export class StreamOrder {
  constructor({ sequence = 0, apply, load, resync }) {
    this.sequence = sequence;
    this.apply = apply; // (events) -> void: contiguous, in order
    this.load = load; // (snapshot) -> void
    this.resync = resync; // (after | null) -> void: ask the server
    this.pending = new Map();
    this.head = sequence;
    this.timer = 0;
    this.gaps = 0; // repairs asked for: a test and the benchmark read it
    this.dropped = 0; // duplicates ignored
  }

  receive(message) {
    if (message.type === "snapshot") {
      const { sequence } = message.snapshot;
      this.load(message.snapshot);
      this.sequence = sequence;
      this.head = Math.max(this.head, sequence);
      for (const key of [...this.pending.keys()]) if (key <= sequence) this.pending.delete(key);
      this.drain([]);
    } else if (message.type === "events") {
      const loose = [];
      for (const event of message.events) {
        if (event.sequence === null || event.sequence === undefined) loose.push(event);
        else if (event.sequence <= this.sequence) this.dropped += 1;
        else this.pending.set(event.sequence, event);
      }
      this.drain(loose);
    } else if (message.type === "head") {
      this.head = Math.max(this.head, message.sequence);
      this.check();
    }
  }

  drain(run) {
    while (this.pending.has(this.sequence + 1)) {
      this.sequence += 1;
      run.push(this.pending.get(this.sequence));
      this.pending.delete(this.sequence);
    }
    if (this.sequence > this.head) this.head = this.sequence;
    if (run.length) this.apply(run);
    this.check();
  }

  behind() {
    return this.pending.size > 0 || this.head > this.sequence;
  }

  check() {
    if (!this.behind()) {
      clearTimeout(this.timer);
      this.timer = 0;
      return;
    }
    if (!this.timer) this.timer = setTimeout(() => this.repair(), GRACE_MS);
  }

  repair() {
    this.timer = 0;
    if (!this.behind()) return;
    this.gaps += 1;
    this.resync(this.pending.size > MAX_PENDING ? null : this.sequence);
    // If the answer is lost too (a reconnect), ask again.
    this.timer = setTimeout(() => this.repair(), RETRY_MS);
  }
}
