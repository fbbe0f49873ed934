/* The swept waveforms (widgets/waves.py lays the strips out; ui/live/waves.py sends the
 * binary packets of vitalsdash/waves.py).
 *
 * An element with data-wave-src (the bedside's wave panel, the central station's tile
 * grid) is a source: its packets are polled a few times a second, unless the bedside's
 * pushed stream carries them (bedside.js hands its "wave" events to ingest). Each bed in a
 * source has a player: one play-out clock for all its strips, so ECG, pleth and CO2 stay
 * in step. Samples arrive once per runtime tick, so the player plays about
 * TARGET_LAG_S behind the newest sample (a jitter buffer), at real time whatever the
 * clinic's speed, nudging its rate by at most 5% to hold that lag. It jumps to the live
 * edge when far behind (a hidden tab, a faster clinic: then the newest stretch of each
 * tick is shown); the sweep keeps its place on the screen and the trace goes on from
 * there after a break.
 *
 * Drawing: a left-to-right sweep on one canvas per strip, each frame only the samples
 * new since the last frame, with an erase bar ahead of the trace (no scrolling, no full
 * redraw but on opening and on resizing). The sweep speed is the registry's mm/s at
 * 96 CSS pixels per inch (3.78 px/mm, the CSS reference pixel): ECG and pleth 25 mm/s,
 * CO2 6.25 mm/s. A missing sample (NaN) draws nothing; when a strip's whole width is
 * missing samples, it says so (a dashed line, "Leads off", "No pleth").
 *
 * window.__vitalsWaves records, for the browser tests and benchmarks/bench_waves_ui.py,
 * the main-thread milliseconds of each animation frame (ms), per strip and frame the
 * session times of the first and last samples drawn and the largest step between drawn
 * samples (frames: [bed, wave, first, last, largest step]), and the packets' bytes.
 */
(function () {
  "use strict";

  var PX_PER_MM = 96 / 25.4;
  var TARGET_LAG_S = 1.25;
  var START_LAG_S = 1.75;  // a first packet comes right after a tick: the mean lag is 0.5 s less
  var JUMP_LAG_S = 3.0;    // this far behind, with no samples right ahead: to the live edge
  var FAR_LAG_S = 6.0;     // this far behind: to the live edge anyway
  var MAX_RATE_DEV = 0.05;
  var POLL_MS = 250;
  var RETRY_MS = 2000;
  var ERASE_PX = 14;
  var KEEP_S = 70;         // samples kept per wave: a wide CO2 sweep, and a resize redraws it
  var BACK_S = 5;          // a packet this much older than what a wave has: a new session
  var GAP = -32768;
  var REC_MAX = 20000;

  var rec = window.__vitalsWaves = {
    frames: [], ms: [], bytes: 0, packets: 0, jumps: 0, starved: 0, resets: 0
  };

  /* -- the packet ------------------------------------------------------------------ */

  var utf8 = new TextDecoder("utf-8");

  function decode(buffer) {
    var dv = new DataView(buffer);
    var bytes = new Uint8Array(buffer);
    if (bytes.length < 10 || bytes[0] !== 86 || bytes[1] !== 87 || bytes[2] !== 1) {
      throw new Error("not a waveform packet");
    }
    var seq = dv.getUint32(4, true);
    var n = dv.getUint16(8, true);
    var pos = 10;
    var segs = [];
    for (var s = 0; s < n; s++) {
      var bed = utf8.decode(bytes.subarray(pos + 1, pos + 1 + bytes[pos]));
      pos += 1 + bytes[pos];
      var wave = utf8.decode(bytes.subarray(pos + 1, pos + 1 + bytes[pos]));
      pos += 1 + bytes[pos];
      var rate = dv.getUint16(pos, true);
      var t0 = dv.getFloat64(pos + 2, true);
      var scale = dv.getFloat32(pos + 10, true);
      var count = dv.getUint32(pos + 14, true);
      pos += 18;
      var values = new Float32Array(count);
      var level = 0;
      var inRun = false;  // the first sample, and each after a gap, is absolute
      for (var k = 0; k < count; k++) {
        var c = dv.getInt16(pos + 2 * k, true);
        if (c === GAP) {
          values[k] = NaN;
          inRun = false;
        } else {
          level = inRun ? level + c : c;
          inRun = true;
          values[k] = level * scale;
        }
      }
      pos += 2 * count;
      segs.push({ bed: bed, wave: wave, rate: rate, t0: t0, v: values });
    }
    return { seq: seq, segs: segs };
  }

  function fromBase64(text) {
    var bin = window.atob(text);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  /* -- one wave's samples ---------------------------------------------------------- */

  function Track() {
    this.segs = [];
    this.end = -Infinity;  // just after the last sample
    this.last = -Infinity;  // the last sample's time
  }

  Track.prototype.add = function (seg) {
    var end = seg.t0 + seg.v.length / seg.rate;
    if (!seg.v.length || end <= this.end + 1e-6) {
      return;  // nothing new (a stream's backfill after a reconnect)
    }
    var t0 = seg.t0;
    var v = seg.v;
    if (t0 < this.end - 1e-6) {  // overlaps what is here: keep the new part
      var k = Math.round((this.end - t0) * seg.rate);
      v = v.subarray(k);
      t0 += k / seg.rate;
    }
    this.segs.push({ t0: t0, rate: seg.rate, v: v });
    this.end = end;
    this.last = end - 1 / seg.rate;
  };

  Track.prototype.prune = function (before) {
    var n = 0;
    while (n < this.segs.length - 1) {
      var s = this.segs[n];
      if (s.t0 + s.v.length / s.rate > before) {
        break;
      }
      n++;
    }
    if (n) {
      this.segs.splice(0, n);
    }
    return n;
  };

  /* -- one strip: a canvas and its read cursor into the track ---------------------- */

  var resizer = window.ResizeObserver ? new window.ResizeObserver(function (entries) {
    entries.forEach(function (e) {
      var strip = e.target.vitalsStrip;
      if (strip) {
        strip.resize(e.contentRect.width, e.contentRect.height);
      }
    });
  }) : null;

  function Strip(el, spec) {
    this.el = el;
    this.wave = spec.id;
    this.spec = spec;
    this.canvas = el.querySelector("canvas.wave-trace");
    this.off = el.querySelector(".wave-off");
    this.ctx = this.canvas.getContext("2d");
    this.pxs = spec.mm_s * PX_PER_MM;  // CSS px per second of wave
    this.w = 0;
    this.h = 0;
    this.dpr = 0;
    this.full = true;  // draw the whole width again (opening, resizing)
    this.seg = 0;
    this.k = 0;
    this.lastX = null;
    this.lastY = 0;
    this.lastT = -Infinity;
    this.lastValid = -Infinity;
    this.offShown = false;
    this.canvas.vitalsStrip = this;
    if (resizer) {
      resizer.observe(this.canvas);
    }
  }

  Strip.prototype.resize = function (w, h) {
    var dpr = window.devicePixelRatio || 1;
    if (w === this.w && h === this.h && dpr === this.dpr) {
      return;
    }
    this.w = w;
    this.h = h;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(h * dpr));
    var ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);  // draw in CSS pixels, sharp on any screen
    ctx.strokeStyle = this.spec.colour;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    this.full = true;
  };

  Strip.prototype.detach = function () {
    if (resizer) {
      resizer.unobserve(this.canvas);
    }
  };

  /* The read cursor to the first sample after time a. */
  Strip.prototype.seek = function (track, a) {
    var segs = track.segs;
    var i = 0;
    while (i < segs.length && segs[i].t0 + segs[i].v.length / segs[i].rate <= a) {
      i++;
    }
    this.seg = i;
    this.k = 0;
    if (i < segs.length && segs[i].t0 <= a) {
      this.k = Math.floor((a - segs[i].t0) * segs[i].rate + 1e-6) + 1;
    }
  };

  Strip.prototype.nextTime = function (track) {
    var s = track.segs[this.seg];
    if (!s) {
      return Infinity;
    }
    if (this.k < s.v.length) {
      return s.t0 + this.k / s.rate;
    }
    var next = track.segs[this.seg + 1];
    return next ? next.t0 : Infinity;
  };

  function clearSpan(ctx, a, b, w, h) {
    /* clear [a, b) of the sweep, in unwrapped x, on a canvas w wide */
    if (b - a >= w) {
      ctx.clearRect(0, 0, w, h);
      return;
    }
    var x0 = a - Math.floor(a / w) * w;
    var x1 = x0 + (b - a);
    ctx.clearRect(x0, 0, Math.min(x1, w) - x0, h);
    if (x1 > w) {
      ctx.clearRect(0, 0, x1 - w, h);
    }
  }

  /* Draw the samples in (a, b]; delta maps session time onto the sweep. Returns
     [first, last, largest step] of the samples drawn (null if none). */
  Strip.prototype.draw = function (track, a, b, delta, full) {
    var w = this.w;
    var h = this.h;
    if (!w || !h) {
      return null;
    }
    var ctx = this.ctx;
    var pxs = this.pxs;
    if (full) {
      ctx.clearRect(0, 0, w, h);
      a = b - Math.max(0, w - ERASE_PX) / pxs;
      this.seek(track, a);
      this.lastX = null;
    } else {
      clearSpan(ctx, (a + delta) * pxs + ERASE_PX, (b + delta) * pxs + ERASE_PX, w, h);
    }
    var hi = this.spec.hi;
    var span = this.spec.hi - this.spec.lo;
    var segs = track.segs;
    var first = null;
    var step = 0;
    var prevT = null;
    ctx.beginPath();
    if (this.lastX !== null) {
      ctx.moveTo(this.lastX, this.lastY);
    }
    while (this.seg < segs.length) {
      var s = segs[this.seg];
      if (this.k >= s.v.length) {
        this.seg++;
        this.k = 0;
        continue;
      }
      var t = s.t0 + this.k / s.rate;
      if (t > b) {
        break;
      }
      var v = s.v[this.k];
      this.k++;
      if (v !== v) {  // no sample: lead off, probe off
        this.lastX = null;
        continue;
      }
      var X = (t + delta) * pxs;
      var x = X - Math.floor(X / w) * w;
      var y = span > 0 ? (hi - v) / span * h : h / 2;
      y = y < 1 ? 1 : y > h - 1 ? h - 1 : y;
      if (this.lastX === null || x < this.lastX || t - this.lastT > 1.5 / s.rate) {
        ctx.moveTo(x, y);
      } else {
        ctx.lineTo(x, y);
      }
      this.lastX = x;
      this.lastY = y;
      this.lastT = t;
      this.lastValid = t;
      if (first === null) {
        first = t;
      } else if (t - prevT > step) {
        step = t - prevT;
      }
      prevT = t;
    }
    ctx.stroke();
    return first === null ? null : [first, prevT, step];
  };

  /* "Leads off" when the whole width shows no sample (only once samples have come). */
  Strip.prototype.showOff = function (p) {
    if (!this.off || !this.w) {
      return;
    }
    var off = p - this.lastValid > Math.max(0, this.w - ERASE_PX) / this.pxs;
    if (off !== this.offShown) {
      this.offShown = off;
      this.off.hidden = !off;
    }
  };

  /* -- one bed: its tracks, its strips, its play-out clock ------------------------- */

  function Player(bed) {
    this.bed = bed;
    this.strips = [];
    this.tracks = {};
    this.p = null;  // the session time drawn up to
    this.delta = 0;  // sweep position minus session time (changes at a jump)
    this.lag = TARGET_LAG_S;  // its smoothed lag behind the newest sample
    this.newest = -Infinity;
    this.frozen = false;
    this.shown = false;
    this.pruned = 0;
  }

  Player.prototype.reset = function () {
    this.tracks = {};
    this.p = null;
    this.newest = -Infinity;
    this.strips.forEach(function (s) {
      s.full = true;
      s.lastValid = -Infinity;
      if (s.w) {
        s.ctx.clearRect(0, 0, s.w, s.h);
      }
    });
    rec.resets += 1;
  };

  Player.prototype.add = function (segs) {
    var self = this;
    var ends = {};
    segs.forEach(function (g) {
      var end = g.t0 + g.v.length / g.rate;
      ends[g.wave] = Math.max(ends[g.wave] === undefined ? -Infinity : ends[g.wave], end);
    });
    var back = Object.keys(ends).some(function (w) {
      var t = self.tracks[w];
      return t && ends[w] < t.end - BACK_S;
    });
    if (back) {  // the bed's session time started again: a new session
      this.reset();
    }
    segs.forEach(function (g) {
      if (!self.strips.some(function (s) { return s.wave === g.wave; })) {
        return;  // a wave this page does not draw
      }
      var t = self.tracks[g.wave] || (self.tracks[g.wave] = new Track());
      t.add(g);
      if (t.last > self.newest) {
        self.newest = t.last;
      }
    });
    if (!this.shown && this.newest > -Infinity) {
      this.shown = true;  // the strips appear with the first samples
      this.strips.forEach(function (s) {
        var box = s.el.closest(".no-waves");
        if (box) {
          box.classList.remove("no-waves");
        }
      });
    }
  };

  Player.prototype.drawAll = function (a, b, full) {
    for (var i = 0; i < this.strips.length; i++) {
      var s = this.strips[i];
      var track = this.tracks[s.wave];
      if (!track) {
        continue;
      }
      var drawn = s.draw(track, a, b, this.delta, full || s.full);
      if (s.full && s.w) {
        s.full = false;
      } else if (drawn && !full) {
        rec.frames.push([this.bed, s.wave, drawn[0], drawn[1], drawn[2]]);
      }
      s.showOff(b);
    }
  };

  /* Go on from session time p (the live edge), the sweep where it is. */
  Player.prototype.jump = function (p) {
    var sweep = this.p + this.delta;
    this.delta = sweep - p;
    this.p = p;
    this.lag = TARGET_LAG_S;
    var self = this;
    this.strips.forEach(function (s) {
      var track = self.tracks[s.wave];
      s.lastX = null;
      if (track) {
        s.seek(track, p);
      }
    });
    rec.jumps += 1;
  };

  Player.prototype.aheadTime = function () {
    for (var i = 0; i < this.strips.length; i++) {
      var track = this.tracks[this.strips[i].wave];
      if (track) {
        return this.strips[i].nextTime(track);
      }
    }
    return Infinity;
  };

  Player.prototype.step = function (dt) {
    var newest = this.newest;
    if (newest === -Infinity) {
      return;
    }
    var dpr = window.devicePixelRatio || 1;
    this.strips.forEach(function (s) {
      if (s.dpr && s.dpr !== dpr) {
        s.resize(s.w, s.h);
      }
    });
    if (this.p === null) {
      this.p = newest - START_LAG_S;
      this.delta = 0;
      this.lag = START_LAG_S;
      this.drawAll(this.p, this.p, true);
      return;
    }
    if (this.strips.some(function (s) { return s.full; })) {
      this.drawAll(this.p, this.p, false);  // a strip resized or appeared: drawn whole
    }
    this.pruned += dt;
    if (this.pruned > 2) {
      this.pruned = 0;
      this.prune(newest - KEEP_S);
    }
    if (this.frozen) {
      return;
    }
    var lag = newest - this.p;
    this.lag += (lag - this.lag) * Math.min(1, dt / 4);
    var dev = (this.lag - TARGET_LAG_S) * 0.1;
    var rate = 1 + (dev > MAX_RATE_DEV ? MAX_RATE_DEV : dev < -MAX_RATE_DEV ? -MAX_RATE_DEV : dev);
    var p = this.p + dt * rate;
    if (p >= newest) {
      if (this.p < newest) {
        rec.starved += 1;
      }
      p = newest;  // nothing newer yet: wait for it
    }
    lag = newest - p;
    if (lag > JUMP_LAG_S && (lag > FAR_LAG_S || this.aheadTime() > p + 0.1)) {
      this.jump(newest - START_LAG_S);
      return;
    }
    this.drawAll(this.p, p, false);
    this.p = p;
  };

  Player.prototype.prune = function (before) {
    var self = this;
    Object.keys(this.tracks).forEach(function (w) {
      var n = self.tracks[w].prune(before);
      if (n) {
        self.strips.forEach(function (s) {
          if (s.wave === w) {
            s.seg = Math.max(0, s.seg - n);
          }
        });
      }
    });
  };

  Player.prototype.freeze = function (on) {
    if (this.frozen === on) {
      return;
    }
    this.frozen = on;
    if (!on && this.p !== null && this.newest > -Infinity) {
      this.jump(this.newest - START_LAG_S);  // back to the live waves
    }
  };

  /* -- a source: where one element's packets come from ----------------------------- */

  var sources = [];
  var streams = {};  // pushed streams open now, by URL

  function Source(el) {
    var self = this;
    this.el = el;
    this.url = el.getAttribute("data-wave-src");
    this.push = el.getAttribute("data-wave-push") || "";
    this.seq = 0;
    this.busy = false;
    this.retryAt = 0;
    this.players = {};
    var specs = {};
    JSON.parse(el.getAttribute("data-waves") || "[]").forEach(function (w) {
      specs[w.id] = w;
    });
    el.querySelectorAll(".wave-strip[data-bed][data-wave]").forEach(function (s) {
      var spec = specs[s.getAttribute("data-wave")];
      if (!spec) {
        return;
      }
      var bed = s.getAttribute("data-bed");
      var player = self.players[bed] || (self.players[bed] = new Player(bed));
      player.strips.push(new Strip(s, spec));
    });
  }

  Source.prototype.take = function (buffer) {
    rec.bytes += buffer.byteLength;
    rec.packets += 1;
    var packet = decode(buffer);
    this.seq = packet.seq;
    var byBed = {};
    packet.segs.forEach(function (g) {
      (byBed[g.bed] || (byBed[g.bed] = [])).push(g);
    });
    var self = this;
    Object.keys(byBed).forEach(function (bed) {
      var player = self.players[bed];
      if (player) {
        player.add(byBed[bed]);
      }
    });
    schedule();
  };

  Source.prototype.poll = function () {
    if (this.busy || document.hidden || Date.now() < this.retryAt || streams[this.push]) {
      return;
    }
    this.busy = true;
    var self = this;
    var sep = this.url.indexOf("?") < 0 ? "?" : "&";
    window.fetch(this.url + sep + "after=" + this.seq, { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("waves: HTTP " + r.status);
        }
        return r.arrayBuffer();
      })
      .then(function (buffer) {
        if (self.el.isConnected) {
          self.take(buffer);
        }
      })
      .catch(function () {
        self.retryAt = Date.now() + RETRY_MS;
      })
      .then(function () {
        self.busy = false;
      });
  };

  Source.prototype.each = function (fn) {
    var players = this.players;
    Object.keys(players).forEach(function (bed) {
      fn(players[bed]);
    });
  };

  Source.prototype.detach = function () {
    this.each(function (p) {
      p.strips.forEach(function (s) { s.detach(); });
    });
  };

  /* Sources come and go with the pages (Dash swaps them in and out without a reload). */
  function scan() {
    sources = sources.filter(function (s) {
      if (s.el.isConnected) {
        return true;
      }
      s.detach();
      return false;
    });
    document.querySelectorAll("[data-wave-src]").forEach(function (el) {
      if (!el.vitalsWaves) {
        el.vitalsWaves = new Source(el);
        sources.push(el.vitalsWaves);
      }
    });
  }

  /* -- the animation --------------------------------------------------------------- */

  var raf = 0;
  var lastNow = 0;

  function frame(now) {
    raf = 0;
    var started = window.performance.now();
    var dt = lastNow ? Math.min((now - lastNow) / 1000, 0.25) : 0;
    lastNow = now;
    for (var i = 0; i < sources.length; i++) {
      sources[i].each(function (p) { p.step(dt); });
    }
    rec.ms.push(window.performance.now() - started);
    if (rec.ms.length > REC_MAX) {
      rec.ms.splice(0, REC_MAX / 4);
    }
    if (rec.frames.length > REC_MAX) {
      rec.frames.splice(0, REC_MAX / 4);
    }
    schedule();
  }

  function schedule() {
    if (!raf && !document.hidden && sources.length) {
      raf = window.requestAnimationFrame(frame);
    }
  }

  document.addEventListener("visibilitychange", function () {
    lastNow = 0;  // a hidden tab drew nothing; its players catch up by jumping
    if (!document.hidden) {
      scan();
      sources.forEach(function (s) { s.poll(); });
      schedule();
    }
  });

  window.setInterval(function () {
    scan();
    sources.forEach(function (s) { s.poll(); });
    schedule();
  }, POLL_MS);

  /* The Freeze key: the sweep stops for a look (the samples keep coming), and pressing it
     again goes back to the live waves. A button: Enter and Space press it too. */
  document.addEventListener("click", function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest(".wave-freeze") : null;
    if (!button) {
      return;
    }
    var el = button.closest("[data-wave-src]");
    scan();
    var source = el && el.vitalsWaves;
    var frozen = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", frozen ? "true" : "false");
    button.textContent = frozen ? "Unfreeze" : "Freeze";
    if (el) {
      el.classList.toggle("frozen", frozen);
    }
    if (source) {
      source.each(function (p) { p.freeze(frozen); });
    }
  });

  window.vitalsWaves = {
    decode: decode,
    /* A pushed stream's "wave" event (base64 of a packet) for the sources it feeds. */
    ingest: function (url, base64) {
      scan();
      var buffer = fromBase64(base64);
      sources.forEach(function (s) {
        if (s.push === url) {
          s.take(buffer);
        }
      });
    },
    streamOpen: function (url) {
      streams[url] = true;
    },
    streamClosed: function (url) {
      delete streams[url];
    }
  };
})();
