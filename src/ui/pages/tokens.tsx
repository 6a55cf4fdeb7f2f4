import type { TokenRow } from "../../db/schema";
import { price, short, Time, usd } from "../format";
import { TokenCell } from "./identity-cells";

/** The token cache: what the safety check saw, including the pair it chose (DEX and pair address). */
export function TokensPage(props: { rows: TokenRow[] }) {
  if (props.rows.length === 0) return <p class="muted">No token has been checked yet.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Token</th>
            <th>DEX</th>
            <th>Pair</th>
            <th>Liquidity</th>
            <th>Price</th>
            <th>Safety</th>
            <th>Checked</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((t) => (
            <tr>
              <TokenCell mint={t.mint_address} symbol={t.symbol} name={t.name} />
              <td>{t.dex_name ?? "—"}</td>
              <td title={t.pair_address ?? ""}>{short(t.pair_address)}</td>
              <td>{usd(t.liquidity_usd)}</td>
              <td>{price(t.price_usd)}</td>
              <td>{t.safety_score == null ? "—" : t.safety_score.toFixed(2)}</td>
              <td>
                <Time iso={t.safety_checked_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
