// B8: the expected end of each batch and of the whole upgrade, in the browser, with the same
// arithmetic as rollout/dashboard/eta.py. Times are milliseconds on the server's clock.

/** Mean of the completed batches' durations (seconds), else the nominal estimate. */
export function batchEstimate(batches, nominalSeconds) {
  const observed = batches
    .filter((b) => b.started_at !== null && b.completed_at !== null)
    .map((b) => (b.completed_at - b.started_at) / 1000);
  if (!observed.length) return { seconds: nominalSeconds, observed: 0 };
  return { seconds: observed.reduce((a, b) => a + b, 0) / observed.length, observed: observed.length };
}

/** {ends: Map(index -> ms), overall: ms|null} for the batches not completed yet. */
export function expectedEnds(batches, now, estimateSeconds, pauseSeconds, paused) {
  const ends = new Map();
  const estimate = estimateSeconds * 1000;
  const pause = pauseSeconds * 1000;
  let cursor = null;
  const ordered = [...batches].sort((a, b) => a.index - b.index);
  for (const batch of ordered) {
    if (batch.completed_at !== null) {
      cursor = batch.completed_at;
      continue;
    }
    let end;
    if (batch.started_at !== null) {
      end = Math.max(batch.started_at + estimate, now);
    } else {
      if (paused) return { ends, overall: null };
      const start = cursor === null ? now : Math.max(cursor + pause, now);
      end = start + estimate;
    }
    ends.set(batch.index, end);
    cursor = end;
  }
  if (!ends.size) return { ends, overall: null };
  return { ends, overall: Math.max(...ends.values()) };
}
