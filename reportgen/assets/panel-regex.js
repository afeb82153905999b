/* Regular expressions of the panel search (assets/panel-search.js), matched in time linear in the
   key: the pattern becomes a Thompson NFA whose states are followed all at once, one character
   of the key at a time, so nothing backtracks. The browser's own RegExp backtracks: a link with
   #q=/(a+)+$/ hung the tab for good on a page whose metric names were 40 a's and a "!".

   RG.linearRegex(source, flags) -> {test(text) -> bool}; it throws RG.linearRegex.Unsupported
   (its message says why) for what it does not match this way: lookarounds, backreferences,
   Unicode property escapes, the v flag, more than MAX_STATES states ("a{1000}") or a pattern
   longer than MAX_SOURCE. A matcher follows at most BUDGET states over all the keys it tests (a
   search of the whole page), then throws Unsupported too: the caller matches the rest as text.
   The caller first compiles the pattern with RegExp (a syntax error keeps its browser's message);
   this file then reads a valid pattern. Flags: i, m, s, u (g, y, d mean nothing to a test).
   Tested against RegExp in tests/js/panel-regex.test.js. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var MAX_STATES = 1000, MAX_SOURCE = 1000, BUDGET = 20000000;

  function Unsupported(message) { this.message = message; }
  Unsupported.prototype.toString = function () { return this.message; };

  var LINE = [10, 13, 0x2028, 0x2029];
  function isLine(c) { return LINE.indexOf(c) >= 0; }
  function isDigit(c) { return c >= 48 && c <= 57; }
  function isWord(c) { return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; }
  var SPACE = [9, 10, 11, 12, 13, 32, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff];
  function isSpace(c) { return SPACE.indexOf(c) >= 0 || (c >= 0x2000 && c <= 0x200a); }
  function not(f) { return function (c) { return !f(c); }; }
  function wordOf(flags) {  // \w, \b: with i and u, also "ſ" and the Kelvin sign (their case folds are)
    return flags.i && flags.u ? function (c) { return isWord(c) || c === 0x17f || c === 0x212a; } : isWord;
  }
  var CONTROL = { t: 9, n: 10, v: 11, f: 12, r: 13 };

  function codes(text, unicode) {  // code points with the u flag, else UTF-16 code units (as RegExp)
    var out = [];
    for (var i = 0; i < text.length; i++) {
      var c = unicode ? text.codePointAt(i) : text.charCodeAt(i);
      out.push(c);
      if (c > 0xffff) i++;
    }
    return out;
  }

  /* source -> tree: {t: "char", f}, {t: "cat", a}, {t: "alt", a}, {t: "rep", n, min, max}, {t: "at", k} */
  function parse(src, flags) {
    var s = codes(src, flags.u), i = 0, word = wordOf(flags);
    // (closed under the i flag as they are: no case of a digit, a space, or a word character outside)
    var CLASSES = { d: isDigit, D: not(isDigit), w: word, W: not(word), s: isSpace, S: not(isSpace) };
    function peek() { return s[i]; }
    function ch(c) { return c === undefined ? "" : String.fromCodePoint(c); }
    function eat(c) { if (s[i] === c.charCodeAt(0)) { i++; return true; } return false; }
    function alt() {
      var a = [cat()];
      while (eat("|")) a.push(cat());
      return a.length === 1 ? a[0] : { t: "alt", a: a };
    }
    function cat() {
      var a = [];
      while (i < s.length && ch(peek()) !== "|" && ch(peek()) !== ")") a.push(repeat());
      return { t: "cat", a: a };
    }
    function braces() {  // {n}, {n,}, {n,m} at i, else null (without u, "{" alone is a character)
      var m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint.apply(null, s.slice(i, i + 24)));
      if (!m) return null;
      i += m[0].length;
      return [Number(m[1]), m[2] === undefined ? Number(m[1]) : (m[3] === "" ? Infinity : Number(m[3]))];
    }
    function repeat() {
      var node = atom();
      for (;;) {
        var c = ch(peek()), range = { "*": [0, Infinity], "+": [1, Infinity], "?": [0, 1] }[c];
        if (range) i++;
        else if (c !== "{" || !(range = braces())) return node;
        eat("?");  // lazy: the same set of keys
        node = { t: "rep", n: node, min: range[0], max: range[1] };
      }
    }
    function atom() {
      var c = s[i++], k = ch(c);
      if (k === "(") {
        if (eat("?")) {
          if (eat(":")) { /* non-capturing */ } else if (peek() === 60 && s[i + 1] !== 61 && s[i + 1] !== 33) {
            while (i < s.length && s[i] !== 62) i++;  // (?<name>...)
            i++;
          } else throw new Unsupported("lookarounds and group modifiers are not supported");
        }
        var inner = alt();
        eat(")");
        return inner;
      }
      if (k === "[") return klass();
      if (k === ".") return { t: "char", f: flags.s ? function () { return true; } : not(isLine) };
      if (k === "^") return { t: "at", k: "^" };
      if (k === "$") return { t: "at", k: "$" };
      if (k === "\\") {
        var e = ch(s[i]);
        if (e === "b" || e === "B") { i++; return { t: "at", k: e }; }
        var esc = escape(false);
        return { t: "char", f: CLASSES[e] ? esc : fold(esc) };
      }
      return literal(c);
    }
    function literal(c) { return { t: "char", f: fold(eq(c)) }; }
    function fold(f) { return flags.i ? folded(f, flags.u) : f; }
    function escape(inClass) {  // after "\": a test of one character
      var c = s[i++], e = ch(c);
      if (CLASSES[e]) return CLASSES[e];
      if (e >= "1" && e <= "9" || e === "k") throw new Unsupported("backreferences are not supported");
      if ((e === "p" || e === "P") && flags.u) throw new Unsupported("Unicode property escapes are not supported");
      if (inClass && e === "b") return eq(8);
      if (CONTROL[e] !== undefined) return eq(CONTROL[e]);
      if (e === "0" && !isDigit(s[i])) return eq(0);
      if (e === "c" && /[a-z]/i.test(ch(s[i]))) return eq(s[i++] % 32);
      if (e === "0" || e === "c") throw new Unsupported("legacy escapes are not supported");
      if (e === "x" && /^[0-9a-f]{2}$/i.test(hex(2))) { i += 2; return eq(parseInt(String.fromCharCode.apply(null, s.slice(i - 2, i)), 16)); }
      if (e === "u") {
        if (flags.u && ch(s[i]) === "{") {
          var end = s.indexOf(125, i);
          var v = parseInt(String.fromCodePoint.apply(null, s.slice(i + 1, end)), 16);
          i = end + 1;
          return eq(v);
        }
        if (/^[0-9a-f]{4}$/i.test(hex(4))) { i += 4; return eq(parseInt(String.fromCharCode.apply(null, s.slice(i - 4, i)), 16)); }
      }
      return eq(c);  // an identity escape: \. \/ \( ...
    }
    function hex(n) { return String.fromCharCode.apply(null, s.slice(i, i + n)); }
    function eq(c) { var f = function (x) { return x === c; }; f.c = c; return f; }
    function klass() {
      var negate = eat("^"), parts = [];
      while (i < s.length && s[i] !== 93) {
        var lo = s[i] === 92 ? (i++, escape(true)) : eq(s[i++]);
        if (s[i] === 45 && s[i + 1] !== 93 && i + 1 < s.length && lo.c !== undefined) {
          i++;
          var hi = s[i] === 92 ? (i++, escape(true)) : eq(s[i++]);
          if (hi.c === undefined) { parts.push(lo, eq(45), hi); continue; }  // [a-\d] (without u)
          parts.push(range(lo.c, hi.c));
        } else parts.push(lo);
      }
      i++;  // "]"
      var any = fold(function (x) { for (var j = 0; j < parts.length; j++) if (parts[j](x)) return true; return false; });
      return { t: "char", f: negate ? not(any) : any };  // (folded first: /[^a]/i refuses "A")
    }
    function range(lo, hi) { return function (x) { return x >= lo && x <= hi; }; }
    if (flags.v) throw new Unsupported("the v flag is not supported");
    var tree = alt();
    if (i < s.length) throw new Unsupported("unexpected " + ch(s[i]));
    return tree;
  }

  /* tree -> program: {op: "char", f} | {op: "split", x, y} | {op: "jmp", x} | {op: "at", k} | {op: "match"} */
  function compile(tree) {
    var prog = [];
    function tooComplex() { return new Unsupported("the pattern is too complex (more than " + MAX_STATES + " states)"); }
    function emit(ins) {
      if (prog.length >= MAX_STATES) throw tooComplex();
      prog.push(ins);
      return prog.length - 1;
    }
    function gen(n) {
      if (n.t === "char") emit({ op: "char", f: n.f });
      else if (n.t === "at") emit({ op: "at", k: n.k });
      else if (n.t === "cat") n.a.forEach(gen);
      else if (n.t === "alt") {
        var jumps = [];
        n.a.forEach(function (b, j) {
          if (j < n.a.length - 1) {
            var sp = emit({ op: "split", x: 0, y: 0 });
            prog[sp].x = prog.length;
            gen(b);
            jumps.push(emit({ op: "jmp", x: 0 }));
            prog[sp].y = prog.length;
          } else gen(b);
        });
        jumps.forEach(function (j) { prog[j].x = prog.length; });
      } else {  // rep: min copies, then (max - min) optional ones or a loop
        if (n.min > MAX_STATES || (n.max !== Infinity && n.max > MAX_STATES)) throw tooComplex();  // ((?:){1e9})
        for (var k = 0; k < n.min; k++) gen(n.n);
        if (n.max === Infinity) {
          var loop = emit({ op: "split", x: 0, y: 0 });
          prog[loop].x = prog.length;
          gen(n.n);
          emit({ op: "jmp", x: loop });
          prog[loop].y = prog.length;
        } else {
          var outs = [];
          for (k = n.min; k < n.max; k++) {
            var sp = emit({ op: "split", x: 0, y: 0 });
            prog[sp].x = prog.length;
            outs.push(sp);
            gen(n.n);
          }
          outs.forEach(function (o) { prog[o].y = prog.length; });
        }
      }
    }
    gen(tree);
    emit({ op: "match" });
    return prog;
  }

  /* The i flag. A character's canonical case, as RegExp takes it: without u its upper case (a
     character past ASCII never becomes one of ASCII: the Kelvin sign is no "k"), with u its case
     folding (here: the lower case of its upper case, "ſ" is "s"). A literal matches the characters
     of its canonical case; a class or an escape, a character or one of its cases. */
  var CANON = new Map();
  function canon(x, unicode) {
    var key = unicode ? -x - 1 : x, out = CANON.get(key);
    if (out !== undefined) return out;
    var c = String.fromCodePoint(x), up = c.toUpperCase(), v = unicode ? up.toLowerCase() : up;
    out = v.length === c.length && (unicode || x < 128 || v.codePointAt(0) >= 128) ? v.codePointAt(0) : x;
    CANON.set(key, out);
    return out;
  }
  function folded(f, unicode) {
    if (f.c !== undefined) {
      var k = canon(f.c, unicode);
      return function (x) { return x === f.c || canon(x, unicode) === k; };
    }
    return function (x) {
      if (f(x)) return true;
      var c = String.fromCodePoint(x), lo = c.toLowerCase(), up = c.toUpperCase();
      return [lo, up, up.toLowerCase()].some(function (v) {
        var y = v.codePointAt(0);
        return v.length === c.length && y !== x && (unicode || (x >= 128) === (y >= 128)) && f(y);
      });
    };
  }

  /* Does the program match anywhere in text? Every state is visited at most once per position. */
  function run(prog, text, flags, spend) {
    var s = codes(text, flags.u), n = s.length, seen = new Int32Array(prog.length).fill(-1), found = false, work = 0;
    var word = wordOf(flags);
    function at(k, pos) {
      if (k === "^") return pos === 0 || (flags.m && isLine(s[pos - 1]));
      if (k === "$") return pos === n || (flags.m && isLine(s[pos]));
      var b = (pos > 0 && word(s[pos - 1])) !== (pos < n && word(s[pos]));
      return k === "b" ? b : !b;
    }
    function add(list, pc, pos) {
      var stack = [pc];
      while (stack.length) {
        pc = stack.pop();
        if (seen[pc] === pos) continue;
        seen[pc] = pos;
        work++;
        var ins = prog[pc];
        if (ins.op === "jmp") stack.push(ins.x);
        else if (ins.op === "split") stack.push(ins.y, ins.x);
        else if (ins.op === "at") { if (at(ins.k, pos)) stack.push(pc + 1); }
        else if (ins.op === "match") found = true;
        else list.push(pc);
      }
    }
    var list = [];
    add(list, 0, 0);
    for (var pos = 0; pos < n && !found; pos++) {
      var next = [], c = s[pos];
      spend(work + list.length);
      work = 0;
      for (var j = 0; j < list.length; j++) if (prog[list[j]].f(c)) add(next, list[j] + 1, pos + 1);
      add(next, 0, pos + 1);  // a match may start at any position
      list = next;
    }
    return found;
  }

  function linearRegex(source, flags) {
    source = String(source);
    if (source.length > MAX_SOURCE) throw new Unsupported("the pattern is longer than " + MAX_SOURCE + " characters");
    var f = {};
    String(flags || "").split("").forEach(function (k) { f[k] = true; });
    var prog = compile(parse(source, f)), left = BUDGET;
    function spend(n) {
      left -= n;
      if (left < 0) throw new Unsupported("the pattern takes too long over these keys");
    }
    return { test: function (text) { return run(prog, String(text), f, spend); } };
  }
  linearRegex.Unsupported = Unsupported;
  linearRegex.MAX_STATES = MAX_STATES;
  linearRegex.BUDGET = BUDGET;
  RG.linearRegex = linearRegex;
})();
