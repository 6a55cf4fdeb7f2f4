import type { StrategyRules } from "../../domain/exit-strategy";
import { Csrf } from "../layout";
import { NUMBER_RULES, RULE_HELP } from "../strategy-form";
import { FieldError } from "./field-error";

export interface StrategyView {
  id: number;
  name: string;
  description: string | null;
  is_default: boolean;
  rules: StrategyRules;
  wallets: number;
  open_positions: number;
}

const RULE_LABELS: Record<(typeof NUMBER_RULES)[number], string> = {
  stop_loss_percent: "Stop-loss %",
  trailing_stop_percent: "Trailing stop %",
  trailing_activation_percent: "Trailing activation %",
  max_hold_minutes: "Max hold (minutes)",
};

/**
 * The exit-rule inputs, shared by the catalog form and a position's override form. `blankHint` says what
 * an empty field means there ("off" in the catalog, the template's value in an override).
 */
export function RuleInputs(props: {
  values: Record<string, string>;
  errors: Record<string, string>;
  placeholders?: Record<string, string>;
  inherit?: boolean;
}) {
  const { values, errors } = props;
  const ph = props.placeholders ?? {};
  const cls = (f: string) => (errors[f] ? "invalid" : "");
  return (
    <>
      {NUMBER_RULES.map((k) => (
        <div class={cls(k)}>
          <label>
            {RULE_LABELS[k]} <span class="muted">{RULE_HELP[k]}</span>
            <input
              type="text"
              inputmode="decimal"
              name={k}
              value={values[k] ?? ""}
              placeholder={ph[k] ?? "off"}
              autocomplete="off"
              aria-describedby={`${k}-error`}
            />
          </label>
          <FieldError id={`${k}-error`} msg={errors[k]} />
        </div>
      ))}
      <div class={cls("mirror_exit_enabled")}>
        <label>
          Mirror exit <span class="muted">{RULE_HELP.mirror_exit_enabled}</span>
          <select name="mirror_exit_enabled" aria-describedby="mirror_exit_enabled-error">
            {props.inherit ? (
              <option value="" selected={!values.mirror_exit_enabled}>
                as the template ({ph.mirror_exit_enabled === "false" ? "no" : "yes"})
              </option>
            ) : null}
            <option value="true" selected={values.mirror_exit_enabled === "true"}>
              yes
            </option>
            <option value="false" selected={values.mirror_exit_enabled === "false"}>
              no
            </option>
          </select>
        </label>
        <FieldError id="mirror_exit_enabled-error" msg={errors.mirror_exit_enabled} />
      </div>
      {(["scaling_levels", "take_profit_table"] as const).map((k) => (
        <div class={cls(k)}>
          <label>
            {k === "scaling_levels" ? "Scaling levels" : "Take-profit table"} <span class="muted">{RULE_HELP[k]}</span>
            <input
              type="text"
              name={k}
              value={values[k] ?? ""}
              placeholder={ph[k] ?? "none"}
              autocomplete="off"
              aria-describedby={`${k}-error`}
            />
          </label>
          <FieldError id={`${k}-error`} msg={errors[k]} />
        </div>
      ))}
    </>
  );
}

/** The catalog fields and the rules of one strategy; posts to `action` (create or replace). */
export function StrategyForm(props: {
  action: string;
  csrf: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  submit: string;
}) {
  const { values, errors } = props;
  const cls = (f: string) => (errors[f] ? "invalid" : "");
  return (
    <form method="post" action={props.action} class="edit-form strategy-form">
      <Csrf token={props.csrf} />
      <FieldError id="form-error" msg={errors.form ?? errors.body} />
      <div class={cls("name")}>
        <label>
          Name
          <input type="text" name="name" maxlength={100} value={values.name ?? ""} aria-describedby="name-error" />
        </label>
        <FieldError id="name-error" msg={errors.name} />
      </div>
      <div class={cls("description")}>
        <label>
          Description
          <input
            type="text"
            name="description"
            maxlength={1000}
            value={values.description ?? ""}
            aria-describedby="description-error"
          />
        </label>
        <FieldError id="description-error" msg={errors.description} />
      </div>
      <div class={cls("is_default")}>
        <label>
          Default <span class="muted">new wallets get the default strategy</span>
          <select name="is_default" aria-describedby="is_default-error">
            <option value="false" selected={values.is_default !== "true"}>
              no
            </option>
            <option value="true" selected={values.is_default === "true"}>
              yes
            </option>
          </select>
        </label>
        <FieldError id="is_default-error" msg={errors.is_default} />
      </div>
      <RuleInputs values={values} errors={errors} />
      <div class="actions">
        <button type="submit">{props.submit}</button> <a href="/strategies">Back to the catalog</a>
      </div>
    </form>
  );
}

const rulesText = (r: StrategyRules) => ({
  stop: r.stop_loss_percent == null ? "—" : `${r.stop_loss_percent} %`,
  trailing:
    r.trailing_stop_percent == null
      ? "—"
      : `${r.trailing_stop_percent} %${r.trailing_activation_percent != null ? ` from +${r.trailing_activation_percent} %` : ""}`,
  scaling: r.scaling_levels.length ? r.scaling_levels.map((l) => `${l.multiple}× ${l.sell_percent} %`).join(", ") : "—",
  tp: r.take_profit_table.length
    ? r.take_profit_table.map((s) => `${s.after_minutes} min ≥ ${s.min_profit_percent} %`).join(", ")
    : "—",
  hold: r.max_hold_minutes == null ? "—" : `${r.max_hold_minutes} min`,
});

/** The exit-strategy catalog: every strategy, its rules, its uses, edit and delete; and a form to add one. */
export function StrategiesPage(props: {
  rows: StrategyView[];
  csrf: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
  deleteError?: { id: number; msg: string };
}) {
  return (
    <>
      <div class="scroll">
        <table id="strategies">
          <thead>
            <tr>
              <th>Name</th>
              <th>Stop-loss</th>
              <th>Trailing</th>
              <th>Scaling</th>
              <th>Take-profit</th>
              <th>Max hold</th>
              <th>Mirror</th>
              <th>Used by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.rows.map((s) => {
              const t = rulesText(s.rules);
              return (
                <tr data-strategy={String(s.id)}>
                  <td>
                    <a href={`/strategies/${s.id}`}>{s.name}</a>
                    {s.is_default ? <b> (default)</b> : null}
                    {s.description ? <div class="muted">{s.description}</div> : null}
                  </td>
                  <td>{t.stop}</td>
                  <td>{t.trailing}</td>
                  <td>{t.scaling}</td>
                  <td>{t.tp}</td>
                  <td>{t.hold}</td>
                  <td>{s.rules.mirror_exit_enabled ? "yes" : "no"}</td>
                  <td>
                    {s.wallets} wallet(s), {s.open_positions} open
                  </td>
                  <td>
                    <a href={`/strategies/${s.id}`}>Edit</a>{" "}
                    <form class="inline" method="post" action={`/strategies/${s.id}/delete`}>
                      <Csrf token={props.csrf} />
                      <button type="submit">Delete</button>
                    </form>
                    <FieldError
                      id={`delete-${s.id}-error`}
                      msg={props.deleteError?.id === s.id ? props.deleteError.msg : undefined}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h2>New strategy</h2>
      <StrategyForm
        action="/strategies"
        csrf={props.csrf}
        values={props.values ?? { mirror_exit_enabled: "true" }}
        errors={props.errors ?? {}}
        submit="Add strategy"
      />
    </>
  );
}
