/* The bedside page's clientside half (pages/bedside.py, ui/live/bedside.py).
 *
 * The server's tick sends compact "wire" data; this turns it into the chart's extendData,
 * its decor (limit bands, baselines, phase markers), the alarm banner's rows and the
 * readiness list, so the server neither encodes nor sends component trees or shapes. A
 * click on a row's Acknowledge button becomes bed-ack {cond, group, n}: only a real click
 * (mouse, keyboard or touch) acknowledges, never a row appearing or being redrawn.
 */
(function () {
  "use strict";

  var NONE_TEXT = "No active alarms";  // alarm_banner.NONE_TEXT
  var NOT_ASSESSED = "Assessed once dosing has ended (the infusion, or the last nasal spray).";  // readiness.NONE_TEXT
  var ackSeq = 0;
  var openRows = {};  // banner rows whose folded alarms the nurse opened, by group
  var critLabels = [];  // the checklist's names for the nurse (wire "l", sent once)
  var lastReadiness = null;

  var decor = { shapes: null, version: 0, tries: 0 };

  function el(type, props) {
    return { type: type, namespace: "dash_html_components", props: props };
  }

  /* One banner row (alarm_banner.rows): [condition, priority, marker, message, acked,
     sounding, since, group, folded], folded = [[marker, message, acked, sounding], ...]:
     the parameter's other alarms, behind "+N more". */
  function alarmRow(r) {
    var acked = r[4] === 1;
    var sounding = r[5] === 1;
    var folded = r[8] || [];
    var main = [
      el("Span", { className: "alarm-marker", children: r[2] }),
      el("Span", { className: "alarm-msg", children: r[3] })
    ];
    if (folded.length) {
      main.push(el("Details", {
        className: "alarm-more",
        open: openRows[r[7]] === true,  // a redraw keeps what the nurse opened
        children: [
          el("Summary", { className: "alarm-more-head", children: "+" + folded.length + " more" }),
          el("Ul", {
            className: "alarm-folded-list",
            children: folded.map(function (f) {
              return el("Li", {
                className: "alarm-folded" + (f[2] === 1 ? " acked" : ""),
                "data-acknowledged": f[2] === 1 ? "true" : "false",
                "data-sounding": f[3] === 1 ? "true" : "false",
                children: f[0] + " " + f[1]
              });
            })
          })
        ]
      }));
    }
    return el("Div", {
      className: "alarm-row alarm-" + r[1].toLowerCase() + (acked ? " acked" : ""),
      "data-condition": r[0],
      "data-group": r[7],
      "data-folded": String(folded.length),
      "data-priority": r[1],
      "data-sounding": sounding ? "true" : "false",
      "data-acknowledged": acked ? "true" : "false",
      children: [
        el("Div", { className: "alarm-main", children: main }),
        el("Span", { className: "alarm-since", children: "since " + r[6] }),
        el("Span", { className: "alarm-sound", children: sounding ? "♪ sounding" : "silenced" }),
        el("Button", {
          type: "button",
          className: "btn btn-outline-light btn-sm alarm-ack",
          disabled: acked,
          children: acked ? "Acknowledged" : "Acknowledge"
        })
      ]
    });
  }

  /* extendData from trends.compact: [trace, x0, dx, ys] (evenly spaced) or
     [trace, xs, ys, texts]; entries of one trace (several ticks' wires drawn at once)
     are joined in order. */
  function extendData(entries, maxPoints) {
    var data = { x: [], y: [], text: [] };
    var traces = [];
    entries.forEach(function (e) {
      var xs, ys, texts;
      if (typeof e[1] === "number") {
        ys = e[3];
        xs = new Array(ys.length);
        for (var i = 0; i < ys.length; i++) {
          xs[i] = e[1] + i * e[2];
        }
        texts = [];
      } else {
        xs = e[1];
        ys = e[2];
        texts = e[3] || [];
      }
      var k = traces.indexOf(e[0]);
      if (k < 0) {
        traces.push(e[0]);
        data.x.push(xs);
        data.y.push(ys);
        data.text.push(texts);
        return;
      }
      var had = data.x[k].length;
      data.x[k] = data.x[k].concat(xs);
      data.y[k] = data.y[k].concat(ys);
      if (texts.length || data.text[k].length) {  // one text per point, "" where none
        data.text[k] = padded(data.text[k], had).concat(padded(texts, xs.length));
      }
    });
    return [data, traces, maxPoints];
  }

  function padded(texts, n) {
    var out = texts.slice(0, n);
    while (out.length < n) {
      out.push("");
    }
    return out;
  }

  /* What the pushed stream brings for the incremental parts (the wire, the checklist's
     lines) waits here until its callback has drawn it. Dash runs a callback once with the
     newest value when its input changed twice before it ran (a busy browser, two messages
     in one chunk), so a message's own value could be passed over: its new points, its
     decor or its alarm rows lost until they next change. The input gets a token instead,
     and each run draws everything that came since the last, in order. */
  var INBOX = { "bed-wire": [], "start-wire": [] };
  var inboxSeq = 0;
  /* Points wait too until the chart shows the pushed backfill (marked in its layout's
     meta): Dash drops an extendData that reaches the chart before a new figure does. */
  var held = [];
  var backfillSeq = 0;
  var NUDGE_MS = 250;
  var nudging = false;

  function clearInbox() {
    INBOX["bed-wire"].length = 0;
    INBOX["start-wire"].length = 0;
    held.length = 0;
  }

  function token() {
    inboxSeq += 1;
    return { inbox: inboxSeq };
  }

  function post(id, data) {
    INBOX[id].push(data);
    nudge();
    return token();
  }

  /* Dash may pass over an input set while the page is still being drawn (its first
     callbacks running): whatever still waits is offered again, until a run has drawn it.
     A run that finds nothing waiting changes nothing, so an offer too many is harmless. */
  function nudge() {
    if (nudging) {
      return;
    }
    nudging = true;
    window.setTimeout(function () {
      nudging = false;
      if (!document.getElementById("bed-live")) {  // the page was left
        clearInbox();
        return;
      }
      var waiting = Object.keys(INBOX).filter(function (id) {
        return INBOX[id].length || (id === "bed-wire" && held.length);
      });
      waiting.forEach(function (id) {
        window.dash_clientside.set_props(id, { data: token() });
      });
      if (waiting.length) {
        nudge();
      }
    }, NUDGE_MS);
  }

  function chartReady() {
    var gd = document.querySelector("#bed-trends .js-plotly-plot");
    if (!gd || !gd.data || !gd.layout) {
      return false;
    }
    var meta = gd.layout.meta;
    return backfillSeq === 0 || (meta && meta.vitalsBackfill === backfillSeq);
  }

  function take(id, value) {
    if (value && value.inbox) {
      return INBOX[id].splice(0, INBOX[id].length);
    }
    return value ? [value] : [];  // a polled tick's own value
  }

  /* Readiness from [ready, [[met, detail], ...]] (each criterion under its name in
     critLabels, when there is one), a sentence once the session is over, or null before it
     is assessed. */
  function readiness(r) {
    if (!r) {
      return [el("Div", { className: "small-muted", children: NOT_ASSESSED })];
    }
    if (typeof r === "string") {
      return [el("Div", { className: "ready-over", children: r })];
    }
    var ready = r[0] === 1;
    return [
      el("Div", {
        className: "ready-head " + (ready ? "ready-yes" : "ready-no"),
        "data-ready": ready ? "true" : "false",
        children: ready ? "Ready for discharge" : "Not ready for discharge"
      }),
      el("Ul", {
        className: "crit-list",
        children: r[1].map(function (c, i) {
          var label = critLabels[i];
          return el("Li", {
            className: c[0] === 1 ? "crit-met" : "crit-missing",
            "data-met": c[0] === 1 ? "true" : "false",
            children: [el("Span", { className: "crit-mark", children: c[0] === 1 ? "✓" : "✗" }),
                       " ",
                       label ? el("Span", { className: "crit-label", children: label + ": " }) : "",
                       c[1]]
          });
        })
      })
    ];
  }

  /* The pre-infusion checklist (widgets/start_check.py): the tick sends only the parts
     that changed, {h: [status, hold] | null, n: lines, i<k>: [k, status, words, name]};
     the lines are kept here and the whole list drawn from them. */
  var START_MARK = { p: "✓", c: "!", b: "✗" };
  var START_WORD = { p: "pass", c: "caution", b: "blocked" };
  var START_HEAD = { p: "Ready to start", c: "Start with caution", b: "Do not start" };
  var start = { head: null, lines: [] };

  function startCheck(s) {
    if (Object.prototype.hasOwnProperty.call(s, "h")) {
      start.head = s.h;
    }
    if (typeof s.n === "number") {
      start.lines.length = s.n;
    }
    Object.keys(s).forEach(function (key) {
      if (key.charAt(0) === "i" && Array.isArray(s[key])) {
        start.lines[s[key][0]] = s[key];
      }
    });
    if (!start.head) {
      return [];
    }
    var status = start.head[0];
    var out = [el("Div", {
      className: "start-headline check-" + START_WORD[status],
      id: "start-headline",
      "data-status": START_WORD[status],
      children: [el("Span", { className: "check-mark", children: START_MARK[status] }),
                 el("Span", { children: START_HEAD[status] })]
    })];
    if (start.head[1]) {
      out.push(el("Div", { className: "start-hold", id: "start-hold",
                           children: "Held: " + start.head[1] }));
    }
    out.push(el("Ul", {
      className: "start-items",
      children: start.lines.filter(Boolean).map(function (line) {
        return el("Li", {
          className: "check-item check-" + START_WORD[line[1]],
          "data-item": line[3],
          "data-status": START_WORD[line[1]],
          children: [el("Span", { className: "check-mark", children: START_MARK[line[1]] }),
                     el("Span", { children: line[2] })]
        });
      })
    }));
    return out;
  }

  /* Plotly shapes from trends.decor's spec {r, h, v, m, t}. */
  function shapes(spec) {
    var out = [];
    spec.r.forEach(function (r) {
      out.push({ type: "rect", xref: "x" + r[0] + " domain", x0: 0, x1: 1, yref: "y" + r[0],
                 y0: r[1], y1: r[2], layer: "below", line: { width: 0 }, fillcolor: r[3],
                 opacity: 0.07 });
    });
    spec.h.forEach(function (h) {
      var s = { type: "line", xref: "x" + h[0] + " domain", x0: 0, x1: 1, yref: "y" + h[0],
                y0: h[1], y1: h[1], layer: "below", line: { color: h[2], width: 1, dash: h[3] } };
      if (h[4]) {
        s.label = { text: h[4], textposition: "end", yanchor: "bottom",
                    font: { size: 10, color: spec.m } };
      }
      out.push(s);
    });
    spec.v.forEach(function (v) {
      out.push({ type: "line", xref: "x", x0: v[0], x1: v[0], yref: "paper", y0: 0, y1: 1,
                 layer: "above", line: { color: spec.t, width: 1, dash: "longdash" },
                 label: { text: v[1], textposition: "end", textangle: 0, xanchor: "left",
                          yanchor: "top", font: { size: 11, color: spec.t } } });
    });
    /* Where monitoring was interrupted (a server restart): session time did not move, so
       it is a point on the axis; a wide translucent band with its label in words, written
       upwards beside it, so that it fits wherever the band is. */
    (spec.i || []).forEach(function (g) {
      out.push({ type: "line", xref: "x", x0: g[0], x1: g[0], yref: "paper", y0: 0, y1: 1,
                 layer: "above", opacity: 0.55, line: { color: spec.w, width: 8 },
                 name: "interruption",
                 label: { text: g[1], textposition: "middle", textangle: -90, xanchor: "center",
                          yanchor: "bottom", font: { size: 12, color: spec.w } } });
    });
    return out;
  }

  /* Put the latest decor on the chart. A new figure (the backfill) replaces the chart's
     layout and with it the shapes, so every redraw checks and re-applies them. */
  function drawDecor() {
    var gd = document.querySelector("#bed-trends .js-plotly-plot");
    if (!decor.shapes) {
      return;
    }
    if (!gd || !window.Plotly || !gd.data || !gd.layout) {
      if (decor.tries < 100) {  // the first figure is still being drawn: up to 10 s
        decor.tries += 1;
        window.setTimeout(drawDecor, 100);
      }
      return;
    }
    decor.tries = 0;
    if (!gd.vitalsDecorHooked && gd.on) {
      gd.vitalsDecorHooked = true;
      gd.on("plotly_afterplot", function () {
        if (gd.vitalsDecorLayout !== gd.layout || gd.vitalsDecorVersion !== decor.version) {
          drawDecor();
        }
      });
    }
    if (gd.vitalsDecorLayout === gd.layout && gd.vitalsDecorVersion === decor.version) {
      return;
    }
    gd.vitalsDecorLayout = gd.layout;
    gd.vitalsDecorVersion = decor.version;
    window.Plotly.relayout(gd, { shapes: decor.shapes });
  }

  /* Tick labels on each row as close as its height allows: trends.py's five at most, and
     at least TICK_PX apart, inside the row (a label past its edge is hidden); a row too
     short for two gets one round value. A chart made short (the waves above it, a
     checklist below, a small screen) would otherwise print 90 and 95 on top of each other,
     or hide a short row's only labels at its edges. Checked after every plot; a row that
     has room keeps its five. */
  var TICK_PX = 16;
  var HALF_LABEL_PX = 6;  // half the height of trends.py's 11 px tick labels
  var STEPS = [1, 2, 2.5, 5, 10];

  function niceStep(x, below) {
    /* the round step at or above x (below: at or under it) */
    var p = Math.pow(10, Math.floor(Math.log10(x)));
    var m = x / p;
    var i = below ? STEPS.length - 1 : 0;
    if (below) {
      while (i > 0 && STEPS[i] > m + 1e-9) { i--; }
    } else {
      while (i < STEPS.length - 1 && STEPS[i] < m - 1e-9) { i++; }
    }
    return STEPS[i] * p;
  }

  function multiples(step, lo, hi) {
    var out = [];
    for (var k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 && out.length < 20; k++) {
      out.push(Math.round(k * step * 1e6) / 1e6);
    }
    return out;
  }

  function rowTicks(lo, hi, px) {
    var span = hi - lo;
    var pad = HALF_LABEL_PX * span / px;
    var step = Math.max(niceStep(span / 5), niceStep(TICK_PX * span / px));
    var vals = multiples(step, lo + pad, hi - pad);
    for (var s = niceStep(span, true); !vals.length && s > span / 100; s = niceStep(s * 0.99, true)) {
      var mid = (lo + hi) / 2;
      vals = multiples(s, lo + pad, hi - pad).sort(function (a, b) {
        return Math.abs(a - mid) - Math.abs(b - mid);
      }).slice(0, 1);  // the roundest value that fits, nearest the middle
    }
    return vals;
  }

  function fitTicks(gd) {
    var full = gd._fullLayout;
    if (!full || !gd.layout || !window.Plotly) {
      return;
    }
    var update = {};
    Object.keys(full).forEach(function (key) {
      var ax = full[key];
      if (!/^yaxis[0-9]*$/.test(key) || !ax || !ax.showticklabels || !ax._length
          || !ax.range) {
        return;
      }
      var lo = Math.min(ax.range[0], ax.range[1]);
      var hi = Math.max(ax.range[0], ax.range[1]);
      if (!(hi > lo)) {
        return;
      }
      var vals = rowTicks(lo, hi, ax._length);
      var shown = gd.layout[key] || {};
      if (shown.tickmode !== "array" || String(shown.tickvals) !== String(vals)) {
        update[key + ".tickmode"] = "array";
        update[key + ".tickvals"] = vals;
      }
    });
    if (Object.keys(update).length) {
      window.Plotly.relayout(gd, update);
    }
  }

  function hookTicks(gd) {
    if (!gd.vitalsTicksHooked && gd.on) {
      gd.vitalsTicksHooked = true;
      gd.on("plotly_afterplot", function () { fitTicks(gd); });
      fitTicks(gd);
    }
  }

  /* The pushed stream (ui/live/stream.py), when the clinic pushes: each message is
     component id -> {property: value}, the polling callback's tick; its "wave" events
     are the bed's waveforms, for waves.js. */
  var live = { source: null, url: null };

  function stopStream() {
    if (live.source) {
      live.source.close();
    }
    if (live.url && window.vitalsWaves) {
      window.vitalsWaves.streamClosed(live.url);  // the waves are polled again
    }
    live.source = null;
    live.url = null;
  }

  function onThisPage(url) {
    var here = document.getElementById("bed-live");
    return here !== null && here.getAttribute("data-stream") === url;
  }

  function pollInstead() {
    var dc = window.dash_clientside;
    dc.set_props("bed-push", { data: null });
    dc.set_props("bed-interval", { disabled: false });
  }

  function startStream(url) {
    var dc = window.dash_clientside;
    var source = new window.EventSource(url);
    live.source = source;
    live.url = url;
    if (window.vitalsWaves) {
      window.vitalsWaves.streamOpen(url);  // the stream carries the waves too (waves.js)
    }
    source.addEventListener("wave", function (ev) {
      if (!onThisPage(url)) {
        stopStream();
        return;
      }
      if (window.vitalsWaves) {
        window.vitalsWaves.ingest(url, ev.data);
      }
    });
    source.onmessage = function (ev) {
      if (!onThisPage(url)) {  // the page was left: its stream goes with it
        stopStream();
        return;
      }
      var props = JSON.parse(ev.data);
      var figure = props["bed-trends"] && props["bed-trends"].figure;
      if (figure) {
        clearInbox();  // a backfill: its figure and parts hold what waited
        backfillSeq += 1;
        figure.layout = Object.assign({}, figure.layout, { meta: { vitalsBackfill: backfillSeq } });
      }
      Object.keys(props).forEach(function (id) {
        var p = props[id];
        if (INBOX[id] && p.data) {
          p = { data: post(id, p.data) };
        }
        dc.set_props(id, p);
      });
    };
    source.onerror = function () {
      if (!onThisPage(url)) {
        stopStream();
      } else if (source.readyState === window.EventSource.CLOSED) {
        // refused (all streams taken) or not a stream: poll like a default page
        stopStream();
        pollInstead();
      }  // otherwise the browser reconnects by itself, and the stream backfills
    };
  }

  /* "+N more" opened or closed: remembered per row for the next redraw (toggle does not
     bubble, so it is caught on its way down). */
  document.addEventListener("toggle", function (ev) {
    var details = ev.target;
    var row = details && details.closest ? details.closest("#alarm-list .alarm-row") : null;
    if (row && details.classList.contains("alarm-more")) {
      openRows[row.getAttribute("data-group")] = details.open;
    }
  }, true);

  document.addEventListener("click", function (ev) {
    var target = ev.target;
    var button = target && target.closest ? target.closest("#alarm-list .alarm-ack") : null;
    if (!button || button.disabled) {
      return;
    }
    var row = button.closest(".alarm-row");
    var dc = window.dash_clientside;
    if (row && dc && dc.set_props) {
      ackSeq += 1;
      dc.set_props("bed-ack", { data: { cond: row.getAttribute("data-condition"),
                                        group: row.getAttribute("data-group"), n: ackSeq } });
    }
  });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.vitals = Object.assign(window.dash_clientside.vitals || {}, {
    /* The tick's wire {e: new points, a: alarm rows, d: decor, r: readiness, l: the
       readiness criteria's names}, each part
       only when new. The decor goes on with Plotly.relayout, leaving the figure prop (and
       the points extendData added) alone. */
    applyWire: function (wire, maxPoints) {
      var noUpdate = window.dash_clientside.no_update;
      var wires = take("bed-wire", wire);
      if (!wires.length && !held.length) {
        return [noUpdate, noUpdate, noUpdate];
      }
      var entries = held;
      held = [];
      var rows = noUpdate;
      var redraw = false;  // the readiness list: new values or names
      wires.forEach(function (w) {
        var has = function (k) { return Object.prototype.hasOwnProperty.call(w, k); };
        if (w.e) {
          entries = entries.concat(w.e);
        }
        if (w.a) {
          rows = w.a.length
            ? w.a.map(alarmRow)
            : [el("Div", { className: "alarm-none", children: NONE_TEXT })];
        }
        if (w.d) {
          decor.shapes = shapes(w.d);
          decor.version += 1;
          decor.tries = 0;
          window.setTimeout(drawDecor, 0);  // after this update's extendData and figure
        }
        if (has("l")) {
          critLabels = w.l || [];
        }
        if (has("r")) {
          lastReadiness = w.r;
        }
        redraw = redraw || has("r") || has("l");
      });
      var ext = noUpdate;
      if (entries.length && !chartReady()) {
        held = entries;  // drawn by a later run (see nudge)
        nudge();
      } else if (entries.length) {
        ext = extendData(entries, maxPoints);
      }
      return [ext, rows, redraw ? readiness(lastReadiness) : noUpdate];
    },

    /* The pre-infusion checklist's changed parts (see startCheck), in the order sent. */
    applyStartCheck: function (parts) {
      var all = take("start-wire", parts);
      if (!all.length) {
        return window.dash_clientside.no_update;
      }
      var out;
      all.forEach(function (p) {
        out = startCheck(p);
      });
      return out;
    },

    /* A page drawn afresh opens its stream, which starts with the backfill (closing any
       other); a page that polls has none. */
    openStream: function (url) {
      stopStream();
      if (url && window.EventSource) {
        startStream(url);
      } else if (url) {
        pollInstead();
      }
      return window.dash_clientside.no_update;
    },

    /* Follow the live edge over the chosen window, or show the whole session. */
    applyWindow: function (windowS, cursor) {
      var gd = document.querySelector("#bed-trends .js-plotly-plot");
      if (!gd || !window.Plotly || !gd.data || !cursor) {
        return window.dash_clientside.no_update;
      }
      hookTicks(gd);
      var w = parseFloat(windowS);
      var update;
      if (!w) {
        if (gd.getAttribute("data-window") === "all") {
          return window.dash_clientside.no_update;
        }
        gd.setAttribute("data-window", "all");
        update = { "xaxis.autorange": true };
      } else {
        gd.setAttribute("data-window", String(w));
        var end = 86400000 + cursor.now * 1000 + 30000;  // series.X_OFFSET_MS
        update = { "xaxis.range": [Math.max(86400000, end - w * 1000), end] };
      }
      window.Plotly.relayout(gd, update);
      return window.dash_clientside.no_update;
    }
  });
})();
