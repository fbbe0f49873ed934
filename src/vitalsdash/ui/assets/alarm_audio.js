/* Audible alarms with Web Audio (IEC 60601-1-8 style patterns), and small clientside helpers.
 *
 * The page says what should sound in an element's data attributes:
 *   data-audio="HIGH|MEDIUM|LOW|none", data-audio-pulses, data-audio-repeat (seconds).
 * This script polls that element, and while sound is enabled plays the burst for the
 * pattern, repeating every data-audio-repeat seconds:
 *   HIGH   10 pulses: 3 + 2, pause, 3 + 2
 *   MEDIUM 3 pulses
 *   LOW    1-2 pulses
 * Browsers play nothing before a user gesture, so sound starts off and the navbar button
 * enables it. What is playing is mirrored in <body data-audio-playing="...">.
 * The bedside page's own clientside functions are in bedside.js.
 */
(function () {
  "use strict";

  var PITCH = { HIGH: 660, MEDIUM: 523, LOW: 440 };
  var PULSE_S = { HIGH: 0.15, MEDIUM: 0.2, LOW: 0.22 };

  function onsets(pattern, pulses) {
    if (pattern === "HIGH") {
      return [0, 0.25, 0.5, 0.95, 1.2, 2.0, 2.25, 2.5, 2.95, 3.2];
    }
    if (pattern === "MEDIUM") {
      return [0, 0.4, 0.8];
    }
    return pulses >= 2 ? [0, 0.45] : [0];
  }

  var audio = {
    enabled: false,
    ctx: null,
    wave: null,
    pattern: "none",
    nextBurst: 0,
    voices: [],

    setEnabled: function (on) {
      this.enabled = !!on;
      if (this.enabled) {
        try {
          if (!this.ctx) {
            var Ctx = window.AudioContext || window.webkitAudioContext;
            this.ctx = new Ctx();
            // a fundamental with four harmonics, as the standard asks of alarm pulses
            var real = new Float32Array([0, 1, 0.5, 0.33, 0.25, 0.2]);
            this.wave = this.ctx.createPeriodicWave(real, new Float32Array(real.length));
          }
          if (this.ctx.state === "suspended") {
            this.ctx.resume();
          }
        } catch (e) {
          this.enabled = false;
        }
      } else {
        this.stop();
      }
      this.pattern = "none";
      this.nextBurst = 0;
      this.poll();
      return this.enabled;
    },

    stop: function () {
      this.voices.forEach(function (v) {
        try { v.stop(); } catch (e) { /* already stopped */ }
      });
      this.voices = [];
    },

    burst: function (pattern, pulses) {
      var ctx = this.ctx;
      var t0 = ctx.currentTime + 0.02;
      var len = PULSE_S[pattern] || 0.2;
      var self = this;
      onsets(pattern, pulses).forEach(function (dt) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.setPeriodicWave(self.wave);
        osc.frequency.value = PITCH[pattern] || 440;
        var t = t0 + dt;
        gain.gain.setValueAtTime(0, t);
        gain.gain.linearRampToValueAtTime(0.25, t + 0.015);
        gain.gain.setValueAtTime(0.25, t + len - 0.03);
        gain.gain.linearRampToValueAtTime(0, t + len);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t);
        osc.stop(t + len + 0.01);
        self.voices.push(osc);
        osc.onended = function () {
          var i = self.voices.indexOf(osc);
          if (i >= 0) { self.voices.splice(i, 1); }
        };
      });
    },

    poll: function () {
      var el = document.querySelector(".audio-state[data-audio]");
      var pattern = el ? el.getAttribute("data-audio") || "none" : "none";
      var pulses = el ? parseInt(el.getAttribute("data-audio-pulses") || "0", 10) : 0;
      var repeat = el ? parseFloat(el.getAttribute("data-audio-repeat") || "0") : 0;
      var playing = this.enabled && this.ctx ? pattern : "none";
      if (document.body) {
        document.body.setAttribute("data-audio-playing", playing);
      }
      if (!this.enabled || !this.ctx) {
        return;
      }
      var now = this.ctx.currentTime;
      if (pattern !== this.pattern) {
        this.stop();
        this.pattern = pattern;
        this.nextBurst = now;
      }
      if (pattern === "none") {
        return;
      }
      if (now >= this.nextBurst) {
        this.burst(pattern, pulses);
        this.nextBurst = now + Math.max(2.5, repeat || 10);
      }
    }
  };

  window.vitalsAudio = audio;
  window.setInterval(function () { audio.poll(); }, 200);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.vitals = Object.assign(window.dash_clientside.vitals || {}, {
    /* The navbar's sound switch: every click toggles. */
    toggleSound: function (nClicks) {
      var on = audio.setEnabled((nClicks || 0) % 2 === 1);
      return [
        on ? "♪ Sound on" : "Sound off · click to enable",
        on ? "sound-toggle sound-on" : "sound-toggle sound-off",
        on ? "true" : "false"
      ];
    }
  });
})();
