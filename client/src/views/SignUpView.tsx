/** Create an organisation and its first owner. */
import { Alert, Anchor, Button, Group, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { AuthFrame } from "../components/AuthFrame";
import { PasswordStrength } from "../components/PasswordStrength";
import { fieldErrors, isProblem, problemMessage } from "../lib/problem";
import { PASSWORD_MIN } from "../lib/validation";
import { useSignup } from "../queries/auth";

export function SignUpView() {
  const [form, setForm] = useState({ organisation_name: "", name: "", email: "", password: "" });
  const signup = useSignup();
  const navigate = useNavigate();
  const errors = fieldErrors(signup.error);
  const set = (key: keyof typeof form) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value; // read now: currentTarget is gone once the event has been handled
    setForm((current) => ({ ...current, [key]: value }));
  };

  // The email already has an account (another organisation): say so, offer to sign in, or create one more.
  const emailExists = isProblem(signup.error) && signup.error.type === "/problems/email-exists";
  const create = (anotherOrganisation: boolean) =>
    signup.mutate(
      { body: { ...form, ...(anotherOrganisation ? { another_organisation: true } : {}) } },
      { onSuccess: () => void navigate("/scoreboard?welcome=1") },
    );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create(false);
  };

  return (
    <AuthFrame
      title="Create your organisation"
      subtitle={
        <>
          Already using Sightline?{" "}
          <Anchor component={Link} to="/sign-in" size="sm">
            Sign in
          </Anchor>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          {emailExists && (
            <Alert color="blue" role="alert" title="You already have an account">
              <Stack gap="xs">
                <Text size="sm">An account with {form.email} already exists. Sign in to it instead?</Text>
                <Group gap="sm">
                  <Button component={Link} to={`/sign-in?email=${encodeURIComponent(form.email)}`} size="xs">
                    Sign in
                  </Button>
                  <Button variant="default" size="xs" onClick={() => create(true)} loading={signup.isPending}>
                    Create a new organisation anyway
                  </Button>
                </Group>
              </Stack>
            </Alert>
          )}
          {signup.error && !emailExists && Object.keys(errors).length === 0 && (
            <Alert color="red" role="alert" title="Could not create the organisation">
              {problemMessage(signup.error)}
            </Alert>
          )}
          <TextInput
            label="Organisation"
            required
            value={form.organisation_name}
            onChange={set("organisation_name")}
            error={errors.organisation_name}
            autoComplete="organization"
          />
          <TextInput label="Your name" required value={form.name} onChange={set("name")} error={errors.name} autoComplete="name" />
          <TextInput
            label="Work email"
            type="email"
            required
            value={form.email}
            onChange={set("email")}
            error={emailExists ? undefined : errors.email}
            autoComplete="email"
          />
          <PasswordInput
            label="Password"
            description={`At least ${PASSWORD_MIN} characters; a few unrelated words make a strong one`}
            required
            value={form.password}
            onChange={set("password")}
            error={errors.password}
            autoComplete="new-password"
          />
          <PasswordStrength password={form.password} userInputs={[form.email, form.name, form.organisation_name]} />
          <Button type="submit" loading={signup.isPending} fullWidth>
            Create organisation
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
