import type { PositionDetail } from "../data";
import { Csrf } from "../layout";
import { catalogToForm, rulesToForm } from "../strategy-form";
import { FieldError } from "./field-error";
import { RuleInputs } from "./strategies";

/** The position's override as form text; an unreadable stored override shows as empty (inherit). */
export function overrideValues(raw: string | null): Record<string, string> {
  if (!raw) return {};
  try {
    return rulesToForm(JSON.parse(raw));
  } catch {
    return {};
  }
}

/**
 * A position's exit-strategy override (PATCH /api/v1/positions/{id}/strategy, merged over its template
 * by the PositionActor): an empty field keeps the template's value (shown as the placeholder), `off`
 * disables a rule for this position only. The API's refusals are shown next to the field.
 */
export function StrategyOverrideForm(props: {
  d: PositionDetail;
  csrf: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
}) {
  const p = props.d.position;
  const template = props.d.template;
  const placeholders = template ? catalogToForm(template.rules) : {};
  for (const [k, v] of Object.entries(placeholders))
    if (v === "") placeholders[k] = k.endsWith("table") || k === "scaling_levels" ? "none" : "off";
  return (
    <>
      <h2 id="strategy-override">Strategy override</h2>
      <p class="muted">
        Template: {template?.name ?? "—"}. Empty fields keep the template's value (shown greyed); type <code>off</code>{" "}
        to disable a rule for this position only, <code>none</code> to clear a list.
      </p>
      <form method="post" action={`/positions/${encodeURIComponent(p.id)}/strategy`} class="edit-form override-form">
        <Csrf token={props.csrf} />
        <FieldError id="form-error" msg={props.errors?.form ?? props.errors?.body} />
        <RuleInputs
          values={props.values ?? overrideValues(p.strategy_override)}
          errors={props.errors ?? {}}
          placeholders={placeholders}
          inherit
        />
        <div class="actions">
          <button type="submit">Save override</button>
        </div>
      </form>
    </>
  );
}
