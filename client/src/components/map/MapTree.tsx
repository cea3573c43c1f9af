/** The alignment map on a phone: the same objectives and filters as an indented tree, each under its parent(s). */
import { ActionIcon, Badge, Group, Stack, Text } from "@mantine/core";
import { IconChevronDown, IconChevronRight, IconFocusCentered } from "@tabler/icons-react";
import { Link } from "react-router";
import type { MapObjective } from "../../lib/alignmentGraph";
import { formatPercent, formatProgress } from "../../lib/format";
import type { TreeItem } from "../../lib/mapView";
import { money } from "../../lib/money";
import { LEVEL_LABEL, STATUS_LABEL } from "../../lib/status";
import { type MapNodeProps, statusColour } from "./mapParts";

function Item({ item, nodeProps, depth }: { item: TreeItem; nodeProps: (o: MapObjective) => MapNodeProps; depth: number }) {
  const { objective, team, currency, mark, unaligned, children, collapsed, focused, onToggle, onFocus } = nodeProps(item.objective);
  const level = LEVEL_LABEL[objective.level] ?? objective.level;
  return (
    <li data-testid="map-tree-item" data-objective-id={objective.id} data-status={objective.status} data-depth={depth}>
      <div style={{ borderLeft: `4px solid ${statusColour(objective.status)}`, paddingLeft: 8, paddingBlock: 6 }}>
        <Group gap={4} wrap="nowrap" align="flex-start">
          {children > 0 ? (
            <ActionIcon
              variant="subtle"
              color="gray.8"
              size="md"
              aria-expanded={!collapsed}
              aria-label={`${collapsed ? "Expand" : "Collapse"} the ${children} objective${children === 1 ? "" : "s"} under ${objective.title}`}
              onClick={() => onToggle(objective.id)}
            >
              {collapsed ? <IconChevronRight size={18} aria-hidden /> : <IconChevronDown size={18} aria-hidden />}
            </ActionIcon>
          ) : (
            <span style={{ width: 28, flex: "none" }} />
          )}
          <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
            <Text component={Link} to={`/objectives/${objective.id}`} fz={14} fw={600} c="dark.9" style={{ textDecoration: "none" }}>
              {objective.title}
            </Text>
            <Text fz={12}>
              <b>{STATUS_LABEL[objective.status]}</b> · {formatProgress(objective.progress)} · {level} · {team}
            </Text>
            <Group gap={6} wrap="wrap">
              {unaligned && (
                <Text fz={12} fw={700}>
                  Aligned to nothing
                </Text>
              )}
              {item.via && (
                <Text fz={12} c={item.via.kind === "contributes" ? "violet.9" : "gray.8"}>
                  {item.via.kind === "contributes" ? "Contributes" : "Cascade"} {formatPercent(item.via.weight)}
                  {item.via.viaKeyResult ? ` to ${item.via.viaKeyResult}` : ""}
                </Text>
              )}
              {Number(objective.spend) > 0 && <Text fz={12}>Spend {money(objective.spend, currency)}</Text>}
              {mark && (
                <Badge size="xs" variant="outline" color="indigo.8" data-testid="map-enclosing-mark">
                  {mark}
                </Badge>
              )}
            </Group>
          </Stack>
          <ActionIcon
            variant={focused ? "filled" : "subtle"}
            color="blue.8"
            size="md"
            aria-label={`Line of sight of ${objective.title}`}
            aria-pressed={focused}
            onClick={() => onFocus(objective.id)}
          >
            <IconFocusCentered size={18} aria-hidden />
          </ActionIcon>
        </Group>
      </div>
      {item.children.length > 0 && (
        <ul style={{ listStyle: "none", margin: 0, paddingLeft: 14 }}>
          {item.children.map((child) => (
            <Item key={`${child.via?.id ?? ""}${child.objective.id}`} item={child} nodeProps={nodeProps} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function MapTree({ tree, nodeProps }: { tree: TreeItem[]; nodeProps: (o: MapObjective) => MapNodeProps }) {
  return (
    <ul style={{ listStyle: "none", margin: 0, padding: 0 }} aria-label="Alignment map" data-testid="map-tree">
      {tree.map((item) => (
        <Item key={item.objective.id} item={item} nodeProps={nodeProps} depth={0} />
      ))}
    </ul>
  );
}
