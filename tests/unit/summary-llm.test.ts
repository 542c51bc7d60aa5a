import { describe, expect, it } from 'vitest';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { buildCatalogue } from '../../src/operations/catalogue.js';
import { TranscriptBuilder } from '../../src/services/summary/llm-summarizer.js';
import { testConfig } from '../helpers/config.js';

describe('TranscriptBuilder', () => {
  it('sends a short session whole', () => {
    const t = new TranscriptBuilder(1000);
    t.add({ role: 'user', content: 'hello' });
    t.add({ role: 'assistant', content: 'hi there' });
    expect(t.build()).toBe('user: hello\n\nassistant: hi there');
  });

  it('keeps the opening third and the latest two thirds of a long one, saying how much was left out', () => {
    const t = new TranscriptBuilder(1200);
    for (let i = 0; i < 500; i++) t.add({ role: 'user', content: `message number ${String(i).padStart(3, '0')}` });
    const text = t.build();
    expect(text.startsWith('user: message number 000')).toBe(true);
    expect(text.endsWith('user: message number 499')).toBe(true);
    const [, left] = /\[… (\d+) characters left out …\]/.exec(text) ?? [];
    const whole = Array.from({ length: 500 }, (_, i) => `user: message number ${String(i).padStart(3, '0')}`).join(
      '\n\n',
    );
    expect(Number(left)).toBe(whole.length - 1200);
    expect(text.replace(/\n\n\[… \d+ characters left out …\]\n\n/, '')).toBe(whole.slice(0, 400) + whole.slice(-800));
  });
});

describe('summarize_session over MCP', () => {
  it('takes refresh as a boolean (REST query strings may say "true")', () => {
    const tool = mcpTools(buildCatalogue(testConfig().limits)).get('summarize_session');
    const properties = tool?.definition.inputSchema.properties as Record<string, { anyOf?: Array<{ type: string }> }>;
    expect(properties.refresh?.anyOf?.map((s) => s.type)).toEqual(['boolean', 'string']);
    expect(tool?.definition.inputSchema.required).toEqual(['session_id']);
  });
});
