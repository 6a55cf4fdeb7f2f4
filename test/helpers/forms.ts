/** Reads dashboard forms like a browser without JavaScript would submit them, and the errors next to fields. */
const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** Every field of the first form posting to `action`, as the browser would submit it (inputs, selects, textareas). */
export function formOf(html: string, action: string): Record<string, string> {
  const form = (html.match(/<form[^>]*>[\s\S]*?<\/form>/g) ?? []).find((f) => f.includes(`action="${action}"`));
  if (!form) throw new Error(`no form posting to ${action}`);
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input([^>]*)>/g)) {
    const attrs = m[1] ?? "";
    const name = /name="([^"]+)"/.exec(attrs)?.[1];
    if (name) fields[name] = unescapeHtml(/value="([^"]*)"/.exec(attrs)?.[1] ?? "");
  }
  for (const m of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const options = [...(m[2] ?? "").matchAll(/<option([^>]*)>/g)].map((o) => o[1] ?? "");
    const chosen = options.find((o) => /\bselected\b/.test(o)) ?? options[0] ?? "";
    fields[m[1] as string] = unescapeHtml(/value="([^"]*)"/.exec(chosen)?.[1] ?? "");
  }
  for (const m of form.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    fields[m[1] as string] = unescapeHtml(m[2] ?? "");
  return fields;
}

/** The text of the field error next to `field` (`<span class="field-error" id="field-error">`), or null. */
export function fieldError(html: string, field: string): string | null {
  const m = new RegExp(`<span class="field-error" id="${field}-error">([\\s\\S]*?)</span>`).exec(html);
  return m ? unescapeHtml(m[1] ?? "") : null;
}
