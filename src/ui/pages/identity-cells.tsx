import { dexscreenerToken, short, solscanToken } from "../format";

/** Token symbol/name with its Solscan and DexScreener links; the mint on hover. Every token cell uses it. */
export function TokenCell(props: { mint: string; symbol: string | null; name: string | null }) {
  return (
    <td title={props.mint}>
      <b>{props.symbol ?? short(props.mint)}</b> {props.name ? <span class="muted">{props.name}</span> : null}{" "}
      <a href={solscanToken(props.mint)} rel="noopener noreferrer" target="_blank">
        Solscan
      </a>{" "}
      <a href={dexscreenerToken(props.mint)} rel="noopener noreferrer" target="_blank">
        DexScreener
      </a>
    </td>
  );
}

/** The leader's label with its short address; the full address on hover. */
export function LeaderCell(props: { address: string; label: string | null }) {
  return (
    <td title={props.address}>{props.label ? `${props.label} (${short(props.address)})` : short(props.address)}</td>
  );
}

/** Token, leader and mode: the first cells of both position tables. */
export function IdentityCells(props: {
  p: {
    token_mint: string;
    symbol: string | null;
    name: string | null;
    source_wallet_address: string;
    leader_label: string | null;
    mode: string;
  };
}) {
  const { p } = props;
  return (
    <>
      <TokenCell mint={p.token_mint} symbol={p.symbol} name={p.name} />
      <LeaderCell address={p.source_wallet_address} label={p.leader_label} />
      <td>{p.mode}</td>
    </>
  );
}
