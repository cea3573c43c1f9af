/** Mantine theme: colour choices keep WCAG AA contrast (axe-core checks every view in the browser tests). */
import {
  Anchor,
  createTheme,
  Drawer,
  Menu,
  darken,
  FileInput,
  defaultVariantColorsResolver,
  Modal,
  Notification,
  parseThemeColor,
  type VariantColorsResolver,
} from "@mantine/core";

// Light colours whose darkest shade is still too pale for text on white.
const PALE = new Set(["yellow", "orange", "lime"]);

/**
 * Text of light, outline and subtle variants (badges, alerts, outline buttons) uses the darkest shade of its colour,
 * darker still for yellow and orange, so it reads at 4.5:1 on white; Mantine's default (shade 6) does not.
 */
const variantColorResolver: VariantColorsResolver = (input) => {
  const defaults = defaultVariantColorsResolver(input);
  if (!["light", "outline", "subtle"].includes(input.variant ?? "")) return defaults;
  const parsed = parseThemeColor({ color: input.color ?? input.theme.primaryColor, theme: input.theme });
  if (!parsed.isThemeColor || !input.theme.colors[parsed.color]) return defaults;
  const darkest = input.theme.colors[parsed.color]![9];
  // A little darker than shade 9 even for strong colours: teal 9 on teal's light background is just under 4.5:1.
  const strong = darken(darkest, PALE.has(parsed.color) ? 0.4 : 0.15);
  return {
    ...defaults,
    color: strong,
    hoverColor: strong,
    ...(input.variant === "outline" ? { border: `1px solid ${strong}` } : {}),
  };
};

export const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: { light: 7, dark: 5 },
  autoContrast: true,
  // People who ask their system for less motion get no sliding toasts or drawers.
  respectReducedMotion: true,
  luminanceThreshold: 0.45,
  variantColorResolver,
  fontFamily: "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  headings: { fontWeight: "650" },
  defaultRadius: "md",
  components: {
    // Links inside text are underlined, so they never rely on colour alone (axe: link-in-text-block).
    Anchor: Anchor.extend({ defaultProps: { underline: "always" } }),
    // Icon-only close buttons get a name (axe: button-name).
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { "aria-label": "Dismiss notification" } } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close dialog" } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close panel" } } }),
    // A dialog's title bar is a <header>, which axe counts as a second banner landmark beside the page's own
    // (landmark-no-duplicate-banner): render it as a plain box.
    ModalHeader: { defaultProps: { component: "div" } },
    DrawerHeader: { defaultProps: { component: "div" } },
    // Mantine's hidden focus target in an open menu is an unnamed focusable element (axe: critical); the first
    // item takes the focus instead.
    Menu: Menu.extend({ defaultProps: { withInitialFocusPlaceholder: false } }),
    // A file input's placeholder is text on a button, not an input's placeholder: it needs text contrast (axe).
    FileInput: FileInput.extend({ styles: { placeholder: { color: "var(--mantine-color-dimmed)" } } }),
  },
});

/**
 * Dimmed text darker than Mantine's default gray 6 (3.3:1 on white) so secondary text passes AA; likewise field errors
 * (message and the invalid field's text), whose default red 6 is 3.3:1.
 */
export const cssVariablesResolver = () => ({
  variables: {},
  light: { "--mantine-color-dimmed": "var(--mantine-color-gray-7)", "--mantine-color-error": "var(--mantine-color-red-9)" },
  dark: {},
});
