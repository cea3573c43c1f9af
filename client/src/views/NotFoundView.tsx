import { Anchor } from "@mantine/core";
import { Link } from "react-router";
import { EmptyState } from "../components/QueryState";

export function NotFoundView() {
  return (
    <EmptyState
      title="Page not found"
      order={1}
      action={
        <Anchor component={Link} to="/scoreboard">
          Go to the scoreboard
        </Anchor>
      }
    >
      The address does not match any page of Sightline.
    </EmptyState>
  );
}
