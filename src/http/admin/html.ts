/** Markup that is already safe to send; everything else goes through `esc`. */
export interface Html {
  readonly html: string;
}

/** Escapes text for HTML content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Tagged template that escapes every interpolated value except `Html` (from `html` or `raw`) and arrays of
 * them, so a forgotten `esc` cannot let text through as markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

/** Trusted markup, e.g. the style sheet. Never pass data through it. */
export function raw(markup: string): Html {
  return { html: markup };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && 'html' in value && typeof (value as Html).html === 'string') {
    return (value as Html).html;
  }
  return esc(value);
}

/** Shortens a (possibly multi-line) text to its first line and `max` characters. */
export function excerpt(text: string, max = 160): string {
  const first = text.split('\n', 1)[0] ?? '';
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return first.length < text.trimEnd().length ? `${first} …` : first;
}

/** `2024-05-01 12:34:56Z` from an ISO timestamp. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.25rem;display:flex;gap:1.25rem;align-items:baseline}
header h1{font-size:16px;margin:0;font-weight:600}
header a{color:#c9d1d9;text-decoration:none}header a:hover,header a.on{color:#fff;text-decoration:underline}
main{max-width:80rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h2{font-size:15px;margin:1.25rem 0 .5rem}
a{color:#0969da}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d8dee4;vertical-align:top}
th{font-weight:600;background:#f6f8fa;white-space:nowrap}
tbody th{background:#fff}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.stats{width:auto;min-width:min(100%,46rem)}.stats td,.stats th{padding:.3rem .9rem}
td.t{white-space:nowrap}
.muted{color:#656d76;font-size:12px}
.err{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-word}
form.filter{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:end}
form.filter a{padding:.35rem 0}
form.filter label{display:flex;flex-direction:column;font-size:12px;color:#656d76;gap:2px}
input,select{font:inherit;padding:.3rem .45rem;border:1px solid #d0d7de;border-radius:6px;background:#fff}
button{font:inherit;padding:.3rem .7rem;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
button:hover{background:#eef1f4}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}button.primary:hover{background:#1a7f37}
button.danger{color:#cf222e}button.danger:hover{background:#cf222e;color:#fff;border-color:#cf222e}
.actions{display:flex;gap:.4rem;flex-wrap:wrap}
.actions form{margin:0}
.bulk{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin:.5rem 0}
.bulk form{display:flex;gap:.4rem;align-items:center;margin:0}
.flash{padding:.6rem 1rem;border-radius:6px;margin:.75rem 0;border:1px solid}
.flash.ok{background:#dafbe1;border-color:#4ac26b;color:#116329}
.flash.error{background:#ffebe9;border-color:#ff8182;color:#82071e}
.badge{display:inline-block;padding:0 .45rem;border-radius:2em;font-size:12px;border:1px solid}
.badge.open{color:#9a6700;border-color:#d4a72c;background:#fff8c5}
.badge.retried{color:#116329;border-color:#4ac26b;background:#dafbe1}
.badge.discarded{color:#656d76;border-color:#d0d7de;background:#f6f8fa}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.75rem;overflow:auto;font-size:12px;
white-space:pre-wrap;word-break:break-word;margin:.25rem 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{color:#656d76}dd{margin:0}
.empty{padding:1.5rem;text-align:center;color:#656d76;background:#fff;border:1px solid #d0d7de;border-radius:6px}
.pager{display:flex;gap:1rem;margin:.5rem 0}
.chart-card{padding:.5rem}.chart-card svg{display:block;height:auto}
`;

export interface LayoutOptions {
  title: string;
  /** Which header link is current. */
  current?: 'dead-letters' | 'analytics' | 'queues';
  /** Whether to link the BullMQ dashboard. */
  queueDashboard: boolean;
}

/** The page frame: inline styles only, no scripts, no external assets. */
export function layout(options: LayoutOptions, body: Html): string {
  const nav = (href: string, label: string, key: LayoutOptions['current']) =>
    html`<a href="${href}"${options.current === key ? raw(' class="on" aria-current="page"') : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} · Session-Buddy admin</title>
<style>${raw(STYLE)}</style></head>
<body><header><h1>Session-Buddy admin</h1>
${nav('/admin/dead-letters', 'Dead letters', 'dead-letters')}
${nav('/admin/analytics', 'Analytics', 'analytics')}
${options.queueDashboard ? nav('/admin/queues', 'Queue dashboard (BullMQ)', 'queues') : ''}
</header>
<main>${body}</main></body></html>`.html;
}
