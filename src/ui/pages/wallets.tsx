import type { WalletRow } from "../../db/schema";
import { short, Time } from "../format";
import { Csrf } from "../layout";

const FieldError = (props: { id: string; msg?: string }) =>
  props.msg ? (
    <span class="field-error" id={props.id}>
      {props.msg}
    </span>
  ) : null;

/** Add a wallet: the API's own validation; its errors are shown next to the field they name. */
function AddWalletForm(props: { csrf: string; errors: Record<string, string>; values: Record<string, string> }) {
  const { errors, values } = props;
  return (
    <form method="post" action="/wallets" class="add-wallet">
      <Csrf token={props.csrf} />
      <label>
        Address{" "}
        <input type="text" name="address" required value={values.address ?? ""} aria-describedby="address-error" />
      </label>
      <FieldError id="address-error" msg={errors.address} />{" "}
      <label>
        Label <input type="text" name="label" maxlength={100} value={values.label ?? ""} />
      </label>
      <FieldError id="label-error" msg={errors.label} />{" "}
      <label>
        Mode{" "}
        <select name="mode">
          <option value="simulation">simulation</option>
          <option value="live" selected={values.mode === "live"}>
            live
          </option>
        </select>
      </label>
      <FieldError id="mode-error" msg={errors.mode} /> <button type="submit">Add wallet</button>
      <FieldError id="form-error" msg={errors.form ?? errors.body} />
    </form>
  );
}

export function WalletsPage(props: {
  rows: WalletRow[];
  csrf: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
}) {
  return (
    <>
      <AddWalletForm csrf={props.csrf} errors={props.errors ?? {}} values={props.values ?? {}} />
      {props.rows.length === 0 ? (
        <p class="muted">The watchlist is empty.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Label</th>
                <th>Address</th>
                <th>Mode</th>
                <th>Active</th>
                <th>Helius sync</th>
                <th>Last signal</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {props.rows.map((w) => (
                <tr>
                  <td>{w.label ?? "—"}</td>
                  <td title={w.address}>{short(w.address)}</td>
                  <td>{w.mode}</td>
                  <td>{w.is_active ? "yes" : "paused"}</td>
                  <td title={w.helius_sync_error ?? ""}>
                    {w.helius_sync_status}
                    {w.helius_synced_at ? (
                      <>
                        {" ("}
                        <Time iso={w.helius_synced_at} />)
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td>
                    <Time iso={w.last_signal_at} />
                  </td>
                  <td>
                    <form class="inline" method="post" action={`/wallets/${w.id}/active`}>
                      <Csrf token={props.csrf} />
                      <input type="hidden" name="active" value={w.is_active ? "false" : "true"} />
                      <button type="submit">{w.is_active ? "Pause" : "Resume"}</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
