/** Pick the cycle every screen shows; the choice is remembered in this browser. */
import { Select } from "@mantine/core";
import { formatDate } from "../lib/format";
import { useCycleChoice } from "../queries/cycleChoice";

export function CycleSwitcher({ hideLabel = false }: { hideLabel?: boolean }) {
  const { cycles, cycle, choose } = useCycleChoice();
  const options = (cycles.data?.items ?? [])
    .slice()
    .sort((a, b) => b.start_date.localeCompare(a.start_date))
    .map((item) => ({
      value: item.id,
      label: `${item.name}${item.state === "active" ? "" : ` (${item.state})`}`,
    }));
  return (
    <Select
      label="Cycle"
      labelProps={hideLabel ? { className: "visually-hidden-label" } : undefined}
      placeholder={cycles.isPending ? "Loading cycles…" : cycles.error ? "Cycles unavailable" : "No cycle yet"}
      data={options}
      value={cycle?.id ?? null}
      onChange={(value) => value && choose(value)}
      allowDeselect={false}
      disabled={options.length === 0}
      w={{ base: 140, xs: 220 }}
      description={hideLabel || !cycle ? undefined : `${formatDate(cycle.start_date)} – ${formatDate(cycle.end_date)}`}
      comboboxProps={{ withinPortal: true }}
      data-testid="cycle-switcher"
    />
  );
}
