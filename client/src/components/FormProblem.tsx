/** A failed save: the problem's detail above the form (field errors sit on their fields as well). */
import { Alert } from "@mantine/core";
import { asProblem } from "../lib/problem";

export function FormProblem({ error, title = "Not saved" }: { error: unknown; title?: string }) {
  if (!error) return null;
  const problem = asProblem(error);
  return (
    <Alert color="red" role="alert" title={title} mb="md">
      {problem.detail}
      {problem.errors && problem.errors.length > 0 && (
        <ul style={{ margin: "0.25rem 0 0", paddingLeft: "1.2rem" }}>
          {problem.errors.map((item) => (
            <li key={item.loc.join(".")}>
              {String(item.loc[item.loc.length - 1] ?? "")}: {item.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}
