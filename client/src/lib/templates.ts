/** Templates: the library grouped by category, and the apply request from the dialog's edited targets. */
import type { Schemas } from "../api/client";

export type TemplateCategory = Schemas["TemplatePublic"]["category"];

export const CATEGORY_LABEL: Record<TemplateCategory, string> = {
  demand_generation: "Demand generation",
  pipeline: "Pipeline",
  brand: "Brand",
  content: "Content",
  product_marketing: "Product marketing",
  customer_marketing: "Customer marketing",
  events: "Events",
  lifecycle_email: "Lifecycle and email",
  paid_acquisition: "Paid acquisition",
  website_conversion: "Website conversion",
  sales_enablement: "Sales enablement",
  partner_marketing: "Partner marketing",
  other: "Other",
};

/** Categories in library order (first appearance), each with its templates; the organisation's own after. */
export function templatesByCategory<T extends Pick<Schemas["TemplatePublic"], "category" | "source">>(
  templates: T[],
): { category: TemplateCategory; label: string; templates: T[] }[] {
  const groups = new Map<TemplateCategory, T[]>();
  for (const template of templates) {
    const list = groups.get(template.category) ?? [];
    list.push(template);
    groups.set(template.category, list);
  }
  return [...groups.entries()].map(([category, list]) => ({ category, label: CATEGORY_LABEL[category], templates: list }));
}

/** The targets typed in the dialog that differ from the suggestion, by index (as the API takes them). */
export function changedTargets(
  template: Pick<Schemas["TemplatePublic"], "key_results">,
  typed: Record<number, string>,
): { targets: Record<string, number>; invalid: number[] } {
  const targets: Record<string, number> = {};
  const invalid: number[] = [];
  template.key_results.forEach((kr, index) => {
    const text = typed[index];
    if (text === undefined || text.trim() === "") return;
    const value = Number(text);
    if (!Number.isFinite(value)) invalid.push(index);
    else if (value !== kr.target_value) targets[String(index)] = value;
  });
  return { targets, invalid };
}
