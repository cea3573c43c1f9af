/** Money arrives as exact decimal strings ("1250.00"); it is shown, summed for display and sent back as text. */
import { formatValue } from "./format";

export function money(amount: string | number | null | undefined, currency: string): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  return formatValue(Number(amount), "currency", "", currency);
}

/** Display sums only (the server's numbers stay the exact ones); rounded to cents. */
export function sumMoney(amounts: (string | number)[]): number {
  return Math.round(amounts.reduce<number>((total, amount) => total + Number(amount) * 100, 0)) / 100;
}

/** A typed amount as the API's decimal text: "1.250,5"-style input is not guessed, "1,250.50" → "1250.50". */
export function moneyText(input: string): string | null {
  const cleaned = input.replace(/[\s,€$£]/g, "");
  return /^-?\d+(\.\d{1,2})?$/.test(cleaned) ? cleaned : null;
}
