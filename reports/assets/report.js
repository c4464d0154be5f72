// conceptcells report: table sorting, shared colour scales and the unit
// explorer. Everything it needs is in the #reportData JSON; it fetches
// nothing. Untrusted strings are only ever set through textContent.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('reportData').textContent);

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

  // Shared colour scale toggle.
  var shared = document.getElementById('sharedScale');
  if (shared) shared.addEventListener('change', function () {
    var imgs = document.querySelectorAll('img.sc');
    for (var i = 0; i < imgs.length; i++) {
      var u = shared.checked ? imgs[i].getAttribute('data-shared') : imgs[i].getAttribute('data-own');
      if (u) imgs[i].src = u;
    }
  });

  // Sortable unit table.
  var table = document.getElementById('unitTable');
  if (table) {
    var ths = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th, col) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(ths, function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var numeric = rows.every(function (r) { var v = r.cells[col].getAttribute('data-v'); return v === null || v === '' || isFinite(+v); }) &&
          rows.some(function (r) { return r.cells[col].hasAttribute('data-v'); });
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
  }

  // Unit explorer.
  var canvas = document.getElementById('exCanvas');
  if (!canvas || !D.spaces || !D.spaces.length) return;
  var ctx = canvas.getContext('2d');
  var W = canvas.width, H = canvas.height;
  var spaces = D.spaces.map(function (s) { return { name: s.name, x: b64f32(s.x), y: b64f32(s.y), frame: s.frame }; });
  var labels = D.labels ? b64bytes(D.labels) : null;
  var lutSeq = b64bytes(D.lutSeq), lutDiv = b64bytes(D.lutDiv);
  // Keyed by names from the model: no prototype, so "__proto__",
  // "constructor" or "toString" are ordinary keys.
  var seriesByID = Object.create(null);
  D.series.forEach(function (s) { seriesByID[s.id] = s; });
  var classRGB = D.colors.map(function (h) { return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)]; });

  var selSpace = document.getElementById('exSpace'), selSeries = document.getElementById('exSeries');
  var info = document.getElementById('exInfo');
  spaces.forEach(function (s, i) { var o = el('option', s.name); o.value = String(i); selSpace.appendChild(o); });
  var groups = Object.create(null);
  D.series.forEach(function (s) {
    if (!groups[s.layer]) { groups[s.layer] = el('optgroup'); groups[s.layer].label = s.layer; selSeries.appendChild(groups[s.layer]); }
    var o = el('option', s.name); o.value = s.id; groups[s.layer].appendChild(o);
  });
  // Default: the network space if there is one.
  for (var i = 0; i < spaces.length; i++) if (spaces[i].name === 'network') selSpace.value = String(i);

  var view = { cx: 0.5, cy: 0.5, zoom: 1 };
  var cache = Object.create(null);
  function decoded(s) {
    if (cache[s.id]) return cache[s.id];
    var q = b64bytes(s.q), n = q.length, order = new Uint32Array(n);
    var mid = s.signed ? Math.round((0 - s.lo) / ((s.hi - s.lo) || 1) * 254) : 0;
    for (var i = 0; i < n; i++) order[i] = i;
    var key = new Float32Array(n);
    for (i = 0; i < n; i++) key[i] = q[i] === 255 ? -1 : Math.abs(q[i] - mid);
    order.sort(function (a, b) { return key[a] - key[b]; });
    return (cache[s.id] = { q: q, order: order });
  }

  function draw() {
    var sp = spaces[+selSpace.value], s = seriesByID[selSeries.value];
    var img = ctx.createImageData(W, H), px = img.data;
    for (var i = 0; i < px.length; i += 4) { px[i] = px[i + 1] = px[i + 2] = 255; px[i + 3] = 255; }
    var f = sp.frame, fw = f[1] - f[0] || 1, fh = f[3] - f[2] || 1;
    var n = sp.x.length, r = view.zoom >= 4 ? 2 : 1;
    var d = s ? decoded(s) : null;
    var order = d ? d.order : null;
    var m = s ? Math.max(Math.abs(s.lo), Math.abs(s.hi)) || 1 : 1;
    for (var k = 0; k < n; k++) {
      var j = order ? order[k] : k;
      var u = ((sp.x[j] - f[0]) / fw - view.cx) * view.zoom + 0.5, v = ((sp.y[j] - f[2]) / fh - view.cy) * view.zoom + 0.5;
      var X = Math.round(u * (W - 4)) + 1, Y = Math.round((1 - v) * (H - 4)) + 1;
      if (X < 0 || Y < 0 || X >= W - r || Y >= H - r) continue;
      var R, G, B;
      if (!d) {
        var c = labels ? labels[j] : 0, rgb = classRGB[c] || [85, 85, 85];
        R = rgb[0]; G = rgb[1]; B = rgb[2];
      } else {
        var q = d.q[j];
        if (q === 255) { R = G = B = 200; } else {
          var val = s.lo + q / 254 * (s.hi - s.lo), t, lut;
          if (s.signed) { t = (val + m) / (2 * m); lut = lutDiv; } else { t = s.hi > s.lo ? (val - s.lo) / (s.hi - s.lo) : 0; lut = lutSeq; }
          var li = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
          R = lut[li]; G = lut[li + 1]; B = lut[li + 2];
        }
      }
      for (var dy = 0; dy <= r; dy++) for (var dx = 0; dx <= r; dx++) {
        var o = ((Y + dy) * W + X + dx) * 4;
        px[o] = R; px[o + 1] = G; px[o + 2] = B;
      }
    }
    ctx.putImageData(img, 0, 0);
    showInfo(sp, s);
  }

  function showInfo(sp, s) {
    info.textContent = '';
    if (!s) {
      info.appendChild(el('h3', 'Coloured by class'));
      var lg = el('div', null, 'legend');
      D.classes.forEach(function (c, i) {
        var sw = el('span'); var dot = el('i'); dot.style.background = D.colors[i % D.colors.length];
        sw.appendChild(dot); sw.appendChild(document.createTextNode(c)); lg.appendChild(sw);
      });
      info.appendChild(lg);
      info.appendChild(el('p', sp.x.length + ' points in ' + sp.name + ' space. Pick a unit or PC to colour by its activation.'));
      return;
    }
    info.appendChild(el('h3', s.layer + ' — ' + s.name + ' in ' + sp.name + ' space'));
    info.appendChild(el('p', 'activation range ' + fmt(s.lo) + ' … ' + fmt(s.hi) + (s.signed ? ' (signed: blue negative, red positive)' : '')));
    var bar = el('canvas', null, 'bar'); bar.width = 256; bar.height = 1;
    var bc = bar.getContext('2d'), bi = bc.createImageData(256, 1), lut = s.signed ? lutDiv : lutSeq;
    for (var i = 0; i < 256; i++) { bi.data[4 * i] = lut[3 * i]; bi.data[4 * i + 1] = lut[3 * i + 1]; bi.data[4 * i + 2] = lut[3 * i + 2]; bi.data[4 * i + 3] = 255; }
    bc.putImageData(bi, 0, 0); info.appendChild(bar);
    var parts = (D.scores[s.id] || {})[sp.name] || [];
    if (!parts.length) info.appendChild(el('p', 'Not scored in this space.'));
    parts.forEach(function (p) {
      var h = el('p');
      if (p.sign) h.appendChild(el('b', (p.sign === '+' ? 'positive part' : 'negative part') + ': '));
      (p.labels || []).forEach(function (l) { h.appendChild(el('span', l, 'lbl')); });
      info.appendChild(h);
      var t = el('table');
      D.columns.forEach(function (c) {
        if (!(c in (p.scores || {}))) return;
        var tr = el('tr'); tr.appendChild(el('th', c)); var td = el('td', fmt(p.scores[c]), 'n'); tr.appendChild(td); t.appendChild(tr);
      });
      info.appendChild(t);
      if (p.reasons && p.reasons.length) {
        var ul = el('ul');
        p.reasons.forEach(function (r) { ul.appendChild(el('li', r)); });
        info.appendChild(ul);
      }
    });
  }

  function select(id, spaceName) {
    if (spaceName) for (var i = 0; i < spaces.length; i++) if (spaces[i].name === spaceName) selSpace.value = String(i);
    if (seriesByID[id]) selSeries.value = id;
    draw();
    document.getElementById('explorer').scrollIntoView({ behavior: 'smooth' });
  }
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

  var tiles = document.querySelectorAll('.tile[data-id]');
  for (var t = 0; t < tiles.length; t++) tiles[t].addEventListener('click', function () {
    var g = this.closest('details'); var sp = g ? g.getAttribute('data-space') : null;
    select(this.getAttribute('data-id'), sp);
  });
  if (table) table.tBodies[0].addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) select(tr.getAttribute('data-id'), tr.getAttribute('data-space'));
  });
  draw();
})();
