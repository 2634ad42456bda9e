interface Props {
  /** Why, as the start of a sentence: `This login link has expired or was used`. */
  reason: string;
}

/** In place of the dashboard when the browser has no session. */
export function LoginNeeded({ reason }: Props) {
  return (
    <section class="login-needed" data-login-needed>
      <p>
        {reason}: run <code>shoal dashboard</code> again and open the link it prints.
      </p>
    </section>
  );
}
