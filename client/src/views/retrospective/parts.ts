/** What the retrospective's panels share. */

/** A sideways-scrolling table region that the keyboard can reach and scroll. */
export const SCROLL_REGION = (label: string) => ({ tabIndex: 0, role: "region", "aria-label": label });

export const KIND_COLOR: Record<string, string> = { committed: "indigo.7", aspirational: "violet.7" };
