/* reportgen 3D viewer: a small WebGL 1 renderer written for this project (no third-party
   3D library). Point clouds (RGB or category colours), lidar boxes with labels, vectors as
   arrows, shaded meshes, molecules as ball-and-stick with element colours.
   Mouse: drag orbits, wheel zooms, ctrl+drag (or right/middle drag, or shift+drag) pans.
   RGViewer3D.create(container, scene) -> viewer; scene is the payload written by
   reportgen/site/panels/items.py (flat arrays). */
(function () {
  "use strict";

  /* ---------------- small matrix helpers (column-major, like WebGL) ---------------- */
  function perspective(fovy, aspect, near, far) {
    var f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
    return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0]);
  }
  function sub(a, b) { return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]; }
  function add(a, b) { return [a[0] + b[0], a[1] + b[1], a[2] + b[2]]; }
  function scale(a, s) { return [a[0] * s, a[1] * s, a[2] * s]; }
  function cross(a, b) { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  function norm(a) { var l = Math.sqrt(dot(a, a)) || 1; return [a[0] / l, a[1] / l, a[2] / l]; }
  function lookAt(eye, center, up) {
    var z = norm(sub(eye, center)), x = norm(cross(up, z)), y = cross(z, x);
    return new Float32Array([x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0,
      -dot(x, eye), -dot(y, eye), -dot(z, eye), 1]);
  }
  function mul(a, b) {
    var o = new Float32Array(16);
    for (var i = 0; i < 4; i++) for (var j = 0; j < 4; j++) {
      var s = 0;
      for (var k = 0; k < 4; k++) s += a[k * 4 + j] * b[i * 4 + k];
      o[i * 4 + j] = s;
    }
    return o;
  }
  function project(m, p) {
    var x = m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12];
    var y = m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13];
    var w = m[3] * p[0] + m[7] * p[1] + m[11] * p[2] + m[15];
    return w > 0 ? [x / w, y / w] : null;
  }

  /* ---------------- colours ---------------- */
  // 14 categories (point clouds with a category column c in 1..14)
  var CATEGORY = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
    [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40], [255, 250, 200]];
  // CPK / Jmol element colours
  var ELEMENT = { H: [255, 255, 255], C: [144, 144, 144], N: [48, 80, 248], O: [255, 13, 13], F: [144, 224, 80], CL: [31, 240, 31],
    BR: [166, 41, 41], I: [148, 0, 148], S: [255, 255, 48], P: [255, 128, 0], NA: [171, 92, 242], K: [143, 64, 212], MG: [138, 255, 0],
    CA: [61, 255, 0], FE: [224, 102, 51], ZN: [125, 128, 176], CU: [200, 128, 51], B: [255, 181, 181], SE: [255, 161, 0] };
  var RADIUS = { H: 0.25, C: 0.38, N: 0.36, O: 0.35, S: 0.45, P: 0.45 };
  function elementColor(e) { return ELEMENT[String(e).toUpperCase()] || [255, 20, 147]; }

  /* ---------------- shaders ---------------- */
  var VS_LIT = "attribute vec3 p; attribute vec3 n; attribute vec3 c; uniform mat4 mvp; varying vec3 vn; varying vec3 vc;" +
    "void main(){ gl_Position = mvp * vec4(p,1.0); vn = n; vc = c; }";
  var FS_LIT = "precision mediump float; varying vec3 vn; varying vec3 vc; uniform vec3 light;" +
    "void main(){ vec3 nn = normalize(vn); float d = abs(dot(nn, light)); gl_FragColor = vec4(vc * (0.28 + 0.72 * d), 1.0); }";
  var VS_FLAT = "attribute vec3 p; attribute vec3 c; uniform mat4 mvp; uniform float size; varying vec3 vc;" +
    "void main(){ gl_Position = mvp * vec4(p,1.0); gl_PointSize = size; vc = c; }";
  var FS_FLAT = "precision mediump float; varying vec3 vc; void main(){ gl_FragColor = vec4(vc, 1.0); }";

  function compile(gl, vs, fs) {
    function sh(type, src) {
      var s = gl.createShader(type);
      gl.shaderSource(s, src); gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    }
    var prog = gl.createProgram();
    gl.attachShader(prog, sh(gl.VERTEX_SHADER, vs));
    gl.attachShader(prog, sh(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
    return prog;
  }

  /* ---------------- geometry builders (plain arrays) ---------------- */
  function Geo() { this.p = []; this.n = []; this.c = []; }
  Geo.prototype.tri = function (a, b, c, col, na, nb, nc) {
    var fn = norm(cross(sub(b, a), sub(c, a)));
    var ns = [na || fn, nb || fn, nc || fn], vs = [a, b, c];
    for (var i = 0; i < 3; i++) {
      this.p.push(vs[i][0], vs[i][1], vs[i][2]);
      this.n.push(ns[i][0], ns[i][1], ns[i][2]);
      var cc = Array.isArray(col[0]) ? col[i] : col;
      this.c.push(cc[0] / 255, cc[1] / 255, cc[2] / 255);
    }
  };
  Geo.prototype.line = function (a, b, col) {
    this.p.push(a[0], a[1], a[2], b[0], b[1], b[2]);
    for (var i = 0; i < 2; i++) this.c.push(col[0] / 255, col[1] / 255, col[2] / 255);
  };

  function makeSphere(la, lo) { // a low-poly unit sphere (latitude/longitude)
    var tris = [];
    function pt(i, j) {
      var t = i / la * Math.PI, f = j / lo * 2 * Math.PI;
      return [Math.sin(t) * Math.cos(f), Math.cos(t), Math.sin(t) * Math.sin(f)];
    }
    for (var i = 0; i < la; i++) for (var j = 0; j < lo; j++) {
      var a = pt(i, j), b = pt(i + 1, j), c = pt(i + 1, j + 1), d = pt(i, j + 1);
      if (i < la - 1) tris.push([a, c, b]); // b == c at the south pole
      if (i > 0) tris.push([a, d, c]); // a == d at the north pole
    }
    return tris;
  }
  var SPHERE_FINE = makeSphere(8, 12), SPHERE_COARSE = makeSphere(4, 6);
  function sphere(g, center, r, col, tris) {
    (tris || SPHERE_FINE).forEach(function (t) {
      g.tri(add(center, scale(t[0], r)), add(center, scale(t[1], r)), add(center, scale(t[2], r)), col, t[0], t[1], t[2]);
    });
  }
  function cylinder(g, a, b, r, colA, colB, sides) {
    var axis = sub(b, a), len = Math.sqrt(dot(axis, axis));
    if (len < 1e-9) return;
    var d = scale(axis, 1 / len);
    var u = norm(cross(d, Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0])), v = cross(d, u);
    var mid = add(a, scale(axis, 0.5));
    sides = sides || 8;
    for (var i = 0; i < sides; i++) {
      var t0 = i / sides * 2 * Math.PI, t1 = (i + 1) / sides * 2 * Math.PI;
      var n0 = add(scale(u, Math.cos(t0)), scale(v, Math.sin(t0))), n1 = add(scale(u, Math.cos(t1)), scale(v, Math.sin(t1)));
      var a0 = add(a, scale(n0, r)), a1 = add(a, scale(n1, r)), m0 = add(mid, scale(n0, r)), m1 = add(mid, scale(n1, r));
      var b0 = add(b, scale(n0, r)), b1 = add(b, scale(n1, r));
      g.tri(a0, m0, m1, colA, n0, n0, n1); g.tri(a0, m1, a1, colA, n0, n1, n1);
      g.tri(m0, b0, b1, colB, n0, n0, n1); g.tri(m0, b1, m1, colB, n0, n1, n1);
    }
  }
  function cone(g, base, tip, r, col) {
    var axis = sub(tip, base), d = norm(axis);
    var u = norm(cross(d, Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0])), v = cross(d, u);
    for (var i = 0; i < 10; i++) {
      var t0 = i / 10 * 2 * Math.PI, t1 = (i + 1) / 10 * 2 * Math.PI;
      var p0 = add(base, add(scale(u, r * Math.cos(t0)), scale(v, r * Math.sin(t0))));
      var p1 = add(base, add(scale(u, r * Math.cos(t1)), scale(v, r * Math.sin(t1))));
      g.tri(p0, p1, tip, col);
      g.tri(p0, base, p1, col);
    }
  }
  // the 12 edges of a box given 8 corners in any order: connect corners that differ along one axis
  function boxEdges(corners) {
    var edges = [], n = corners.length;
    var d = [];
    for (var i = 0; i < n; i++) for (var j = i + 1; j < n; j++) {
      var v = sub(corners[i], corners[j]);
      d.push([dot(v, v), i, j]);
    }
    d.sort(function (a, b) { return a[0] - b[0]; });
    // each corner has exactly 3 box-edge neighbours: the nearest ones that are not face/space diagonals
    var deg = new Array(n).fill(0);
    for (var k = 0; k < d.length && edges.length < 12; k++) {
      var a = d[k][1], b = d[k][2];
      if (deg[a] >= 3 || deg[b] >= 3) continue;
      var va = sub(corners[b], corners[a]), ok = true;
      for (var e = 0; e < edges.length && ok; e++) { // a new edge is never the sum of two edges at the same corner
        var E = edges[e];
        if (E[0] === a || E[1] === a) {
          var other = E[0] === a ? E[1] : E[0];
          var w = sub(corners[other], corners[a]);
          var c = cross(va, w);
          if (dot(c, c) < 1e-12 * dot(va, va) * dot(w, w)) ok = false; // parallel: duplicate direction
        }
      }
      if (!ok) continue;
      edges.push([a, b]); deg[a]++; deg[b]++;
    }
    return edges;
  }

  /* ---------------- the scene ---------------- */
  // a point cloud's packed arrays (reportgen/site/panels/pointcloud.py): base64 of little-endian
  // float32 coordinates, uint8 colours or categories
  function unpack(b64, Type) {
    var s = atob(b64), u = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return new Type(u.buffer);
  }
  function buildScene(scene) {
    var lit = new Geo(), lines = new Geo(), pts = new Geo(), labels = [];
    var bmin = [Infinity, Infinity, Infinity], bmax = [-Infinity, -Infinity, -Infinity];
    function grow(p) { for (var i = 0; i < 3; i++) { if (p[i] < bmin[i]) bmin[i] = p[i]; if (p[i] > bmax[i]) bmax[i] = p[i]; } }
    if (scene.points_f32) {
      scene.points = unpack(scene.points_f32, Float32Array);
      if (scene.colors_u8) scene.colors = unpack(scene.colors_u8, Uint8Array);
      if (scene.categories_u8) scene.categories = unpack(scene.categories_u8, Uint8Array);
    }
    var P = scene.points;
    if (P && P.length) {
      var np = P.length / 3, zmin = Infinity, zmax = -Infinity;
      for (var i = 0; i < np; i++) { zmin = Math.min(zmin, P[i * 3 + 2]); zmax = Math.max(zmax, P[i * 3 + 2]); }
      for (i = 0; i < np; i++) {
        var p = [P[i * 3], P[i * 3 + 1], P[i * 3 + 2]], col;
        grow(p);
        if (scene.colors) col = [scene.colors[i * 3], scene.colors[i * 3 + 1], scene.colors[i * 3 + 2]];
        else if (scene.categories) col = CATEGORY[((scene.categories[i] | 0) - 1 + 14 * 100) % 14];
        else { var t = zmax > zmin ? (p[2] - zmin) / (zmax - zmin) : 0.5; col = [80 + 175 * t, 180, 255 - 175 * t]; }
        pts.p.push(p[0], p[1], p[2]); pts.c.push(col[0] / 255, col[1] / 255, col[2] / 255);
      }
    }
    if (scene.mesh && scene.mesh.v) {
      var V = scene.mesh.v, F = scene.mesh.f || [], C = scene.mesh.c, nv = V.length / 3;
      var vn = new Float64Array(V.length);
      function vert(k) { return [V[k * 3], V[k * 3 + 1], V[k * 3 + 2]]; }
      for (i = 0; i + 2 < F.length; i += 3) { // smooth normals: area-weighted face normals per vertex
        var fa = vert(F[i]), fb = vert(F[i + 1]), fc = vert(F[i + 2]), fnn = cross(sub(fb, fa), sub(fc, fa));
        for (var q = 0; q < 3; q++) for (var r = 0; r < 3; r++) vn[F[i + q] * 3 + r] += fnn[r];
      }
      for (i = 0; i < nv; i++) grow(vert(i));
      for (i = 0; i + 2 < F.length; i += 3) {
        var ids = [F[i], F[i + 1], F[i + 2]];
        var cols = ids.map(function (k) { return C ? [C[k * 3], C[k * 3 + 1], C[k * 3 + 2]] : [176, 190, 214]; });
        var ns = ids.map(function (k) { return norm([vn[k * 3], vn[k * 3 + 1], vn[k * 3 + 2]]); });
        lit.tri(vert(ids[0]), vert(ids[1]), vert(ids[2]), cols, ns[0], ns[1], ns[2]);
      }
    }
    (scene.boxes || []).forEach(function (b) {
      var col = (b.color || [0, 255, 0]).map(function (v) { return Math.max(0, Math.min(255, v)); });
      b.corners.forEach(grow);
      boxEdges(b.corners).forEach(function (e) { lines.line(b.corners[e[0]], b.corners[e[1]], col); });
      if (b.label) {
        var top = b.corners.reduce(function (m, c) { return c[2] > m[2] ? c : m; }, b.corners[0]);
        labels.push({ text: String(b.label), at: top, color: col });
      }
    });
    var span = Math.max(bmax[0] - bmin[0], bmax[1] - bmin[1], bmax[2] - bmin[2]);
    (scene.vectors || []).forEach(function (v) { grow(v.start); grow(v.end); });
    span = Math.max(span, bmax[0] - bmin[0], bmax[1] - bmin[1], bmax[2] - bmin[2]);
    (scene.vectors || []).forEach(function (v) {
      var s = v.start, e = v.end, d = sub(e, s), len = Math.sqrt(dot(d, d));
      if (len < 1e-12) return;
      var col = v.color || [255, 196, 0];
      var head = Math.min(len * 0.3, Math.max(span, len) * 0.06), base = add(s, scale(d, (len - head) / len));
      cylinder(lit, s, base, head * 0.15, col, col, 6);
      cone(lit, base, e, head * 0.4, col);
    });
    if (scene.atoms) {
      var E = scene.atoms.e, X = scene.atoms.xyz, na = E.length, at = [];
      for (i = 0; i < na; i++) { at.push([X[i * 3], X[i * 3 + 1], X[i * 3 + 2]]); grow(at[i]); }
      // level of detail by size: fine balls and sticks for small molecules, coarse balls and
      // single sticks for proteins, coloured points and lines for very large structures
      var big = na > 2000, huge = na > 30000;
      for (i = 0; i < na; i++) {
        var el = String(E[i]).toUpperCase(), ec = elementColor(el);
        if (huge) { pts.p.push(at[i][0], at[i][1], at[i][2]); pts.c.push(ec[0] / 255, ec[1] / 255, ec[2] / 255); }
        else sphere(lit, at[i], (RADIUS[el] || 0.42) * (big ? 0.6 : 1), ec, big ? SPHERE_COARSE : SPHERE_FINE);
      }
      (scene.bonds || []).forEach(function (b) {
        var a1 = at[b[0]], a2 = at[b[1]];
        if (!a1 || !a2) return;
        var c1 = elementColor(E[b[0]]), c2 = elementColor(E[b[1]]), order = b[2] || 1;
        if (huge) { var mid = scale(add(a1, a2), 0.5); lines.line(a1, mid, c1); lines.line(mid, a2, c2); return; }
        if (order === 1 || big) { cylinder(lit, a1, a2, 0.12, c1, c2, big ? 4 : 8); return; }
        var d = norm(sub(a2, a1)), off = scale(norm(cross(d, Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0])), 0.09);
        for (var k = 0; k < Math.min(order, 3); k++) {
          var o = scale(off, k - (Math.min(order, 3) - 1) / 2);
          cylinder(lit, add(a1, o), add(a2, o), 0.06, c1, c2, 6);
        }
      });
    }
    if (!isFinite(bmin[0])) { bmin = [-1, -1, -1]; bmax = [1, 1, 1]; }
    var pad = scene.atoms ? 0.6 : 0; // balls stick out of the atom centres
    return { lit: lit, lines: lines, pts: pts, labels: labels, center: scale(add(bmin, bmax), 0.5),
      radius: Math.max(1e-6, 0.5 * Math.sqrt(dot(sub(bmax, bmin), sub(bmax, bmin))) + pad) };
  }

  function create(container, scene) {
    var t0 = (window.performance || Date).now();
    var canvas = document.createElement("canvas");
    container.insertBefore(canvas, container.firstChild);
    var gl = canvas.getContext("webgl", { antialias: true, preserveDrawingBuffer: true }) ||
      canvas.getContext("experimental-webgl", { preserveDrawingBuffer: true });
    if (!gl) { canvas.remove(); throw new Error("WebGL is not available in this browser"); }
    var built = buildScene(scene);
    var progLit = compile(gl, VS_LIT, FS_LIT), progFlat = compile(gl, VS_FLAT, FS_FLAT);
    function buffer(arr) {
      if (!arr.length) return null;
      var b = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, b);
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(arr), gl.STATIC_DRAW);
      return b;
    }
    var bufs = {
      lit: { p: buffer(built.lit.p), n: buffer(built.lit.n), c: buffer(built.lit.c), count: built.lit.p.length / 3 },
      lines: { p: buffer(built.lines.p), c: buffer(built.lines.c), count: built.lines.p.length / 3 },
      pts: { p: buffer(built.pts.p), c: buffer(built.pts.c), count: built.pts.p.length / 3 }
    };
    var labelEls = built.labels.map(function (l) {
      var d = document.createElement("div");
      d.className = "rgp-3d-label";
      d.textContent = l.text;
      d.style.color = "rgb(" + l.color.join(",") + ")";
      container.appendChild(d);
      return d;
    });
    var state = { theta: 0.8, phi: 1.0, dist: built.radius * 2.3, target: built.center.slice(), up: [0, 0, 1] };
    if (scene.atoms || (scene.mesh && !scene.points)) state.up = [0, 1, 0];
    var pending = false;

    var maxAttribs = gl.getParameter(gl.MAX_VERTEX_ATTRIBS);
    function resetAttribs() { for (var i = 0; i < Math.min(maxAttribs, 8); i++) gl.disableVertexAttribArray(i); }
    function attrib(prog, name, buf, size) {
      var loc = gl.getAttribLocation(prog, name);
      if (loc < 0) return;
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, 0, 0);
    }
    function eye() {
      var s = Math.sin(state.phi), c = Math.cos(state.phi);
      var off = state.up[2] === 1 ? [s * Math.cos(state.theta), s * Math.sin(state.theta), c] : [s * Math.sin(state.theta), c, s * Math.cos(state.theta)];
      return add(state.target, scale(off, state.dist));
    }
    function draw() {
      pending = false;
      if (viewer.disposed) return;
      var w = container.clientWidth || 400, h = container.clientHeight || 300, dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      }
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(0.067, 0.086, 0.125, 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      gl.enable(gl.DEPTH_TEST);
      var e = eye();
      var view = lookAt(e, state.target, state.up);
      var proj = perspective(0.8, canvas.width / canvas.height, state.dist / 1000, state.dist + built.radius * 4);
      var mvp = mul(proj, view);
      if (bufs.lit.count) {
        gl.useProgram(progLit);
        resetAttribs();
        gl.uniformMatrix4fv(gl.getUniformLocation(progLit, "mvp"), false, mvp);
        gl.uniform3fv(gl.getUniformLocation(progLit, "light"), norm(sub(e, state.target)));
        attrib(progLit, "p", bufs.lit.p, 3); attrib(progLit, "n", bufs.lit.n, 3); attrib(progLit, "c", bufs.lit.c, 3);
        gl.drawArrays(gl.TRIANGLES, 0, bufs.lit.count);
      }
      gl.useProgram(progFlat);
      gl.uniformMatrix4fv(gl.getUniformLocation(progFlat, "mvp"), false, mvp);
      resetAttribs();
      if (bufs.pts.count) {
        gl.uniform1f(gl.getUniformLocation(progFlat, "size"), Math.max(1.5, Math.min(5, 4 * dpr * 2000 / (bufs.pts.count + 2000) + 1)));
        attrib(progFlat, "p", bufs.pts.p, 3); attrib(progFlat, "c", bufs.pts.c, 3);
        gl.drawArrays(gl.POINTS, 0, bufs.pts.count);
      }
      if (bufs.lines.count) {
        gl.uniform1f(gl.getUniformLocation(progFlat, "size"), 1);
        attrib(progFlat, "p", bufs.lines.p, 3); attrib(progFlat, "c", bufs.lines.c, 3);
        gl.drawArrays(gl.LINES, 0, bufs.lines.count);
      }
      built.labels.forEach(function (l, i) {
        var s = project(mvp, l.at), d = labelEls[i];
        if (!s || Math.abs(s[0]) > 1.2 || Math.abs(s[1]) > 1.2) { d.style.display = "none"; return; }
        d.style.display = "";
        d.style.left = ((s[0] + 1) / 2 * w) + "px";
        d.style.top = ((1 - s[1]) / 2 * h - 14) + "px";
      });
      viewer.frames++;
    }
    function redraw() { if (!pending && !viewer.disposed) { pending = true; requestAnimationFrame(draw); } }

    var viewer = {
      canvas: canvas, state: state, frames: 0, labels: labelEls,
      counts: { triangles: bufs.lit.count / 3, lines: bufs.lines.count / 2, points: bufs.pts.count },
      draw: draw, redraw: redraw,
      orbit: function (dx, dy) {
        state.theta -= dx * 0.01;
        state.phi = Math.max(0.05, Math.min(Math.PI - 0.05, state.phi - dy * 0.01));
        redraw();
      },
      zoom: function (factor) { state.dist = Math.max(built.radius * 0.05, Math.min(built.radius * 50, state.dist * factor)); redraw(); },
      pan: function (dx, dy) {
        var e = eye(), f = norm(sub(state.target, e)), right = norm(cross(f, state.up)), up = cross(right, f);
        var k = state.dist * 0.0015;
        state.target = add(state.target, add(scale(right, -dx * k), scale(up, dy * k)));
        redraw();
      },
      /* how many pixels differ from the background (for tests and sanity checks) */
      ink: function () {
        draw();
        var px = new Uint8Array(canvas.width * canvas.height * 4), n = 0;
        gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
        for (var i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 17) + Math.abs(px[i + 1] - 22) + Math.abs(px[i + 2] - 32) > 12) n++;
        return n;
      },
      /* free the WebGL context (browsers keep only ~16 alive) when the panel shows another step */
      dispose: function () {
        var ext = gl.getExtension("WEBGL_lose_context");
        if (ext) ext.loseContext();
        viewer.disposed = true;
      },
      pixels: function () {
        draw();
        var px = new Uint8Array(canvas.width * canvas.height * 4);
        gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
        return px;
      }
    };

    var drag = null;
    canvas.addEventListener("contextmenu", function (e) { e.preventDefault(); });
    canvas.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, pan: e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1 || e.button === 2 };
      canvas.setPointerCapture(e.pointerId);
      canvas.style.cursor = "grabbing";
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag.x = e.clientX; drag.y = e.clientY;
      if (drag.pan || e.ctrlKey || e.metaKey) viewer.pan(dx, dy); else viewer.orbit(dx, dy);
    });
    function end() { drag = null; canvas.style.cursor = ""; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("wheel", function (e) { e.preventDefault(); viewer.zoom(Math.exp(e.deltaY * 0.001)); }, { passive: false });
    if ("ResizeObserver" in window) new ResizeObserver(redraw).observe(container);
    draw();
    viewer.createMs = (window.performance || Date).now() - t0; // geometry + upload + first frame
    return viewer;
  }

  window.RGViewer3D = { create: create, boxEdges: boxEdges };
})();
