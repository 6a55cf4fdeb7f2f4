import { CONFIG_FIELDS, CONFIG_GROUP_TITLES, CONFIG_GROUPS, type ConfigFieldSpec } from "../../domain/config-fields";
import type { ConfigHistoryView } from "../config-data";
import { Time } from "../format";
import { Csrf } from "../layout";
import { FieldError } from "./field-error";

/** A config value as the form shows it (lists comma-separated). */
export const configText = (v: unknown): string =>
  Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "" : String(v);

function FieldInput(props: { spec: ConfigFieldSpec; value: string; invalid: boolean }) {
  const { spec, value } = props;
  const id = `cfg-${spec.key}`;
  const described = `${spec.key}-help${props.invalid ? ` ${spec.key}-error` : ""}`;
  if (spec.input.kind === "enum" || spec.input.kind === "boolean") {
    const options = spec.input.kind === "enum" ? spec.input.options : ["true", "false"];
    return (
      <select id={id} name={spec.key} aria-describedby={described} aria-invalid={props.invalid ? "true" : undefined}>
        {options.map((o) => (
          <option value={o} selected={o === value}>
            {spec.input.kind === "boolean" ? (o === "true" ? "yes" : "no") : o}
          </option>
        ))}
      </select>
    );
  }
  // type=text with inputmode: the browser never blocks a value; the API's range check decides and says why.
  return (
    <input
      id={id}
      type="text"
      name={spec.key}
      value={value}
      inputmode={spec.input.kind === "number" ? "decimal" : undefined}
      autocomplete="off"
      aria-describedby={described}
      aria-invalid={props.invalid ? "true" : undefined}
    />
  );
}

/**
 * Every editable parameter, grouped, with its range (read from the API's zod schema) and a one-line
 * help. Errors from the API's own validation are shown next to the field they name.
 */
export function ConfigPage(props: {
  values: Record<string, string>;
  version: string;
  csrf: string;
  errors?: Record<string, string>;
  history: ConfigHistoryView[];
}) {
  const errors = props.errors ?? {};
  return (
    <>
      <form method="post" action="/config" class="config-form">
        <Csrf token={props.csrf} />
        <input type="hidden" name="_version" value={props.version} />
        <p class="muted">
          Changes apply to new decisions at once; only the fields you change are sent, and each accepted change is kept
          in the history below.
        </p>
        <FieldError id="form-error" msg={errors.form ?? errors.body} />
        {CONFIG_GROUPS.map((g) => (
          <fieldset id={`group-${g}`}>
            <legend>{CONFIG_GROUP_TITLES[g]}</legend>
            {CONFIG_FIELDS.filter((f) => f.group === g).map((f) => (
              <div class={errors[f.key] ? "cfg-field invalid" : "cfg-field"}>
                <label for={`cfg-${f.key}`}>
                  <code>{f.key}</code>
                </label>
                <FieldInput spec={f} value={props.values[f.key] ?? ""} invalid={Boolean(errors[f.key])} />
                <span class="cfg-range">{f.range}</span>
                <span class="cfg-help muted" id={`${f.key}-help`}>
                  {f.help}
                </span>
                <FieldError id={`${f.key}-error`} msg={errors[f.key]} />
              </div>
            ))}
          </fieldset>
        ))}
        <button type="submit">Save changes</button>
      </form>

      <h2 id="config-history">Change history</h2>
      {props.history.length === 0 ? (
        <p class="muted">No change yet.</p>
      ) : (
        <div class="scroll">
          <table class="history">
            <thead>
              <tr>
                <th>When</th>
                <th>By</th>
                <th>Field</th>
                <th>Before</th>
                <th>After</th>
              </tr>
            </thead>
            <tbody>
              {props.history.flatMap((h) =>
                h.changes.map((d, i) => (
                  <tr data-history={String(h.id)}>
                    <td>{i === 0 ? <Time iso={h.created_at} /> : ""}</td>
                    <td>{i === 0 ? h.changed_by : ""}</td>
                    <td>
                      <code>{d.field}</code>
                    </td>
                    <td class="diff-old">{configText(d.before)}</td>
                    <td class="diff-new">{configText(d.after)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
