import "@mantine/core/styles.css";
import "@mantine/charts/styles.css";
import "@mantine/notifications/styles.css";
import "./app.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { reloadOnce } from "./lib/chunkLoad";

// Vite reports a chunk (or its CSS) that failed to preload: reload once rather than fail the screen; when a reload
// already happened a moment ago the error goes on to the screen's friendly error page (views/CrashView.tsx).
window.addEventListener("vite:preloadError", (event) => {
  if (reloadOnce()) event.preventDefault();
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
