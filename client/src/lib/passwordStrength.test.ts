import { describe, expect, it } from "vitest";
import { estimateStrength } from "./passwordStrength";

describe("password strength (zxcvbn-ts, loaded on first use)", () => {
  it("rates a common password weak and a long unrelated passphrase strong", async () => {
    expect((await estimateStrength("password1234")).score).toBeLessThanOrEqual(1);
    expect((await estimateStrength("vellum orbit cactus harbour 71")).score).toBeGreaterThanOrEqual(3);
  });

  it("counts the person's name, email and organisation as known words", async () => {
    const alone = await estimateStrength("meter test ltd 2026");
    const known = await estimateStrength("meter test ltd 2026", ["Meter Test Ltd", "olivia@example.test"]);
    expect(known.score).toBeLessThan(alone.score);
    expect(known.score).toBeLessThanOrEqual(2);
  });
});
