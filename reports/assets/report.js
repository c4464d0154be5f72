// conceptcells report: draws every plot from the #reportData JSON (concept
// spaces, firing-map tiles, enlarged candidates, PCA), builds the unit
// table, and runs the explorer. It fetches nothing. Untrusted strings are
// only ever set through textContent.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('reportData').textContent);
  var FONT = getComputedStyle(document.body).fontFamily;

  function b64bytes(s) {
    var bin = atob(s || ''), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function b64f32(s) {
    var b = b64bytes(s);
    return new Float32Array(b.buffer, 0, b.length >> 2);
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    if (v === Math.trunc(v) && Math.abs(v) < 1e6) return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
    return v.toFixed(3);
  }

  // The quantised series and maps are one gzip blob; inflate it, then draw.
  function inflate(b64) {
    if (typeof DecompressionStream === 'undefined') {
      return Promise.reject(new Error('this browser cannot inflate the report data (DecompressionStream: Chrome 80+, Firefox 113+, Safari 16.4+)'));
    }
    var s = new Blob([b64bytes(b64)]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(s).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }
  inflate(D.blob).then(function (blob) {
    try { main(blob); } finally { document.body.setAttribute('data-ready', '1'); }
  }, function (err) {
    var p = el('p', 'The plots cannot be drawn: ' + err.message, 'warnings');
    document.body.insertBefore(p, document.body.firstChild);
    document.body.setAttribute('data-ready', '1');
  });

  function main(BLOB) {
    function bytesOf(s) { return BLOB.subarray(s.o, s.o + s.n); }
    var spaces = (D.spaces || []).map(function (s) { return { name: s.name, source: s.source, x: b64f32(s.x), y: b64f32(s.y), frame: s.frame, centroids: s.centroids || [] }; });
    // Tables keyed by names from the model or data have no prototype, so
    // names such as "__proto__", "constructor" or "toString" are ordinary keys.
    var spaceByName = Object.create(null);
    spaces.forEach(function (s) { spaceByName[s.name] = s; });
    var labels = D.labels ? b64bytes(D.labels) : null;
    var lutSeq = b64bytes(D.lutSeq), lutDiv = b64bytes(D.lutDiv);
    var seriesByID = Object.create(null);
    (D.series || []).forEach(function (s) { seriesByID[s.id] = s; });
    var classRGB = D.colors.map(function (h) { return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)]; });
    var units = D.units || [];
    var unitByKey = Object.create(null);
    units.forEach(function (u) { unitByKey[u.id + '|' + u.space] = u; });
    function className(c) { return c < D.classes.length ? D.classes[c] : String(c); }

    // Decoded activation series, with the drawing order (weak first, so
    // strong activity lies on top) by a counting sort on the quantised value.
    var cache = Object.create(null);
    function decoded(s) {
      if (cache[s.id]) return cache[s.id];
      var q = bytesOf(s), n = q.length;
      var mid = s.signed ? Math.round((0 - s.lo) / ((s.hi - s.lo) || 1) * 254) : 0;
      var count = new Uint32Array(257), key = new Uint16Array(n), i;
      for (i = 0; i < n; i++) { key[i] = q[i] === 255 ? 0 : 1 + Math.abs(q[i] - mid); count[key[i] + 1]++; }
      for (i = 1; i < 257; i++) count[i] += count[i - 1];
      var order = new Uint32Array(n);
      for (i = 0; i < n; i++) order[count[key[i]]++] = i;
      return (cache[s.id] = { q: q, order: order });
    }
    function mapValues(m) {
      if (m._v) return m._v;
      var q = bytesOf(m), n = m.r * m.c, v = new Uint8Array(n);
      for (var i = 0; i < n; i++) v[i] = i < q.length ? q[i] : q[n - 1 - i];
      return (m._v = v);
    }

    // Colour of value t in 0…1 from a LUT.
    function lutRGB(lut, t) {
      var i = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
      return [lut[i], lut[i + 1], lut[i + 2]];
    }

    // scatter draws the points of sp on canvas c, coloured by series s (or
    // by class without one), in the view {cx, cy, zoom}; rng overrides the
    // colour range [lo, hi].
    function scatter(c, sp, s, view, rng) {
      var ctx = c.getContext('2d'), W = c.width, H = c.height;
      var img = ctx.createImageData(W, H), px = img.data;
      for (var i = 0; i < px.length; i += 4) { px[i] = px[i + 1] = px[i + 2] = 255; px[i + 3] = 255; }
      view = view || { cx: 0.5, cy: 0.5, zoom: 1 };
      var f = sp.frame, fw = f[1] - f[0] || 1, fh = f[3] - f[2] || 1;
      var n = sp.x.length, r = W >= 400 && view.zoom >= 4 ? 2 : 1;
      var d = s ? decoded(s) : null, order = d ? d.order : null;
      var lo = s ? s.lo : 0, hi = s ? s.hi : 1;
      if (rng) { lo = rng[0]; hi = rng[1]; }
      var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      for (var k = 0; k < n; k++) {
        var j = order ? order[k] : k;
        var u = ((sp.x[j] - f[0]) / fw - view.cx) * view.zoom + 0.5, v = ((sp.y[j] - f[2]) / fh - view.cy) * view.zoom + 0.5;
        var X = Math.round(u * (W - 3)) + 1, Y = Math.round((1 - v) * (H - 3)) + 1;
        if (X < 0 || Y < 0 || X >= W - r || Y >= H - r) continue;
        var rgb;
        if (!d) {
          rgb = classRGB[labels ? labels[j] : 0] || [85, 85, 85];
        } else {
          var q = d.q[j];
          if (q === 255) rgb = [200, 200, 200];
          else {
            var val = s.lo + q / 254 * (s.hi - s.lo);
            rgb = s.signed ? lutRGB(lutDiv, (val + m) / (2 * m)) : lutRGB(lutSeq, hi > lo ? (val - lo) / (hi - lo) : 0);
          }
        }
        for (var dy = 0; dy <= r; dy++) for (var dx = 0; dx <= r; dx++) {
          var o = ((Y + dy) * W + X + dx) * 4;
          px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2];
        }
      }
      ctx.putImageData(img, 0, 0);
      c.setAttribute('data-drawn', '1');
    }

    // centroidMarks writes the class names at the class centroids.
    function centroidMarks(c, sp, px) {
      var ctx = c.getContext('2d');
      ctx.font = 'bold ' + px + 'px ' + FONT;
      ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
      ctx.lineWidth = Math.max(2, px / 4); ctx.strokeStyle = '#fff'; ctx.fillStyle = '#000';
      sp.centroids.forEach(function (p) {
        var t = className(p.c); if (t.length > 3) t = t.substr(0, 3);
        var X = p.x * (c.width - 3) + 1, Y = (1 - p.y) * (c.height - 3) + 1;
        ctx.strokeText(t, X, Y); ctx.fillText(t, X, Y);
      });
    }

    // heat draws a quantised map (row 0 at the bottom) on c without
    // smoothing; empty bins stay light grey. rng overrides [lo, hi].
    function heat(c, m, lut, rng) {
      var ctx = c.getContext('2d');
      ctx.fillStyle = '#eee'; ctx.fillRect(0, 0, c.width, c.height);
      if (!m) return;
      var v = mapValues(m), off = document.createElement('canvas');
      off.width = m.c; off.height = m.r;
      var octx = off.getContext('2d'), img = octx.createImageData(m.c, m.r), px = img.data;
      var lo = rng ? rng[0] : m.lo, hi = rng ? rng[1] : m.hi;
      for (var row = 0; row < m.r; row++) for (var col = 0; col < m.c; col++) {
        var q = v[row * m.c + col], o = ((m.r - 1 - row) * m.c + col) * 4;
        if (q === 255) { px[o + 3] = 0; continue; }
        var val = m.lo + q / 254 * (m.hi - m.lo);
        var t = lut === lutDiv ? (val + 1) / 2 : (hi > lo ? (val - lo) / (hi - lo) : 0);
        var rgb = lutRGB(lut, t);
        px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2]; px[o + 3] = 255;
      }
      octx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, c.width, c.height);
      c.setAttribute('data-drawn', '1');
    }

    // colourBar returns a small canvas showing a LUT from left to right.
    function colourBar(lut, w) {
      var c = el('canvas', null, 'bar'); c.width = 256; c.height = 1;
      var bc = c.getContext('2d'), bi = bc.createImageData(256, 1);
      for (var i = 0; i < 256; i++) { bi.data[4 * i] = lut[3 * i]; bi.data[4 * i + 1] = lut[3 * i + 1]; bi.data[4 * i + 2] = lut[3 * i + 2]; bi.data[4 * i + 3] = 255; }
      bc.putImageData(bi, 0, 0);
      c.setAttribute('data-drawn', '1');
      if (w) c.style.width = w + 'px';
      return c;
    }
    function classLegend(box) {
      D.classes.forEach(function (name, i) {
        var sw = el('span'), dot = el('i');
        dot.style.background = D.colors[i % D.colors.length];
        sw.appendChild(dot); sw.appendChild(document.createTextNode(name)); box.appendChild(sw);
      });
    }

    // Concept spaces (Figure 1) with a class legend.
    Array.prototype.forEach.call(document.querySelectorAll('canvas.spaceplot'), function (c) {
      var sp = spaces[+c.getAttribute('data-space')];
      if (!sp) return;
      scatter(c, sp, null);
      centroidMarks(c, sp, 14);
    });
    Array.prototype.forEach.call(document.querySelectorAll('.classlegend'), function (box) {
      if (!D.classes.length) return;
      box.appendChild(el('b', 'class'));
      classLegend(box);
    });
    Array.prototype.forEach.call(document.querySelectorAll('.colorkey'), function (box) {
      box.appendChild(el('b', 'colour:'));
      box.appendChild(document.createTextNode(' low '));
      box.appendChild(colourBar(lutSeq, 80));
      box.appendChild(document.createTextNode(' high; signed −'));
      box.appendChild(colourBar(lutDiv, 80));
      box.appendChild(document.createTextNode('+ (autocorrelogram −1 … +1)'));
    });

    // PCA: explained-variance bars (kept ones in blue), the cumulative ratio
    // as a line; the legend sits under the plot.
    Array.prototype.forEach.call(document.querySelectorAll('canvas.pcaplot'), function (c) {
      var p = (D.pca || []).filter(function (q) { return q.layer === c.getAttribute('data-layer'); })[0];
      if (!p) return;
      var ctx = c.getContext('2d'), W = c.width, H = c.height, L = 44, R = 10, T = 10, B = 52;
      var pw = W - L - R, ph = H - T - B, n = p.explained.length;
      ctx.font = '11px ' + FONT; ctx.fillStyle = '#333'; ctx.strokeStyle = '#ccc'; ctx.lineWidth = 1;
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      [0, 0.25, 0.5, 0.75, 1].forEach(function (t) {
        var y = T + ph * (1 - t);
        ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(L + pw, y); ctx.stroke();
        ctx.fillText(t.toFixed(2), L - 4, y);
      });
      var bw = pw / n, sum = 0, pts = [];
      for (var i = 0; i < n; i++) {
        var v = p.explained[i];
        ctx.fillStyle = i < p.k ? D.colors[0] : '#bbb';
        ctx.fillRect(L + i * bw + bw * 0.1, T + ph * (1 - v), Math.max(1, bw * 0.8), ph * v);
        sum += v; pts.push([L + (i + 0.5) * bw, T + ph * (1 - Math.min(1, sum))]);
      }
      ctx.strokeStyle = '#d62728'; ctx.lineWidth = 1.5; ctx.beginPath();
      pts.forEach(function (q, i) { if (i) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); }); ctx.stroke();
      ctx.fillStyle = '#333'; ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      var step = Math.max(1, Math.ceil(n / 10));
      for (i = 0; i < n; i += step) ctx.fillText(String(i + 1), L + (i + 0.5) * bw, T + ph + 3);
      ctx.fillText('component', L + pw / 2, T + ph + 17);
      ctx.save(); ctx.translate(11, T + ph / 2); ctx.rotate(-Math.PI / 2); ctx.fillText('explained variance ratio', 0, -6); ctx.restore();
      var ly = H - 12; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      ctx.fillStyle = D.colors[0]; ctx.fillRect(L, ly - 5, 10, 10); ctx.fillStyle = '#333'; ctx.fillText('kept (' + p.k + ')', L + 14, ly);
      ctx.fillStyle = '#bbb'; ctx.fillRect(L + 90, ly - 5, 10, 10); ctx.fillStyle = '#333'; ctx.fillText('not kept', L + 104, ly);
      ctx.strokeStyle = '#d62728'; ctx.beginPath(); ctx.moveTo(L + 170, ly); ctx.lineTo(L + 190, ly); ctx.stroke(); ctx.fillText('cumulative', L + 194, ly);
      c.setAttribute('data-drawn', '1');
    });

    // Galleries: tiles drawn from the data, units with a cell label first,
    // the rest on "show all".
    var shared = document.getElementById('sharedScale');
    var galleryRange = Object.create(null);
    function rangeOf(g) {
      if (galleryRange[g]) return galleryRange[g];
      var r = { s: [Infinity, -Infinity], m: [Infinity, -Infinity] };
      units.forEach(function (u) {
        if (u.g !== g) return;
        var s = seriesByID[u.id];
        if (s) { r.s[0] = Math.min(r.s[0], s.lo); r.s[1] = Math.max(r.s[1], s.hi); }
        if (u.map) { r.m[0] = Math.min(r.m[0], u.map.lo); r.m[1] = Math.max(r.m[1], u.map.hi); }
      });
      return (galleryRange[g] = r);
    }
    function drawTile(t) {
      var u = t._unit, sp = spaceByName[u.space], s = seriesByID[u.id], g = rangeOf(u.g);
      var cs = t.querySelectorAll('canvas');
      var useShared = shared && shared.checked;
      if (s && sp) { scatter(cs[0], sp, s, null, useShared ? g.s : null); centroidMarks(cs[0], sp, 9); }
      heat(cs[1], u.map, lutSeq, useShared ? g.m : null);
      if (u.map) centroidMarks(cs[1], sp, 9);
      heat(cs[2], u.sac, lutDiv);
    }
    function tileScore(u) {
      return u.parts.map(function (p) {
        var sc = p.scores || {}, t = 'g ' + fmt(sc.gridness) + ' · SI ' + fmt(sc.spatial_info);
        if ('n_fields' in sc) t += ' · fields ' + fmt(sc.n_fields);
        if ('csi' in sc) t += ' · CSI ' + fmt(sc.csi);
        return (p.sign ? p.sign + ' ' : '') + t;
      }).join('\n');
    }
    function labelText(u) {
      return u.parts.map(function (p) { return (p.sign ? p.sign + ': ' : '') + (p.labels || []).join(', '); }).join('; ');
    }
    function makeTile(u) {
      var t = el('div', null, 'tile ' + u.class);
      t._unit = u;
      t.setAttribute('data-id', u.id);
      var cap = el('div', null, 'cap'); cap.appendChild(el('b', u.name)); cap.appendChild(document.createTextNode(' '));
      cap.appendChild(el('span', labelText(u))); t.appendChild(cap);
      var figs = el('div', null, 'figs');
      for (var i = 0; i < 3; i++) { var c = el('canvas'); c.width = 112; c.height = 112; figs.appendChild(c); }
      t.appendChild(figs);
      t.appendChild(el('div', tileScore(u), 'score'));
      t.addEventListener('click', function () { openDetail(u); });
      drawTile(t);
      return t;
    }
    function isLabelled(u) { return u.class !== 'none' && u.class !== 'silent'; }
    Array.prototype.forEach.call(document.querySelectorAll('details.gallery'), function (det) {
      var g = +det.getAttribute('data-g'), box = det.querySelector('.tiles'), btn = det.querySelector('.showall');
      var mine = units.filter(function (u) { return u.g === g; });
      mine.filter(isLabelled).forEach(function (u) { box.appendChild(makeTile(u)); });
      if (btn) btn.addEventListener('click', function () {
        mine.filter(function (u) { return !isLabelled(u); }).forEach(function (u) { box.appendChild(makeTile(u)); });
        btn.remove();
      });
    });
    if (shared) shared.addEventListener('change', function () {
      Array.prototype.forEach.call(document.querySelectorAll('.tile'), drawTile);
    });

    // The detail card: a unit's maps enlarged, every score and reason.
    var modal = document.getElementById('detail'), modalBody = modal.querySelector('.body');
    modal.querySelector('.close').addEventListener('click', function () { modal.hidden = true; });
    modal.addEventListener('click', function (e) { if (e.target === modal) modal.hidden = true; });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') modal.hidden = true; });
    function bigPlots(u, size) {
      var box = el('div', null, 'bigplots'), sp = spaceByName[u.space], s = seriesByID[u.id];
      function fig(title, draw, lut, lo, hi) {
        var f = el('figure'), c = el('canvas'); c.width = size; c.height = size;
        f.appendChild(c); draw(c);
        var k = el('figcaption'); k.appendChild(el('span', title + ' '));
        if (lut) { k.appendChild(el('span', fmt(lo) + ' ')); k.appendChild(colourBar(lut, 70)); k.appendChild(el('span', ' ' + fmt(hi))); }
        f.appendChild(k); box.appendChild(f);
      }
      if (s && sp) fig('activation', function (c) { scatter(c, sp, s); centroidMarks(c, sp, 12); }, s.signed ? lutDiv : lutSeq, s.lo, s.hi);
      if (u.map) fig('rate map', function (c) { heat(c, u.map, lutSeq); centroidMarks(c, sp, 12); }, lutSeq, u.map.lo, u.map.hi);
      if (u.sac) fig('autocorrelogram', function (c) { heat(c, u.sac, lutDiv); }, lutDiv, -1, 1);
      return box;
    }
    function openDetail(u, focusSign) {
      modalBody.textContent = '';
      modalBody.appendChild(el('h3', u.layer + ' — ' + u.name + ' in ' + u.space + ' space'));
      modalBody.appendChild(bigPlots(u, 260));
      var cols = el('div', null, 'row');
      u.parts.forEach(function (p) {
        var box = el('div', null, 'part' + (focusSign !== undefined && p.sign === focusSign ? ' focus' : ''));
        var h = el('p');
        if (p.sign) h.appendChild(el('b', (p.sign === '+' ? 'positive part' : 'negative part') + ': '));
        (p.labels || []).forEach(function (l) { h.appendChild(el('span', l, 'lbl')); });
        if (p.runs && p.n > 1) h.appendChild(el('span', ' runs: ' + runsText(p), 'note'));
        box.appendChild(h);
        var t = el('table', null, 'kv small');
        D.columns.forEach(function (c) {
          if (!(c in (p.scores || {}))) return;
          var tr = el('tr'); tr.appendChild(el('th', c)); tr.appendChild(el('td', fmt(p.scores[c]), 'n')); t.appendChild(tr);
        });
        box.appendChild(t);
        if (p.reasons && p.reasons.length) {
          var ul = el('ul', null, 'reasons');
          p.reasons.forEach(function (r) { ul.appendChild(el('li', r)); });
          box.appendChild(ul);
        }
        cols.appendChild(box);
      });
      modalBody.appendChild(cols);
      var b = el('button', 'show in the explorer'); b.type = 'button';
      b.addEventListener('click', function () { modal.hidden = true; select(u.id, u.space); });
      modalBody.appendChild(b);
      modal.hidden = false;
    }
    window.conceptcellsDetail = openDetail;
    function runsText(p) {
      return Object.keys(p.runs).sort().map(function (l) { return l + ' ' + p.runs[l] + '/' + p.n; }).join(', ');
    }

    // Enlarged candidates in the findings panel.
    Array.prototype.forEach.call(document.querySelectorAll('figure.hero'), function (f) {
      var u = unitByKey[f.getAttribute('data-id') + '|' + f.getAttribute('data-space')];
      if (!u) return;
      var sp = spaceByName[u.space], s = seriesByID[u.id];
      if (s && sp) { scatter(f.querySelector('.h-sc'), sp, s); centroidMarks(f.querySelector('.h-sc'), sp, 10); }
      heat(f.querySelector('.h-rm'), u.map, lutSeq);
      if (sp) centroidMarks(f.querySelector('.h-rm'), sp, 10);
      heat(f.querySelector('.h-sac'), u.sac, lutDiv);
      f.querySelector('.more').addEventListener('click', function () { openDetail(u, f.getAttribute('data-sign')); });
      f.querySelector('.heroplots').addEventListener('click', function () { openDetail(u, f.getAttribute('data-sign')); });
    });

    // The unit table: one line per unit part, the main scores; a click opens
    // the detail card with every score and reason.
    var table = document.getElementById('unitTable');
    var mainScores = ['gridness', 'gridness_p95', 'density_gridness', 'grid_fields', 'residual_gridness', 'spatial_info', 'spatial_info_p95',
      'n_fields', 'field_frac', 'csi', 'csi_p', 'top_class', 'class_coverage'];
    var present = Object.create(null);
    units.forEach(function (u) { u.parts.forEach(function (p) { for (var k in (p.scores || {})) present[k] = true; }); });
    var cols = mainScores.filter(function (c) { return present[c]; });
    var filter = { text: '', layer: null, space: null, kind: null, label: null };
    var head = table.tHead.rows[0];
    ['layer', 'space', 'unit', 'labels', 'runs'].concat(cols).forEach(function (c) { head.appendChild(el('th', c)); });
    var body = table.tBodies[0];
    units.forEach(function (u) {
      u.parts.forEach(function (p) {
        var tr = el('tr');
        tr._unit = u; tr._part = p;
        tr.setAttribute('data-id', u.id); tr.setAttribute('data-space', u.space);
        tr.appendChild(el('td', u.layer)); tr.appendChild(el('td', u.space));
        tr.appendChild(el('td', u.name + (p.sign ? ' (' + p.sign + ')' : '')));
        tr.appendChild(el('td', (p.labels || []).join(', ')));
        tr.appendChild(el('td', p.runs && p.n > 1 ? runsText(p) : '', 'runs'));
        cols.forEach(function (c) {
          var v = (p.scores || {})[c], td = el('td', fmt(v), 'n');
          if (c === 'top_class' && v !== null && v !== undefined) td.textContent = className(v);
          td.setAttribute('data-v', v === null || v === undefined ? '' : String(v));
          tr.appendChild(td);
        });
        tr.title = 'click for every score and reason';
        body.appendChild(tr);
      });
    });
    var tCount = document.getElementById('tCount'), tFilter = document.getElementById('tFilter');
    function applyFilter() {
      var shown = 0, rows = body.rows, txt = filter.text.toLowerCase();
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i], u = r._unit, p = r._part, ok = true;
        if (filter.layer !== null && u.layer !== filter.layer) ok = false;
        if (filter.space !== null && u.space !== filter.space) ok = false;
        if (filter.kind !== null && (u.kind !== filter.kind || p.sign === '-')) ok = false;
        if (filter.label !== null && (p.labels || []).indexOf(filter.label) < 0) ok = false;
        if (ok && txt && r.textContent.toLowerCase().indexOf(txt) < 0) ok = false;
        r.hidden = !ok;
        if (ok) shown++;
      }
      var what = shown + ' of ' + rows.length + ' rows';
      if (filter.label !== null) what += ' — ' + filter.label + ' in ' + filter.layer + ', ' + filter.space + ' space';
      tCount.textContent = what;
    }
    tFilter.addEventListener('input', function () { filter.text = tFilter.value; applyFilter(); });
    document.getElementById('tClear').addEventListener('click', function () {
      filter = { text: '', layer: null, space: null, kind: null, label: null }; tFilter.value = ''; applyFilter();
    });
    Array.prototype.forEach.call(document.querySelectorAll('a.cnt'), function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        filter = { text: '', layer: a.getAttribute('data-layer'), space: a.getAttribute('data-space'), kind: a.getAttribute('data-kind'), label: a.getAttribute('data-label') };
        tFilter.value = '';
        applyFilter();
        document.getElementById('units').scrollIntoView();
      });
    });
    applyFilter();
    var ths = head.cells;
    Array.prototype.forEach.call(ths, function (th, col) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(ths, function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = rows.some(function (r) { return r.cells[col].hasAttribute('data-v'); });
        rows.sort(function (a, b) {
          var x, y;
          if (numeric) {
            x = a.cells[col].getAttribute('data-v'); y = b.cells[col].getAttribute('data-v');
            // Undefined scores sort last either way.
            if (x === '' && y === '') return 0;
            if (x === '') return 1;
            if (y === '') return -1;
            x = +x; y = +y;
          } else {
            x = a.cells[col].textContent; y = b.cells[col].textContent;
          }
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    body.addEventListener('click', function (e) {
      var tr = e.target.closest('tr');
      if (tr && tr._unit) openDetail(tr._unit, tr._part.sign);
    });

    // Unit explorer.
    var canvas = document.getElementById('exCanvas');
    var select = function () {};
    if (!canvas || !spaces.length) return;
    var selSpace = document.getElementById('exSpace'), selSeries = document.getElementById('exSeries');
    var info = document.getElementById('exInfo');
    spaces.forEach(function (s, i) { var o = el('option', s.name); o.value = String(i); selSpace.appendChild(o); });
    var groups = Object.create(null);
    (D.series || []).forEach(function (s) {
      if (!groups[s.layer]) { groups[s.layer] = el('optgroup'); groups[s.layer].label = s.layer; selSeries.appendChild(groups[s.layer]); }
      var o = el('option', s.name); o.value = s.id; groups[s.layer].appendChild(o);
    });
    // Default: the network space if there is one.
    for (var i = 0; i < spaces.length; i++) if (spaces[i].name === 'network') selSpace.value = String(i);
    var view = { cx: 0.5, cy: 0.5, zoom: 1 };

    function draw() {
      var sp = spaces[+selSpace.value], s = seriesByID[selSeries.value];
      scatter(canvas, sp, s || null, view);
      showInfo(sp, s);
    }

    function showInfo(sp, s) {
      info.textContent = '';
      if (!s) {
        info.appendChild(el('h3', 'Coloured by class'));
        var lg = el('div', null, 'legend');
        classLegend(lg);
        info.appendChild(lg);
        info.appendChild(el('p', sp.x.length + ' points in ' + sp.name + ' space. Pick a unit or PC to colour by its activation.'));
        return;
      }
      info.appendChild(el('h3', s.layer + ' — ' + s.name + ' in ' + sp.name + ' space'));
      info.appendChild(el('p', 'activation range ' + fmt(s.lo) + ' … ' + fmt(s.hi) + (s.signed ? ' (signed: blue negative, red positive)' : '')));
      info.appendChild(colourBar(s.signed ? lutDiv : lutSeq, 260));
      var u = unitByKey[s.id + '|' + sp.name];
      if (!u) { info.appendChild(el('p', 'Not scored in this space.')); return; }
      u.parts.forEach(function (p) {
        var h = el('p');
        if (p.sign) h.appendChild(el('b', (p.sign === '+' ? 'positive part' : 'negative part') + ': '));
        (p.labels || []).forEach(function (l) { h.appendChild(el('span', l, 'lbl')); });
        info.appendChild(h);
        var t = el('table', null, 'kv small');
        D.columns.forEach(function (c) {
          if (!(c in (p.scores || {}))) return;
          var tr = el('tr'); tr.appendChild(el('th', c)); tr.appendChild(el('td', fmt(p.scores[c]), 'n')); t.appendChild(tr);
        });
        info.appendChild(t);
        if (p.reasons && p.reasons.length) {
          var ul = el('ul', null, 'reasons');
          p.reasons.forEach(function (r) { ul.appendChild(el('li', r)); });
          info.appendChild(ul);
        }
      });
    }

    select = function (id, spaceName) {
      if (spaceName) for (var i = 0; i < spaces.length; i++) if (spaces[i].name === spaceName) selSpace.value = String(i);
      if (seriesByID[id]) selSeries.value = id;
      draw();
      document.getElementById('explorer').scrollIntoView({ behavior: 'smooth' });
    };
    window.conceptcellsSelect = select;
    selSpace.addEventListener('change', draw);
    selSeries.addEventListener('change', draw);
    document.getElementById('exReset').addEventListener('click', function () { view = { cx: 0.5, cy: 0.5, zoom: 1 }; draw(); });
    canvas.addEventListener('wheel', function (e) {
      e.preventDefault();
      var rect = canvas.getBoundingClientRect();
      var u = (e.clientX - rect.left) / rect.width, v = 1 - (e.clientY - rect.top) / rect.height;
      var wx = (u - 0.5) / view.zoom + view.cx, wy = (v - 0.5) / view.zoom + view.cy;
      var z = Math.max(1, Math.min(64, view.zoom * (e.deltaY < 0 ? 1.25 : 0.8)));
      view.zoom = z; view.cx = wx - (u - 0.5) / z; view.cy = wy - (v - 0.5) / z;
      draw();
    }, { passive: false });
    var drag = null;
    canvas.addEventListener('mousedown', function (e) { drag = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy }; });
    window.addEventListener('mouseup', function () { drag = null; });
    window.addEventListener('mousemove', function (e) {
      if (!drag) return;
      var rect = canvas.getBoundingClientRect();
      view.cx = drag.cx - (e.clientX - drag.x) / rect.width / view.zoom;
      view.cy = drag.cy + (e.clientY - drag.y) / rect.height / view.zoom;
      draw();
    });
    canvas.addEventListener('dblclick', function () { view = { cx: 0.5, cy: 0.5, zoom: 1 }; draw(); });
    draw();
  }
})();
