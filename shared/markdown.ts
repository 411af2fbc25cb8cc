/**
 * The one Markdown → HTML setup shared by the postmortem's live preview (renderer) and the HTML/PDF
 * report (core export): markdown-it with raw HTML DISABLED — postmortems quote imported evidence, which
 * is untrusted and must never become markup — plus an inline rule for evidence embeds `[[run:ID]]` and
 * `[[step:ID]]`, rendered by a callback (a card in the preview, a link/card in reports).
 *
 * markdown-it is pure JavaScript (no Node or DOM), so this lives in shared/.
 */
import MarkdownItCtor, { type MarkdownIt } from 'markdown-it';
import { EMBED_PATTERN, embedAnchor, type EmbedKind } from './postmortem';

export { embedAnchor };

export interface EmbedRef {
  kind: EmbedKind;
  id: string;
}

export interface MarkdownRenderOptions {
  /**
   * HTML for one evidence embed. The returned string is inserted as is: build it with escapeHtml for
   * anything that comes from the case. Default: a link to `#run-<id>` / `#step-<id>`.
   */
  renderEmbed?: (e: EmbedRef) => string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function defaultEmbedHtml(e: EmbedRef): string {
  return `<a class="cf-embed cf-embed-${e.kind}" data-embed-kind="${e.kind}" data-embed-id="${escapeHtml(e.id)}" href="#${escapeHtml(embedAnchor(e.kind, e.id))}">${e.kind} ${escapeHtml(e.id)}</a>`;
}

/** A configured markdown-it instance: `html: false`, tables, no linkify/typographer, evidence embeds. */
export function createMarkdownRenderer(opts: MarkdownRenderOptions = {}): MarkdownIt {
  const md = new MarkdownItCtor({ html: false, linkify: false, typographer: false, breaks: false });
  const sticky = new RegExp(EMBED_PATTERN.source, 'y');
  md.inline.ruler.before('link', 'casefile_embed', (state, silent) => {
    if (state.src.charCodeAt(state.pos) !== 0x5b /* [ */ || state.src.charCodeAt(state.pos + 1) !== 0x5b) return false;
    sticky.lastIndex = state.pos;
    const m = sticky.exec(state.src);
    if (!m) return false;
    if (!silent) {
      const token = state.push('casefile_embed', '', 0);
      token.meta = { kind: m[1] as EmbedKind, id: m[2]! };
      token.content = m[0];
    }
    state.pos += m[0].length;
    return true;
  });
  const render = opts.renderEmbed ?? defaultEmbedHtml;
  md.renderer.rules.casefile_embed = (tokens, idx) => render(tokens[idx]!.meta as unknown as EmbedRef);
  // external links open outside the app/report frame and do not leak the referrer
  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const href = String(tokens[idx]!.attrGet('href') ?? '');
    if (/^https?:/i.test(href)) tokens[idx]!.attrSet('rel', 'noopener noreferrer');
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  return md;
}

/** Renders Markdown to HTML with the shared setup. */
export function renderMarkdown(markdown: string, opts: MarkdownRenderOptions = {}): string {
  return createMarkdownRenderer(opts).render(markdown);
}
