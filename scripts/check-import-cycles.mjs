#!/usr/bin/env node
// Fails when any TypeScript source under packages/*/src imports itself through a chain of
// relative imports. Type-only imports count too: a type cycle still means two modules cannot be
// understood (or moved) one without the other. Prints every cycle as `a.ts -> b.ts -> a.ts`.
//
//   node scripts/check-import-cycles.mjs            check, exit 1 on a cycle
//   node scripts/check-import-cycles.mjs --graph    also print each file's local imports
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const printGraph = process.argv.includes('--graph');

// import/export ... from '...', side-effect imports, and dynamic import('...').
const SPECIFIER_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** './x.js' written in a .ts file names './x.ts' (or './x/index.ts'). */
function resolveSpecifier(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** Tarjan's strongly connected components; every component of 2+ files (or a self-import) is a cycle. */
function cyclesOf(graph) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const components = [];
  const visit = (v) => {
    meta.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!meta.has(w)) {
        visit(w);
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
      } else if (meta.get(w).onStack) {
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
      }
    }
    if (meta.get(v).low === meta.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        meta.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return components;
}

/** One concrete loop through a component, for a message a person can follow. */
function loopThrough(component, graph) {
  const inside = new Set(component);
  const start = component.slice().sort()[0];
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (;;) {
    const next = (graph.get(at) ?? []).filter((w) => inside.has(w)).sort();
    if (next.includes(start) && path.length > 1) return [...path, start];
    const step = next.find((w) => !seen.has(w)) ?? next[0];
    if (step === undefined || (seen.has(step) && step !== start)) return [...path, step ?? start];
    if (step === start) return [...path, start];
    path.push(step);
    seen.add(step);
    at = step;
  }
}

const packagesDir = join(repoRoot, 'packages');
const graph = new Map();
for (const pkg of readdirSync(packagesDir).sort()) {
  const src = join(packagesDir, pkg, 'src');
  if (!existsSync(src)) continue;
  for (const file of sourceFiles(src).sort()) {
    const text = stripComments(readFileSync(file, 'utf8'));
    const deps = new Set();
    for (const m of text.matchAll(SPECIFIER_RE)) {
      const target = resolveSpecifier(file, m[1]);
      if (target !== undefined) deps.add(target);
    }
    graph.set(file, [...deps].sort());
  }
}

const rel = (f) => relative(repoRoot, f);
if (printGraph) {
  for (const [file, deps] of graph) {
    process.stdout.write(`${rel(file)} -> ${deps.map((d) => relative(dirname(file), d)).join(', ') || '(none)'}\n`);
  }
}
const cycles = cyclesOf(graph);
if (cycles.length === 0) {
  process.stdout.write(`no import cycles in ${graph.size} files under packages/*/src\n`);
  process.exit(0);
}
process.stdout.write(`${cycles.length} import cycle(s) under packages/*/src:\n`);
for (const component of cycles) {
  process.stdout.write(`  ${loopThrough(component, graph).map(rel).join(' -> ')}\n`);
  if (component.length > 2) process.stdout.write(`    (${component.length} files in this knot: ${component.map(rel).sort().join(', ')})\n`);
}
process.exit(1);
