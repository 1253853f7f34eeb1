#!/usr/bin/env node
// Checks every relative link of every Markdown file of the repository (node 18+, built-in
// modules only):
//
//   - inline links and images, [text](target) and ![alt](target) (a <target> in angle brackets
//     and a "title" after the target included), and reference definitions, [name]: target;
//   - links whose target has a scheme (https:, mailto:, ...) are left alone: this test needs no
//     network;
//   - a relative target (to the file's directory, or to the repository root when it starts
//     with /) must name a file or directory inside the repository;
//   - an #anchor, alone or after a .md file, must be the GitHub slug of a heading of that file
//     (lower case, punctuation dropped, spaces as -, a -1, -2, ... suffix for repeated headings),
//     or an id/name of an HTML anchor in it; an anchor on another file must be a line (#L12,
//     #L12-L20).
//
// Links and headings inside fenced code blocks and inline code are not links or headings.
// Build directories (build*/ at the root), node_modules and .git are not read.
//
//   node tests/docs/links.mjs [--self-test] [--root DIR]
//
// --self-test first checks a small tree written to a temporary directory: a missing file, a
// missing anchor, an anchor that only a code block "defines", a link out of the repository and
// a link inside a code span must give exactly the expected errors, and correct links none.
// Exit 0 when every link resolves, 1 with one line per broken link (file:line: target: why).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

// The Markdown files under root, relative paths, sorted.
export function markdownFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === '.git' || entry.name === 'node_modules') continue;
        if (dir === root && entry.name.startsWith('build')) continue;
        walk(full);
      } else if (entry.isFile() && entry.name.endsWith('.md')) {
        out.push(path.relative(root, full));
      }
    }
  };
  walk(root);
  return out.sort();
}

// The file's lines with fenced code blocks blanked (so line numbers stay right).
function proseLines(text) {
  const lines = text.split('\n');
  let fence = null;
  return lines.map((line) => {
    const m = line.match(/^\s{0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = null;
      return '';
    }
    if (m) {
      fence = m[1];
      return '';
    }
    return line;
  });
}

// The line with inline code spans replaced by spaces (their length kept).
function withoutCode(line) {
  return line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (s) => ' '.repeat(s.length));
}

// GitHub's slug of a heading's text (github-slugger, on the rendered text).
export function slug(heading) {
  let text = heading
    .replace(/<[^>]+>/g, '') // HTML tags
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`+/g, ''); // code spans: their content
  text = text.replace(/\*+/g, '').replace(/(^|[^\p{L}\p{N}])_+([^_]+?)_+(?=[^\p{L}\p{N}]|$)/gu, '$1$2');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

// Every anchor a Markdown file defines: heading slugs (with GitHub's -N suffixes) and HTML ids.
export function anchorsOf(text) {
  const anchors = new Set();
  const seen = new Map();
  for (const line of proseLines(text)) {
    const h = line.match(/^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of withoutCode(line).matchAll(/<a\s[^>]*\b(?:name|id)\s*=\s*"([^"]+)"/g)) anchors.add(a[1]);
  }
  return anchors;
}

// Every link target of a Markdown file: { line, target }.
export function linksOf(text) {
  const out = [];
  proseLines(text).forEach((raw, i) => {
    const line = withoutCode(raw);
    const def = line.match(/^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/);
    if (def) out.push({ line: i + 1, target: def[1].replace(/^<|>$/g, '') });
    // [text](target) with one level of brackets inside the text ([`x`](y), [![img](a)](b)).
    const re = /\]\(\s*(<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+"[^"]*")?\s*\)/g;
    for (const m of line.matchAll(re)) {
      if (!line.slice(0, m.index).includes('[')) continue;
      out.push({ line: i + 1, target: m[1].replace(/^<|>$/g, '') });
    }
  });
  return out;
}

// Broken links of every Markdown file under root: "file:line: target: why".
export function check(root) {
  const errors = [];
  const anchorCache = new Map();
  const anchorsIn = (file) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(fs.readFileSync(file, 'utf8')));
    return anchorCache.get(file);
  };
  const realRoot = fs.realpathSync(root);
  let links = 0;
  for (const rel of markdownFiles(root)) {
    const file = path.join(root, rel);
    for (const { line, target } of linksOf(fs.readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      ++links;
      const where = `${rel}:${line}: ${target}`;
      const hash = target.indexOf('#');
      let pathPart = hash === -1 ? target : target.slice(0, hash);
      let anchor = hash === -1 ? null : target.slice(hash + 1);
      try {
        pathPart = decodeURIComponent(pathPart);
        if (anchor !== null) anchor = decodeURIComponent(anchor);
      } catch {
        errors.push(`${where}: not valid percent-encoding`);
        continue;
      }
      if (pathPart === '' && anchor === null) {
        errors.push(`${where}: empty link`);
        continue;
      }
      const dest = pathPart === ''
        ? file
        : path.resolve(pathPart.startsWith('/') ? root : path.dirname(file), pathPart.replace(/^\/+/, ''));
      const inside = path.relative(root, dest);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        errors.push(`${where}: points outside the repository`);
        continue;
      }
      if (!fs.existsSync(dest)) {
        errors.push(`${where}: no such file or directory (${inside})`);
        continue;
      }
      if (!fs.realpathSync(dest).startsWith(realRoot)) {
        errors.push(`${where}: points outside the repository`);
        continue;
      }
      if (anchor === null) continue;
      if (anchor === '') {
        errors.push(`${where}: empty anchor`);
        continue;
      }
      if (fs.statSync(dest).isDirectory()) {
        errors.push(`${where}: an anchor on a directory`);
      } else if (dest.endsWith('.md')) {
        if (!anchorsIn(dest).has(anchor)) {
          errors.push(`${where}: no heading with the anchor #${anchor} in ${path.relative(root, dest)}`);
        }
      } else if (!/^L\d+(-L\d+)?$/.test(anchor)) {
        errors.push(`${where}: #${anchor} on a file that is not Markdown (only #L<line> works there)`);
      }
    }
  }
  return { errors, links };
}

// A tree with known broken links: check() must report exactly these, and nothing else.
function selfTest() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farrier-links-'));
  try {
    const write = (rel, text) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('README.md', [
      '# Farrier',
      '## Two commands',
      '## What `nats_up` says — /varz, $SRV.STATS',
      '## Two commands',
      '## **Bold** and [a link](docs/a.md)',
      'Good: [a](docs/a.md), [b](docs/a.md#options), [c](#two-commands), [d](#two-commands-1),',
      '[e](#what-nats_up-says--varz-srvstats), [f](docs/), [g](/docs/a.md "title"), [h](<docs/a.md>),',
      '[i](https://example.com/missing.md), [j](#bold-and-a-link), [k](docs/conf.yml#L3-L5),',
      '[l](docs/a%20b.md), [m](docs/a.md#caf%C3%A9-d%C3%A9j%C3%A0), [![img](docs/a.md)](docs/a.md)',
      'Ignored: `[x](missing.md)`',
      '```sh',
      '[y](missing-in-fence.md)',
      '```',
      'Bad: [1](docs/missing.md) [2](docs/a.md#nope) [3](#fenced-heading) [4](../outside.md)',
      '[5](docs/conf.yml#top) [6](docs#x)',
      '[ref]: docs/gone.md',
      '',
    ].join('\n'));
    write('docs/a.md', '# A\n\n## Options\n\n## Café déjà\n\n```md\n## Fenced heading\n```\n\n[back](../README.md#farrier)\n');
    write('docs/a b.md', '# spaced\n');
    write('docs/conf.yml', 'a: 1\n');
    write('build/x.md', '[ignored](missing.md)\n');
    const { errors } = check(dir);
    const got = errors.map((e) => e.replace(/: .*/, '') + ' ' + e.split(': ')[1]);
    const want = [
      'README.md:14 docs/missing.md',
      'README.md:14 docs/a.md#nope',
      'README.md:14 #fenced-heading',
      'README.md:14 ../outside.md',
      'README.md:15 docs/conf.yml#top',
      'README.md:15 docs#x',
      'README.md:16 docs/gone.md',
    ];
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    if (missing.length || extra.length) {
      console.error('links.mjs --self-test failed:');
      for (const m of missing) console.error(`  not reported: ${m}`);
      for (const e of errors.filter((e, i) => !want.includes(got[i]))) console.error(`  reported wrongly: ${e}`);
      return false;
    }
    console.log(`self-test: the ${want.length} broken links of a test tree reported, the good ones not`);
    return true;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv) {
  let root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  let self = false;
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--self-test') self = true;
    else if (argv[i] === '--root' && i + 1 < argv.length) root = path.resolve(argv[++i]);
    else {
      console.error('usage: node tests/docs/links.mjs [--self-test] [--root DIR]');
      return 2;
    }
  }
  if (self && !selfTest()) return 1;
  const files = markdownFiles(root);
  const { errors, links } = check(root);
  for (const e of errors) console.error(e);
  if (errors.length) {
    console.error(`${errors.length} broken link(s) in ${files.length} Markdown files under ${root}`);
    return 1;
  }
  console.log(`${links} relative links and anchors in ${files.length} Markdown files resolve`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = main(process.argv.slice(2));
}
