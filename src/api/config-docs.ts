import { CONFIG_FIELD_DOCS } from "../domain/config-fields";

/**
 * One line per config field for the OpenAPI document: what it means (the range is added from the schema).
 * Read from the dashboard config editor's list (src/domain/config-fields.ts), so the two never drift.
 */
export const CONFIG_FIELD_HELP: Record<string, string> = Object.fromEntries(
  Object.entries(CONFIG_FIELD_DOCS).map(([k, v]) => [k, v.help]),
);
