/** An API error shown next to the field it names (`aria-describedby` on the field points here). */
export const FieldError = (props: { id: string; msg?: string }) =>
  props.msg ? (
    <span class="field-error" id={props.id}>
      {props.msg}
    </span>
  ) : null;
