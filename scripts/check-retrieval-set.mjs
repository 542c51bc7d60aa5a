#!/usr/bin/env node
// Checks the labelled retrieval set (tests/fixtures/retrieval-set/*.json, issue 11): shape, unique ids, evidence
// that exists, category quotas per project and in total. Usage: node scripts/check-retrieval-set.mjs [file…]
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'tests', 'fixtures', 'retrieval-set');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f));
const CATEGORIES = { 'single-hop': 5, 'multi-hop': 3, temporal: 3, paraphrase: 3 };
const problems = [];
const seen = new Map();
let messages = 0;
let questions = 0;
const perCategory = {};
for (const file of files) {
  const name = basename(file);
  let set;
  try {
    set = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`${name}: not JSON (${error.message})`);
    continue;
  }
  const bad = (what) => problems.push(`${name}: ${what}`);
  if (typeof set.project !== 'string' || !/^[a-z0-9-]+$/.test(set.project)) bad('project must be a lowercase slug');
  if (!Array.isArray(set.sessions) || set.sessions.length < 5) bad('needs at least 5 sessions');
  const sessionOf = new Map();
  let count = 0;
  let previous = '';
  for (const s of set.sessions ?? []) {
    if (typeof s.key !== 'string') bad('session without key');
    if (Number.isNaN(Date.parse(s.startedAt ?? '')) || !String(s.startedAt).endsWith('Z'))
      bad(`${s.key}: startedAt must be an ISO time in UTC`);
    if (s.startedAt <= previous) bad(`${s.key}: sessions must be in time order`);
    previous = s.startedAt;
    for (const m of s.messages ?? []) {
      count += 1;
      if (!Array.isArray(m) || m.length !== 3) {
        bad(`${s.key}: message must be [id, role, content]`);
        continue;
      }
      const [id, role, content] = m;
      if (seen.has(id)) bad(`duplicate message id ${id} (also in ${seen.get(id)})`);
      seen.set(id, name);
      sessionOf.set(id, s.key);
      if (role !== 'user' && role !== 'assistant') bad(`${id}: role must be user or assistant`);
      if (typeof content !== 'string' || content.trim() === '') bad(`${id}: empty content`);
    }
  }
  if (count < 150) bad(`only ${count} messages (want ≥ 150)`);
  messages += count;
  const local = {};
  for (const q of set.questions ?? []) {
    questions += 1;
    local[q.category] = (local[q.category] ?? 0) + 1;
    perCategory[q.category] = (perCategory[q.category] ?? 0) + 1;
    if (!(q.category in CATEGORIES)) bad(`question "${q.q}": unknown category ${q.category}`);
    if (!Array.isArray(q.evidence) || q.evidence.length === 0) bad(`question "${q.q}": no evidence`);
    for (const e of q.evidence ?? [])
      if (!sessionOf.has(e)) bad(`question "${q.q}": evidence ${e} not in this project`);
    if (q.category === 'multi-hop' && new Set(q.evidence.map((e) => sessionOf.get(e))).size < 2)
      bad(`multi-hop "${q.q}": evidence must span ≥ 2 sessions`);
  }
  for (const [c, min] of Object.entries(CATEGORIES))
    if ((local[c] ?? 0) < min) bad(`${c}: ${local[c] ?? 0} questions (want ≥ ${min})`);
}
console.log(`${files.length} projects, ${messages} messages, ${questions} questions, ${JSON.stringify(perCategory)}`);
if (files.length === 0) problems.push('no project files');
for (const p of problems) console.log(`problem: ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
