// The panel search's regular expressions (assets/panel-regex.js): the keys RegExp matches, in time
// linear in the key; what it cannot match that way is refused (the search then matches text).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["panel-regex.js"]);
const linear = win.RG.linearRegex;

const KEYS = ["loss", "val/loss", "train/loss_step", "Loss", "LOSS/val", "acc", "val/acc@5", "lr", "", "a.b",
  "a-b", "a\nb", "x\u2028y", "grad_norm/layer.10.weight", "épsilon", "ΣΣ", "a{2}", "[x]", "(a)", "a|b",
  "tab\there", "ſ", "s", "ß", "aaaa", "aaab", "ab", "ba", "abab", "_", "0", "9x", "k\u212a", "😀smile", "a😀b", "\\", "/"];
const PATTERNS = [
  ["loss", "i"], ["^val/", "i"], ["loss$", "i"], ["^(loss|acc)$", "i"], ["^loss$", ""], ["LOSS", ""],
  ["l.ss", "i"], ["a.b", ""], ["a\\.b", ""], ["a.b", "s"], ["x.y", ""], ["x.y", "s"], ["^b", "m"], ["a$", "m"],
  ["\\d+", "i"], ["\\D", ""], ["\\w+/\\w+", ""], ["\\W", ""], ["\\s", ""], ["\\S+", ""], ["\\bloss\\b", "i"],
  ["\\Bos", ""], ["[a-c]+", ""], ["[^a-z]", ""], ["[^a]", "i"], ["[\\d.]+", ""], ["[\\w-]+", ""], ["[-a]", ""],
  ["[a-]", ""], ["[\\]x]", ""], ["a{2}", ""], ["a{2,}", ""], ["a{1,2}b", ""], ["^a{0,3}$", ""], ["a{2", ""],
  ["a{,2}", ""], ["\\{2\\}", ""], ["(?:ab)+", ""], ["(?<g>ab)+$", ""], ["(a|ab)(c|bcd)?$", ""], ["(a*)*b", ""],
  ["(a+)+$", ""], ["(a|aa)+$", ""], ["(.*a){3}", ""], ["a??b", ""], ["a+?", ""], ["a*?$", ""], ["x*", ""],
  ["\\u00e9", "i"], ["\\xe9", ""], ["\\u{1F600}", "u"], [".smile", "u"], [".smile", ""], ["^.$", ""],
  ["a.b", "u"], ["\\t", ""], ["\\n", ""], ["\\cJ", ""], ["\\0", ""], ["\\/", ""], ["\\\\", ""], ["[\\b]", ""],
  ["σσ", "i"], ["É", "i"], ["[é]", "i"], ["K", "i"], ["^$", ""], ["$^", ""], ["(|a)b", ""], ["a||b", ""],
  ["\\|", ""], ["\\(a\\)", ""], ["\\[x\\]", ""], ["^\\w*$", ""], ["^[^/]+$", ""], ["]", ""], ["}", ""],
  ["acc@\\d", "gi"], ["loss", "y"], ["(?:a|b)+$", ""], ["^(?:a?){4}a{4}$", ""], ["s", "iu"], ["ſ", "iu"],
  ["ſ", "i"], ["k", "iu"], ["^[a-z]+$", "i"], ["^[a-z]+$", "iu"], ["ss", "i"], ["\\w\\W", "iu"],
  ["[\\W]", "iu"], ["[\\W]", "i"], ["\\bſ", "iu"], ["[^\\w]", "iu"], ["\\W", "iu"],
];

test("every pattern matches the keys RegExp matches", () => {
  for (const [src, flags] of PATTERNS) {
    const native = new RegExp(src, flags.replace(/[gy]/g, ""));
    const mine = linear(src, flags);
    for (const k of KEYS) {
      assert.strictEqual(mine.test(k), native.test(k), `/${src}/${flags} on ${JSON.stringify(k)}`);
    }
  }
});

test("patterns that backtrack without end in RegExp are matched at once", () => {
  const long = "a".repeat(5000) + "!";
  for (const src of ["(a+)+$", "(a|aa)+$", "(a*)*b", "(.*a){20}$", "^(\\w+\\s?)*$", "a*a*a*a*a*a*a*a*a*b"]) {
    assert.strictEqual(linear(src, "i").test(long), new RegExp(src, "i").test("aa!"), src);  // (RegExp on a short key)
  }
  assert.strictEqual(linear("(a+)+$", "").test("a".repeat(5000)), true);
});

test("what cannot be matched this way is refused, saying why", () => {
  const refused = (src, flags, why) => assert.throws(() => linear(src, flags), (e) => e instanceof linear.Unsupported && why.test(e.message), src);
  refused("(?=a)a", "", /lookaround/);
  refused("(?<!a)b", "", /lookaround/);
  refused("(a)\\1", "", /backreference/);
  refused("(?<x>a)\\k<x>", "", /backreference/);
  refused("\\p{L}", "u", /property/);
  refused("a", "v", /v flag/);
  refused("a{5000}", "", /too complex/);
  refused("x".repeat(2000), "", /longer than/);
  const slow = linear("(?:a?){400}b", "");
  assert.throws(() => { for (let i = 0; i < 1000; i++) slow.test("a".repeat(100)); }, (e) => e instanceof linear.Unsupported && /too long/.test(e.message));
});
